"""The question and feedback log: redaction, privacy, retention, and one shared database.

The same contract runs against a SQLite file and a real PostgreSQL server that the tests start
(several app instances share one PostgreSQL log).
"""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import make_settings
from postgres_server import PostgresServer, postgres_bin

from assistant.feedback import Count, FeedbackLog, Rated, redact


@pytest.fixture(scope="session")
def postgres():
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; .ci/run does this)")
    server = PostgresServer(bin_dir).start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'data' / 'feedback.sqlite3'}"
    server = request.getfixturevalue("postgres")
    # A fresh database per test keeps the tests independent on one server.
    import sqlalchemy as sa

    name = f"t{os.getpid()}_{abs(hash(request.node.nodeid)) % 10**8}"
    engine = sa.create_engine(server.url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    engine.dispose()
    return server.url.rsplit("/", 1)[0] + f"/{name}"


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("Mijn cliënt Jan de Vries wordt boos", "wordt boos", "Jan de Vries"),
        ("Fatima El Amrani huilt veel na bezoek", "huilt veel", "Fatima El Amrani"),
        ("Hij woont op de Kerkstraat 12 in Utrecht", "Hij woont op", "Kerkstraat 12"),
        ("geboren op 12-03-1985, wat nu?", "wat nu?", "12-03-1985"),
        ("geboren 3 januari 2001", "geboren", "3 januari 2001"),
        ("IBAN NL91 ABNA 0417 1643 00 voor de eigen bijdrage", "eigen bijdrage", "ABNA"),
        ("rekening NL91ABNA0417164300", "rekening", "NL91"),
        ("Bel 06-12345678 of mail jan@example.nl", "Bel", "06-12345678"),
        ("mail jan@example.nl", "mail", "jan@example.nl"),
        ("BSN 123456782", "BSN", "123456782"),
        ("postcode 1234 AB", "postcode", "1234 AB"),
    ],
)
def test_personal_data_is_redacted_before_it_is_stored(text, kept, gone):
    clean = redact(text)
    assert gone not in clean and kept in clean


@pytest.mark.parametrize(
    "question",
    [
        "Wat is hechting?",
        "Hoe herken ik een onveilige hechting bij een cliënt met autisme?",
        "Welke boeken zijn er over hechting en verstandelijke beperking?",
    ],
)
def test_ordinary_questions_are_stored_as_asked(question):
    assert redact(question) == question


def test_the_log_keeps_questions_answers_channels_and_comments(url):
    log = FeedbackLog(url)
    log.record_question("Wat is hechting bij pubers?", "no_answer", [], channel="chat")
    log.record_question("wat is hechting bij pubers?", "no_answer", [], channel="chat")
    log.record_question("Mag ik een cliënt knuffelen?", "no_answer", [], channel="helpdesk")
    log.record_question("Wat is hechting?", "answer", ["hechting"], answer="Hechting is ...")
    unanswered = log.unanswered()
    assert [(c.question.lower(), c.count, c.channel) for c in unanswered] == [
        ("mag ik een cliënt knuffelen?", 1, "helpdesk"),
        ("wat is hechting bij pubers?", 2, "chat"),
    ]
    assert all(isinstance(c, Count) and c.last.endswith("+00:00") for c in unanswered)

    fid = log.record_feedback(
        "Wat doet Jan de Vries fout?", "answer", ["a", "b"], liked=False, answer="Antwoord [1]"
    )
    assert isinstance(fid, int)
    log.add_comment(fid, "Het antwoord ging over iets anders; bel 06-12345678")
    log.record_feedback("Wat is hechting?", "answer", ["hechting"], liked=True)
    (rated,) = log.disliked()
    assert isinstance(rated, Rated)
    assert rated.question == "Wat doet [naam] fout?"
    assert (rated.answer, rated.sources) == ("Antwoord [1]", ["a", "b"])
    assert rated.comment == "Het antwoord ging over iets anders; bel [telefoon]"
    assert rated.given_at.endswith("+00:00")


def test_two_app_instances_share_one_log(url):
    first, second = FeedbackLog(url), FeedbackLog(url)
    first.record_question("Waar vind ik een webinar over rouw?", "no_answer", [])
    second.record_question("Waar vind ik een webinar over rouw?", "no_answer", [])
    fid = second.record_feedback("Wat is hechting?", "answer", ["x"], liked=False)
    second.flush()  # each instance writes in the background
    first.add_comment(fid, "te kort")
    first.flush()
    assert [(c.question, c.count) for c in first.unanswered()] == [
        ("Waar vind ik een webinar over rouw?", 2)
    ]
    assert [r.comment for r in second.disliked()] == ["te kort"]


def test_questions_older_than_the_retention_period_are_deleted(url):
    log = FeedbackLog(url, retention_days=90)
    assert log.purge() == 0  # the next automatic purge is an hour away
    old = datetime.now(UTC) - timedelta(days=91)
    log.record_question("Een oude vraag", "no_answer", [], at=old)
    log.record_feedback("Een oude vraag", "answer", [], liked=False, at=old)
    log.record_question("Een nieuwe vraag", "no_answer", [])
    assert log.purge() == 2
    assert [c.question for c in log.unanswered()] == ["Een nieuwe vraag"]
    assert log.disliked() == []


