"""Web-layer findings of the fault-and-abuse probe (issue 11: items 4, 7 and 8)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from chroma_server import ChromaServer
from conftest import make_settings

from assistant.feedback import FeedbackLog
from assistant.pipeline import Assistant, build_ingestor
from webapp import render
from webapp.api import JsonApi
from webapp.chat import ChatPage
from webapp.curator import LOCKED, WRONG, CuratorPage, LoginGuard
from webapp.shared import UNAVAILABLE, ContactBook

PASSWORD = "juist-wachtwoord-123"


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def curator(clock: Clock) -> CuratorPage:
    return CuratorPage(None, None, lambda progress: None, PASSWORD, LoginGuard(clock=clock))


def test_guessing_the_curator_password_locks_the_client_out_and_is_logged_without_it(caplog):
    clock = Clock()
    page = curator(clock)
    caplog.set_level(logging.WARNING, logger="webapp.curator")
    refusals = [page.refusal(f"gok-{i}", "10.0.0.7") for i in range(50)]
    assert refusals[0] == WRONG
    assert all(r.startswith("Te veel onjuiste pogingen") for r in refusals[3:])
    # Even the right password is refused while the lockout lasts ...
    assert page.refusal(PASSWORD, "10.0.0.7").startswith("Te veel onjuiste pogingen")
    # ... another client is not affected ...
    assert page.refusal(PASSWORD, "10.0.0.8") is None
    # ... and after the lockout the right password works again.
    clock.now += 3600
    assert page.refusal(PASSWORD, "10.0.0.7") is None
    failures = [r for r in caplog.records if "curator login failed" in r.getMessage()]
    assert len(failures) == 3  # tries refused during a lockout are not even checked
    text = caplog.text
    assert "gok-" not in text and PASSWORD not in text and "10.0.0.7" not in text


def test_the_lockout_grows_with_each_failure():
    clock = Clock()
    guard = LoginGuard(free_tries=3, first_lockout=2, max_lockout=60, clock=clock)
    lockouts = [guard.failed("c") for _ in range(8)]
    assert lockouts[:2] == [0, 0]
    assert lockouts[2:] == [2, 4, 8, 16, 32, 60]
    assert LOCKED.format(seconds=3).startswith("Te veel")


@pytest.mark.parametrize(
    "typed",
    [
        "![x](http://127.0.0.1:9/pixel.png) wat is hechting",
        "[klik hier](http://127.0.0.1:9/) wat is hechting",
        "<img src=http://127.0.0.1:9/p.png> **vet** # kop",
    ],
)
def test_the_users_own_text_is_rendered_as_text(typed):
    html = render.user_text(typed)
    assert "<img" not in html and "<a" not in html and "<strong>" not in html
    assert "127.0.0.1:9" in html  # shown, literally


@pytest.fixture()
def stopped_store_assistant(tmp_path, mini_corpus, embedder):
    server = ChromaServer(tmp_path / "chroma").start()
    try:
        settings = make_settings(
            mini_corpus, tmp_path / "data", chroma_host="127.0.0.1", chroma_port=server.port
        )
        build_ingestor(settings, embedder, mini_corpus.parent).run()
        assistant = Assistant.from_settings(settings, embedder)
        warm = assistant.ask("Wat is hechting?")
        assert warm.kind == "answer"
    finally:
        server.stop()
    return assistant, warm, server.port, FeedbackLog(tmp_path / "fb.sqlite3")


@pytest.mark.server
def test_with_the_store_down_users_get_a_dutch_message_and_the_team_not_internals(
    stopped_store_assistant, caplog
):
    assistant, warm, port, feedback = stopped_store_assistant
    contacts = ContactBook()
    contacts.update(warm.contact)
    chat = ChatPage(assistant, feedback, contacts)
    caplog.set_level(logging.INFO)
    *_, (html, _box, turns) = chat.respond("Wat is veilige gehechtheid?", [])
    assert turns[-1]["kind"] == "fout"
    assert render.esc(UNAVAILABLE) in html
    assert "Contact met het expertiseteam" in html  # the full contact block
    for internal in ("127.0.0.1", str(port), "chroma run", "Chroma-server", "Traceback"):
        assert internal not in html
    assert str(port) in caplog.text  # the details are in the log
    assert "veilige gehechtheid" not in caplog.text  # the question is not

    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()
    JsonApi(assistant, feedback, contacts).install(app)
    client = TestClient(app)
    # A question answered before the store went down is still answered (the answer cache);
    # a new one needs the store.
    assert client.post("/api/ask", json={"question": "Wat is hechting?"}).status_code == 200
    response = client.post("/api/ask", json={"question": "Wat is een veilige haven?"})
    assert response.status_code == 503
    body = response.json()
    assert body["detail"] == UNAVAILABLE and "expertiseteam" in body["contact"]
    assert str(port) not in response.text and "127.0.0.1" not in response.text


def test_a_rating_and_a_later_comment_reach_the_curators_with_the_answer(tmp_path):
    feedback = FeedbackLog(tmp_path / "fb.sqlite3")
    chat = ChatPage(None, feedback, ContactBook())
    turn = {
        "question": "Wat doet de app?",
        "kind": "answer",
        "body": "De app helpt signalen te herkennen. [1]",
        "sources": [
            {
                "n": 1,
                "id": "hisense-app",
                "title": "HiSense",
                "type": "app",
                "url": None,
                "path": "p",
                "passage": "x",
                "score": 1.0,
            }
        ],
        "referral": "",
        "full_contact": False,
        "rating": "",
        "feedback_id": None,
        "comment_sent": False,
        "notice": "",
    }
    html, turns = chat.rate([turn], SimpleNamespace(_data={"turn": 0, "liked": False}))
    assert "Dank je wel voor je beoordeling" in html and "data-verstuur='0'" in html
    html, turns = chat.comment(turns, SimpleNamespace(_data={"turn": 0, "comment": "Te kort"}))
    assert "Dank je wel voor je toelichting" in html and "data-verstuur" not in html
    # Once the thank-you has been shown, a quiet line keeps what was given.
    later = chat.render(turns, scroll=False)
    assert "Dank je wel" not in later
    assert "beoordeeld als niet nuttig, met een toelichting" in later
    [rated] = feedback.disliked()
    assert (rated.question, rated.comment, rated.sources) == (
        "Wat doet de app?",
        "Te kort",
        ["hisense-app"],
    )
    assert rated.answer.startswith("De app helpt")


def test_the_urgent_banner_belongs_to_the_newest_answer_only(tmp_path):
    """The banner is sticky: over every later answer it would hide half a phone screen. An
    earlier urgent answer keeps its referral lines in its own bubble instead."""
    chat = ChatPage(None, FeedbackLog(tmp_path / "fb.sqlite3"), ContactBook())
    spoed = {
        "n": 1,
        "id": "spoed-113",
        "title": "113",
        "type": "spoed",
        "url": "",
        "path": "",
        "passage": "Bel 113 of 0800-0113.",
        "score": 1.0,
    }
    ordinary = {**spoed, "id": "inleiding", "type": "pagina", "passage": "Iets gewoons."}
    urgent = {
        "question": "Hij wil niet meer leven.",
        "kind": "urgent",
        "body": "Dit klinkt ernstig.",
        "referral_lines": "Bel 113 of 0800-0113. [1]",
        "sources": [spoed, ordinary],
        "referral": "",
        "full_contact": True,
        "rating": "",
        "feedback_id": None,
        "comment_sent": False,
        "notice": "",
    }
    html = chat.render([urgent])
    banner = html.split("id='spoed'")[1].split("</div>")[0]
    assert "0800-0113" in banner and "Iets gewoons" not in banner  # only referral sources
    later = {
        **urgent,
        "question": "Wat is hechting?",
        "kind": "answer",
        "body": "Uitleg.",
        "referral_lines": "",
        "sources": [ordinary],
    }
    html = chat.render([urgent, later])
    assert "id='spoed'" not in html
    assert "0800-0113" in html.split("id='antwoord-0'")[1].split("id='antwoord-1'")[0]


def test_the_curator_overview_warns_while_the_contact_page_holds_placeholders(
    seed_assistant, tmp_path
):
    page = CuratorPage(
        seed_assistant, FeedbackLog(tmp_path / "fb.sqlite3"), lambda progress: None, PASSWORD
    )
    status = page.overview().status
    assert "plaatshouders ([NOG INVULLEN])" in status and "expertiseteam.md" in status
