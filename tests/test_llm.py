"""Fluent answers from a chat model: a real OpenAI-compatible server on 127.0.0.1 (canned
replies), the real langchain-openai client, the real embedding model and index; every shown
sentence verified, everything else the extractive answer."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import pytest
from conftest import ROOT
from llm_server import FakeChatServer, Reply

from assistant.compose import LEAD_IN_GENERATED, URGENT_LEAD
from assistant.pipeline import Assistant
from assistant.verify import ClaimStream, parse_claims, unverified_details

WAT = "{{Wat is hechting?}}"
VERMIJDEND = "{{Vermijdende gehechtheid}}"
AMBIVALENT = "{{Ambivalente gehechtheid}}"
GEDESORGANISEERD = "{{Gedesorganiseerde gehechtheid}}"

# Canned model replies, keyed on the question of the request. {{title}} becomes the number the
# passage with that title has in the request, as a model would cite it.
FAITHFUL = (
    "Er zijn verschillende vormen van onveilige gehechtheid. "
    f"Vermijdend gehechte kinderen zoeken weinig troost of hulp bij de ouder [{VERMIJDEND}]. "
    f"Ambivalent gehechte kinderen durven nauwelijks te exploreren [{AMBIVALENT}]. "
    "Het verstoorde gedrag van de ouder ontstaat doordat het contact met het kind een eigen "
    f"trauma bij de ouder activeert [{GEDESORGANISEERD}]."
)
INVENTED = (
    f"Hechting is de emotionele en duurzame band tussen een ouder of verzorger en een kind [{WAT}]. "
    f"Een kind zoekt troost en nabijheid bij zijn ouder als hij bang of verdrietig is [{WAT}]. "
    f"Hechting kun je het beste meten met een bloedtest bij de huisarts [{WAT}]. "
    f"Voor een veilige gehechtheidsrelatie zijn 3 basisvoorwaarden nodig [9]."
)
PHONE = (
    f"Hechting is de emotionele en duurzame band tussen een ouder of verzorger en een kind [{WAT}]. "
    f"Voor een veilige gehechtheid zijn 3 basisvoorwaarden nodig, bel 0800-4321 voor uitleg [{WAT}]. "
    f"Een kind zoekt troost en nabijheid bij zijn ouder als hij bang of verdrietig is [{WAT}]."
)
Q_FAITHFUL = "Welke onveilige gehechtheidsstijlen zijn er?"
Q_INVENTED = "Wat is hechting?"
Q_PHONE = "Hoe ontstaat een veilige gehechtheidsrelatie?"
Q_ERROR = "Wat is vermijdende gehechtheid?"
Q_TIMEOUT = "Wat is ambivalente gehechtheid?"
TIMEOUT = 1.5


def choose(question: str) -> Reply:
    return {
        Q_FAITHFUL: Reply(FAITHFUL),
        Q_INVENTED: Reply(INVENTED),
        Q_PHONE: Reply(PHONE),
        Q_ERROR: Reply(status=500),
        Q_TIMEOUT: Reply("Te laat [1].", delay=TIMEOUT + 8),
    }.get(question, Reply("Dat staat niet in mijn informatie."))


@pytest.fixture(scope="module")
def server():
    server = FakeChatServer(choose).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def llm_assistant(seed_settings, seed_report, embedder, server) -> Assistant:
    settings = seed_settings.model_copy(update={"llm_url": server.url, "llm_timeout": TIMEOUT})
    assistant = Assistant.from_settings(settings, embedder)
    assert assistant.writer is not None
    return assistant


def markers(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"\[(\d+)\]", text)]


def sentence_sources(answer) -> dict[str, list[str]]:
    """Shown sentence -> ids of the sources it cites."""
    by_n = {s.n: s.id for s in answer.sources}
    out = {}
    for m in re.finditer(r"([^.\n]+\.) ((?:\[\d+\])+)", answer.body):
        out[m.group(1).strip()] = [by_n[n] for n in markers(m.group(2))]
    return out


# -- the model's answers ----------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["ask", "stream"])
def test_a_faithful_answer_is_shown_with_citations_renumbered_in_order_of_first_use(
    llm_assistant, server, mode
):
    server.replies.clear()
    if mode == "ask":
        answer = llm_assistant.ask(Q_FAITHFUL)
    else:
        answer = list(llm_assistant.stream(Q_FAITHFUL))[-1]
    assert answer.composer == "llm" and answer.kind == "answer"
    assert answer.body.startswith(LEAD_IN_GENERATED)
    # The model cited the passages by their place in its prompt; the answer numbers the
    # sources 1..n in the order they are first cited, and each sentence keeps its own source.
    shown = markers(answer.body)
    assert list(dict.fromkeys(shown)) == [1, 2, 3] == [s.n for s in answer.sources]
    cited = sentence_sources(answer)
    assert cited == {
        "Vermijdend gehechte kinderen zoeken weinig troost of hulp bij de ouder.": [
            "vermijdende-gehechtheid"
        ],
        "Ambivalent gehechte kinderen durven nauwelijks te exploreren.": [
            "ambivalente-gehechtheid"
        ],
        "Het verstoorde gedrag van de ouder ontstaat doordat het contact met het kind een eigen "
        "trauma bij de ouder activeert.": ["gedesorganiseerde-gehechtheid"],
    }
    assert markers(server.replies[-1]) != shown  # the model's own numbers were not 1, 2, 3
    # The uncited opening sentence is not shown.
    assert "verschillende vormen" not in answer.answer and answer.dropped == 1
    # The assistant adds the sources list and the contact block, not the model.
    assert answer.answer.rstrip().endswith(answer.contact.rstrip())
    assert "Kunnen we je helpen?" in answer.contact
    for source in answer.sources:
        body = re.sub(r"\s+", " ", (ROOT / source.path).read_text(encoding="utf-8"))
        assert source.passage and source.passage in body


def test_the_model_only_receives_the_question_and_numbered_passages(llm_assistant, server):
    server.requests.clear()
    llm_assistant.ask(Q_FAITHFUL)
    (request,) = server.requests
    system, user = request["messages"]
    assert system["role"] == "system" and "[2]" in system["content"]
    assert user["content"].startswith("Bronteksten:\n\n[1] ")
    assert user["content"].rstrip().endswith(f"Vraag: {Q_FAITHFUL}")
    assert "Kunnen we je helpen?" not in user["content"]  # contact details are not the model's


def test_an_invented_sentence_and_a_wrong_citation_number_are_both_removed(llm_assistant):
    answer = llm_assistant.ask(Q_INVENTED)
    assert answer.composer == "llm"
    assert answer.dropped == 2
    assert "bloedtest" not in answer.answer
    assert "[9]" not in answer.answer and "3 basisvoorwaarden nodig" not in answer.body
    assert "duurzame band tussen een ouder of verzorger en een kind. [1]" in answer.body
    assert [s.id for s in answer.sources] == ["wat-is-hechting"]


def test_a_made_up_phone_number_is_never_shown(llm_assistant):
    answer = llm_assistant.ask(Q_PHONE)
    assert "0800" not in answer.answer and "4321" not in answer.answer
    assert answer.composer == "llm" and answer.dropped == 1


@pytest.mark.parametrize("question", [Q_ERROR, Q_TIMEOUT], ids=["http-error", "timeout"])
@pytest.mark.parametrize("mode", ["ask", "stream"])
def test_a_model_error_or_timeout_shows_the_extractive_answer(
    llm_assistant, seed_assistant, question, mode
):
    started = time.monotonic()
    if mode == "ask":
        answer = llm_assistant.ask(question)
    else:
        answers = list(llm_assistant.stream(question))
        assert len(answers) == 1
        answer = answers[0]
    assert time.monotonic() - started < TIMEOUT + 6  # did not wait for the late reply
    assert answer.composer == "extractive" and answer.kind == "answer"
    assert answer.answer == seed_assistant.ask(question).answer


def test_an_answer_with_nothing_verified_falls_back_to_the_extractive_answer(
    llm_assistant, seed_assistant
):
    question = "Wat is veilige gehechtheid?"  # the server says it is not in the information
    answer = llm_assistant.ask(question)
    assert answer.composer == "extractive" and answer.dropped == 1
    assert answer.answer == seed_assistant.ask(question).answer


def test_stream_grows_sentence_by_sentence_and_ends_with_the_final_answer(llm_assistant):
    answers = list(llm_assistant.stream(Q_FAITHFUL))
    assert len(answers) == 4  # three verified sentences, then the final answer
    bodies = [a.body for a in answers]
    for before, after in zip(bodies, bodies[1:], strict=False):
        assert after.startswith(before)
    assert [len(markers(b)) for b in bodies] == [1, 2, 3, 3]
    assert answers[-1].answer == llm_assistant.ask(Q_FAITHFUL).answer
    assert all(a.answer.rstrip().endswith(a.contact.rstrip()) for a in answers)


# -- decided before and without the model ----------------------------------------------------
@pytest.mark.parametrize(
    "question, kind",
    [
        ("Mijn cliënt zegt dat hij niet meer wil leven.", "urgent"),
        ("Wat is de hoofdstad van Australië?", "no_answer"),
        ("   ", "no_answer"),
    ],
)
def test_urgent_and_refused_questions_never_reach_the_model(
    llm_assistant, seed_assistant, server, question, kind
):
    server.requests.clear()
    answers = list(llm_assistant.stream(question))
    assert len(answers) == 1
    assert answers[0].kind == kind and answers[0].composer == "extractive"
    assert answers[0].answer == seed_assistant.ask(question).answer
    assert server.requests == []
    if kind == "urgent":
        assert answers[0].answer.startswith(URGENT_LEAD)


def test_without_a_url_the_answers_are_extractive_and_langchain_openai_is_never_imported(
    seed_assistant,
):
    assert seed_assistant.writer is None
    answers = list(seed_assistant.stream("Wat is hechting?"))
    assert len(answers) == 1 and answers[0].composer == "extractive"
    code = (
        "import sys; from assistant.settings import Settings; "
        "from assistant.llm import make_chat; import assistant.pipeline; "
        "assert make_chat(Settings(llm_url='')) is None; "
        "print('langchain_openai' in sys.modules, 'openai' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.split() == ["False", "False"]


# -- splitting and details (no model needed) ---------------------------------------------------
@pytest.mark.parametrize(
    "text, expected",
    [
        ("Zin een [1]. Zin twee [2].", [("Zin een.", [1]), ("Zin twee.", [2])]),
        ("Zin een. [1] Zin twee.[2][3]", [("Zin een.", [1]), ("Zin twee.", [2, 3])]),
        ("Zin een [1, 3]. Zin twee", [("Zin een.", [1, 3]), ("Zin twee", [])]),
        ("- **Eerste** punt [2]\n- Tweede punt [1]", [("Eerste punt", [2]), ("Tweede punt", [1])]),
        (
            "Er zijn 2.5 keer zoveel [1]. Bijv. dit [2].",
            [("Er zijn 2.5 keer zoveel.", [1]), ("Bijv. dit.", [2])],
        ),
    ],
)
def test_generated_text_splits_into_sentences_with_their_citations(text, expected):
    assert [(c.text, c.cites) for c in parse_claims(text)] == expected


def test_streamed_text_gives_the_same_sentences_once_each_complete():
    text = FAITHFUL.replace("{{", "").replace("}}", "") + "\nNieuwe alinea [1]."
    for size in (1, 4, 13):
        stream = ClaimStream()
        got = []
        for i in range(0, len(text), size):
            got += stream.feed(text[i : i + size])
        got += stream.finish()
        assert got == parse_claims(text)


@pytest.mark.parametrize(
    "sentence, unverified",
    [
        ("Er zijn 3 basisvoorwaarden.", []),
        ("Er zijn drie basisvoorwaarden.", []),
        ("Er zijn vier basisvoorwaarden.", ["4"]),
        ("Bel 0800-4321 voor hulp.", ["08004321"]),
        ("Kijk op www.hechting.nl voor meer.", ["www.hechting.nl"]),
        ("Volgens Bowlby is hechting een band.", ["bowlby"]),
        ("Hechting is een band volgens de ouder.", []),
    ],
)
def test_numbers_phone_numbers_urls_and_names_must_occur_in_the_cited_passage(sentence, unverified):
    passage = (
        "Hechting is de band tussen ouder en kind. Voor het ontstaan van een veilige "
        "gehechtheidsrelatie zijn er 3 basisvoorwaarden."
    )
    assert unverified_details(sentence, [passage]) == unverified