def test_writing_purges_expired_questions_by_itself(tmp_path):
    log = FeedbackLog(tmp_path / "f.db", retention_days=1)
    log.record_question("Een oude vraag", "no_answer", [], at=datetime.now(UTC) - timedelta(days=2))
    log.flush()
    other = FeedbackLog(tmp_path / "f.db", retention_days=1)
    other.record_question("Nieuw", "no_answer", [])
    other.flush()
    assert [c.question for c in log.unanswered()] == ["Nieuw"]


def test_the_sqlite_database_and_its_folder_are_owner_only(tmp_path):
    settings = make_settings(tmp_path / "corpus", tmp_path / "data")
    log = FeedbackLog.from_settings(settings)
    log.record_question("Wat is hechting?", "no_answer", [])
    log.flush()
    assert stat.S_IMODE(os.stat(tmp_path / "data").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(settings.feedback_db).st_mode) == 0o600


def test_an_existing_world_readable_database_is_made_owner_only(tmp_path):
    FeedbackLog(tmp_path / "d" / "f.db").unanswered()
    os.chmod(tmp_path / "d" / "f.db", 0o644)
    os.chmod(tmp_path / "d", 0o755)
    FeedbackLog(tmp_path / "d" / "f.db").unanswered()
    assert stat.S_IMODE(os.stat(tmp_path / "d" / "f.db").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(tmp_path / "d").st_mode) == 0o700


def test_the_feedback_url_setting_chooses_the_database(tmp_path, postgres):
    settings = make_settings(tmp_path / "corpus", tmp_path / "data", feedback_url=postgres.url)
    log = FeedbackLog.from_settings(settings)
    log.record_question("Gedeeld?", "no_answer", [])
    log.flush()
    assert not settings.feedback_db.exists()
    assert [c.question for c in FeedbackLog(postgres.url).unanswered()] == ["Gedeeld?"]


def test_question_logging_can_be_switched_off(url):
    log = FeedbackLog(url, log_questions=False)
    log.record_question("Mijn cliënt Jan wil melatonine", "no_answer", [], answer="iets")
    fid = log.record_feedback("Mijn cliënt Jan", "answer", ["x"], liked=False, comment="slecht")
    assert log.unanswered() == []
    (rated,) = log.disliked()
    assert (rated.question, rated.answer, rated.comment) == ("(niet bewaard)", "", "slecht")
    assert fid > 0


def test_a_database_that_cannot_be_reached_is_a_dutch_error_with_details_for_the_log():
    from chroma_server import free_port

    from assistant.errors import FeedbackUnavailableError

    log = FeedbackLog(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x")
    with pytest.raises(FeedbackUnavailableError, match="niet bereikbaar") as caught:
        log.unanswered()
    assert "127.0.0.1" not in str(caught.value) and "127.0.0.1" in caught.value.details


def test_the_earlier_patterns_still_redact_contact_details():
    assert redact("Bel 06-12345678 of mail jan@example.nl, 1234 AB, BSN 123456782") == (
        "Bel [telefoon] of mail [e-mail], [postcode], BSN [nummer]"
    )


def test_a_log_written_by_the_previous_version_is_upgraded_in_place(tmp_path):
    import sqlite3

    path = tmp_path / "f.db"
    with sqlite3.connect(path) as conn:
        conn.executescript(
            "CREATE TABLE questions (id INTEGER PRIMARY KEY, asked_at TEXT NOT NULL, "
            "channel TEXT NOT NULL, question TEXT, kind TEXT NOT NULL, sources TEXT NOT NULL);"
            "INSERT INTO questions VALUES (1, '2099-01-01T00:00:00+00:00', 'chat', 'Oud', "
            "'no_answer', '[]');"
        )
    log = FeedbackLog(path)
    log.record_question("Nieuw", "no_answer", [], answer="Geen antwoord")
    assert [c.question for c in log.unanswered()] == ["Oud", "Nieuw"]


def test_ages_and_care_organisations_are_kept_for_curators():
    question = "Welk werkboek heeft Bartiméus gemaakt voor kinderen van 2 tot 5 jaar?"
    assert redact(question) == question


def test_a_write_failure_is_logged_without_the_question(tmp_path, caplog):
    from chroma_server import free_port

    log = FeedbackLog(f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/x")
    log.record_question("Jan de Vries slaat zijn begeleider", "no_answer", [])
    assert log.flush(60)
    assert "question log: a write failed" in caplog.text
    assert "Jan" not in caplog.text and "slaat" not in caplog.text


def test_the_redaction_worker_leaves_when_the_app_process_is_killed():
    """A killed app (SIGKILL, no shutdown) must not leave its 1 GB deduce worker behind."""
    import signal
    import subprocess
    import sys
    import time

    code = (
        "from assistant import feedback\n"
        "feedback.warm_up()\n"
        "print(*feedback._pool._processes, flush=True)\n"
        "import time; time.sleep(600)\n"
    )
    app = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    worker = int(app.stdout.readline().split()[0])
    app.send_signal(signal.SIGKILL)
    app.wait()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and Path(f"/proc/{worker}").exists():
        time.sleep(0.5)
    assert not Path(f"/proc/{worker}").exists() or "Z" in _state(worker)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return "Z"
