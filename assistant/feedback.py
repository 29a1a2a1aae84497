"""Question and feedback log for curators: what could the corpus not answer, what was rated down?

The log lives in any database SQLAlchemy reaches by URL: a SQLite file in the data dir by
default, one PostgreSQL database when several app instances must share it.

Privacy: no names of users, IP addresses or session ids are stored. Question, answer and
comment text is de-identified before it is written: `deduce` (the Dutch de-identification
library made for care texts) removes names, addresses, places and dates, and a short list of patterns removes what is unambiguous by its form (e-mail addresses,
IBANs, phone numbers, postcodes, long digit runs such as a BSN). Rows older than the retention
period are deleted. Question and answer logging can be switched off (HECHTING_LOG_QUESTIONS).
"""

from __future__ import annotations

import atexit
import json
import logging
import multiprocessing
import os
import queue
import re
import stat
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from .errors import FeedbackUnavailableError

if TYPE_CHECKING:
    from .settings import Settings

log = logging.getLogger(__name__)

NOT_STORED = "(niet bewaard)"
MAX_QUESTION = 2000
MAX_ANSWER = 10000
MAX_COMMENT = 1000
PURGE_EVERY_SECONDS = 3600

# Personal data recognised by its form alone, with the placeholder that replaces it. Applied
# before deduce, whose lookup lists handle what only context reveals (names, streets).
_PATTERNS = [
    ("e-mail", re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[e-mail]"),
    (
        "iban",
        re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b"),
        "[iban]",
    ),
    ("telefoon", re.compile(r"(\+31|0031|\b0)[\s-]?\d([\s-]?\d){7,9}\b"), "[telefoon]"),
    ("postcode", re.compile(r"\b\d{4}\s?[A-Z]{2}\b"), "[postcode]"),
    ("nummer", re.compile(r"\b\d{6,}\b"), "[nummer]"),
]
# deduce's tags and the Dutch placeholder a curator sees instead.
_TAGS = {
    "persoon": "[naam]",
    "patient": "[naam]",
    "locatie": "[adres]",
    "datum": "[datum]",
    "telefoonnummer": "[telefoon]",
    "emailadres": "[e-mail]",
    "url": "[url]",
    "bsn": "[nummer]",
    "id": "[nummer]",
}
# Kept as typed: not personal data on their own, and curators need them to see what the corpus
# lacks ("kinderen van 2 tot 5 jaar", "het werkboek van Bartiméus").
_KEEP_TAGS = {"leeftijd", "zorginstelling", "ziekenhuis"}

_deduce_model = None


def _deduce():
    """deduce's lookup structures (about 1 GB, 10-50 s to load); read-only once loaded."""
    global _deduce_model
    if _deduce_model is None:
        started = time.perf_counter()
        from deduce import Deduce

        _deduce_model = Deduce()
        log.info("deduce loaded in %.1f s", time.perf_counter() - started)
    return _deduce_model


def _redact_here(text: str) -> str:
    """What redact() does; runs in the redaction worker process."""
    text = text[:MAX_ANSWER]
    for _name, pattern, placeholder in _PATTERNS:
        text = pattern.sub(placeholder, text)
    annotations = sorted(
        (a for a in _deduce().deidentify(text).annotations if a.tag not in _KEEP_TAGS),
        key=lambda a: a.start_char,
    )
    parts, at = [], 0
    for a in annotations:
        if a.start_char < at:  # overlapping annotation: the earlier one already covers it
            continue
        parts += [text[at : a.start_char], _TAGS.get(a.tag, "[verwijderd]")]
        at = a.end_char
    parts.append(text[at:])
    return "".join(parts)


# deduce runs in one worker process per app process: its 1 GB stays out of the app, and its
# load (one long unpickling that holds the GIL) never freezes the threads answering questions.
# One per process, shared by every FeedbackLog, like a loaded model.
_pool_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None


def _worker() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(os.getpid(),),
            )
        return _pool


def _start_worker(parent: int) -> None:
    """In the worker: leave when the app process is gone (killed, not shut down: a worker left
    behind would hold its 1 GB until the machine restarts), then load deduce."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(2)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="parent-watch").start()
    _deduce()


def warm_up() -> None:
    """Start the redaction worker, which loads deduce, in the background."""
    _worker().submit(len, "")


def redact(text: str) -> str:
    """The text with personal data replaced by placeholders such as [naam] and [adres]."""
    global _pool
    try:
        return _worker().submit(_redact_here, text).result()
    except BrokenProcessPool:
        with _pool_lock:
            _pool = None  # the next call starts a new worker
        raise


@dataclass
class Count:
    """An unanswered question, counted over its (case-insensitive) repeats."""

    question: str
    count: int
    last: str  # ISO-8601 UTC
    comment: str = ""
    channel: str = "chat"


@dataclass
class Rated:
    """One down-rated answer."""

    question: str
    answer: str
    sources: list[str] = field(default_factory=list)
    comment: str = ""
    given_at: str = ""  # ISO-8601 UTC

    # The curator table of the previous web app reads rows as counts.
    @property
    def count(self) -> int:
        return 1

    @property
    def last(self) -> str:
        return self.given_at


_metadata = sa.MetaData()
# Times are ISO-8601 UTC text: sortable as text, identical in SQLite and PostgreSQL, and
# compatible with logs written by earlier versions.
questions = sa.Table(
    "questions",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("asked_at", sa.String(40), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False),
    sa.Column("question", sa.Text),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("sources", sa.Text, nullable=False),
    sa.Column("answer", sa.Text),
)
feedback = sa.Table(
    "feedback",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("given_at", sa.String(40), nullable=False, index=True),
    sa.Column("question", sa.Text),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("sources", sa.Text, nullable=False),
    sa.Column("rating", sa.Integer, nullable=False),
    sa.Column("comment", sa.Text),
    sa.Column("answer", sa.Text),
)


def _iso(moment: datetime | None = None) -> str:
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds")


class FeedbackLog:
    def __init__(
        self,
        url: str | Path,
        log_questions: bool = True,
        retention_days: int = 90,
        private_dir: Path | None = None,
    ):
        """`url` is an SQLAlchemy URL or the path of a SQLite file.

        A SQLite file is created owner-only (0600); so is its folder when it is `private_dir`
        (the data dir) or when a plain path was given.
        """
        self.file: Path | None = None
        if isinstance(url, Path) or "://" not in str(url):
            self.file = Path(url)
            private_dir = private_dir or self.file.parent
            url = f"sqlite:///{self.file}"
        elif str(url).startswith("sqlite:///") and len(str(url)) > len("sqlite:///"):
            self.file = Path(str(url).removeprefix("sqlite:///"))
        self.url = sa.make_url(str(url))
        self.private_dir = private_dir
        self.log_questions = log_questions
        self.retention = timedelta(days=retention_days)
        self._engine: sa.Engine | None = None
        self._lock = threading.Lock()
        self._purged = float("-inf")
        self._jobs: queue.Queue[Callable[[], None]] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._writer_lock = threading.Lock()
        if log_questions:
            warm_up()  # so the curator view does not wait for it either

    @classmethod
    def from_settings(cls, settings: Settings) -> FeedbackLog:
        return cls(
            settings.feedback_url or settings.feedback_db,
            settings.log_questions,
            settings.retention_days,
            private_dir=settings.data_dir,
        )

    # -- connection --------------------------------------------------------------------------
    def _unavailable(self, exc: BaseException) -> FeedbackUnavailableError:
        where = self.url.render_as_string(hide_password=True)
        return FeedbackUnavailableError(
            "De vragenlog is nu niet bereikbaar. Probeer het later opnieuw.",
            details=f"de database {where} antwoordt niet ({type(exc).__name__}: {exc})",
        )

    def _prepare_file(self) -> None:
        assert self.file is not None
        if self.private_dir is not None:
            Path(self.private_dir).mkdir(mode=0o700, parents=True, exist_ok=True)
            _owner_only(Path(self.private_dir), 0o700)
        self.file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(self.file, os.O_CREAT | os.O_WRONLY, 0o600))
        _owner_only(self.file, 0o600)

    @property
    def engine(self) -> sa.Engine:
        with self._lock:
            if self._engine is None:
                args = {}
                if self.file is not None:
                    self._prepare_file()
                    args = {"connect_args": {"timeout": 10}}
                # hide_parameters: error messages never repeat the (personal) text written.
                engine = sa.create_engine(
                    self.url, pool_pre_ping=True, hide_parameters=True, **args
                )
                try:
                    _create_schema(engine)
                except sa.exc.SQLAlchemyError as exc:
                    engine.dispose()
                    raise self._unavailable(exc) from exc
                self._engine = engine
            return self._engine

    def _run(self, statement, fetch: bool = False):
        try:
            with self.engine.begin() as conn:
                result = conn.execute(statement)
                if fetch:
                    return result.all()
                return result
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise self._unavailable(exc) from exc

    # -- writing -----------------------------------------------------------------------------
    def _text(self, text: str, limit: int) -> str | None:
        """De-identified text to store, or None when question logging is off."""
        return redact(text[:limit]) if self.log_questions and text else None

    def record_question(
        self,
        question: str,
        kind: str,
        sources: list[str],
        channel: str = "chat",
        answer: str = "",
        *,
        at: datetime | None = None,
    ) -> None:
        """Queue one asked question; it is de-identified and written in the background."""
        asked_at, sources_json = _iso(at), json.dumps(list(sources))

        def write() -> None:
            self._purge_now_and_then()
            self._run(
                questions.insert().values(
                    asked_at=asked_at,
                    channel=channel,
                    question=self._text(question, MAX_QUESTION),
                    kind=kind,
                    sources=sources_json,
                    answer=self._text(answer, MAX_ANSWER),
                )
            )

        self._defer(write)

    def record_feedback(
        self,
        question: str,
        kind: str,
        sources: list[str],
        liked: bool,
        comment: str = "",
        answer: str = "",
        *,
        at: datetime | None = None,
    ) -> int:
        """Store one rating and return its id (for add_comment). The row is written at once
        without text; the de-identified question, answer and comment follow in the background."""
        result = self._run(
            feedback.insert().values(
                given_at=_iso(at),
                question=None,
                kind=kind,
                sources=json.dumps(list(sources)),
                rating=1 if liked else -1,
                comment="",
                answer=None,
            )
        )
        feedback_id = int(result.inserted_primary_key[0])

        def write() -> None:
            self._purge_now_and_then()
            self._run(
                feedback.update()
                .where(feedback.c.id == feedback_id)
                .values(
                    question=self._text(question, MAX_QUESTION),
                    answer=self._text(answer, MAX_ANSWER),
                )
            )

        self._defer(write)
        self.add_comment(feedback_id, comment)
        return feedback_id

    def add_comment(self, feedback_id: int, comment: str) -> None:
        """Attach a (de-identified) comment to a rating; a second comment is appended."""
        comment = comment.strip()
        if not comment:
            return

        def write() -> None:
            text = redact(comment[:MAX_COMMENT])
            old = sa.func.coalesce(feedback.c.comment, "")
            joined = sa.case((old == "", text), else_=old + " | " + text)
            self._run(
                feedback.update().where(feedback.c.id == int(feedback_id)).values(comment=joined)
            )

        self._defer(write)

    # -- background writing ------------------------------------------------------------------
    # De-identification needs deduce, which takes 10-50 s to load once: a question is never
    # kept waiting for it. Writes keep their order; reading first waits for pending writes.
    def _defer(self, job: Callable[[], None]) -> None:
        with self._writer_lock:
            if self._writer is None or not self._writer.is_alive():
                self._writer = threading.Thread(
                    target=self._write_loop, name="feedback-writer", daemon=True
                )
                self._writer.start()
                atexit.register(self.flush, 30)
        self._jobs.put(job)

    def _write_loop(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                job()
            except RuntimeError as exc:  # the redaction worker stops with the interpreter
                log.warning("question log: a write was dropped (%s)", type(exc).__name__)
            except Exception as exc:  # noqa: BLE001 - never the text: it may hold personal data
                log.error("question log: a write failed (%s)", type(exc).__name__)
            finally:
                self._jobs.task_done()

    def flush(self, timeout: float = 120) -> bool:
        """Wait until every queued write is done; False when the timeout passed first."""
        deadline = time.monotonic() + timeout
        with self._jobs.all_tasks_done:
            while self._jobs.unfinished_tasks:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._jobs.all_tasks_done.wait(remaining):
                    return False
        return True

    # -- retention ---------------------------------------------------------------------------
    def purge(self, now: datetime | None = None) -> int:
        """Delete questions and feedback older than the retention period; returns the count."""
        self.flush()
        return self._purge(now)

    def _purge(self, now: datetime | None = None) -> int:
        cutoff = _iso((now or datetime.now(UTC)) - self.retention)
        deleted = self._run(questions.delete().where(questions.c.asked_at < cutoff)).rowcount
        deleted += self._run(feedback.delete().where(feedback.c.given_at < cutoff)).rowcount
        self._purged = time.monotonic()
        if deleted:
            log.info("retention: deleted %d rows older than %s", deleted, cutoff)
        return deleted

    def _purge_now_and_then(self) -> None:
        if time.monotonic() - self._purged > PURGE_EVERY_SECONDS:
            self._purge()

    # -- reading -----------------------------------------------------------------------------
    def unanswered(self, limit: int = 200) -> list[Count]:
        self.flush()
        q = questions.c
        rows = self._run(
            sa.select(sa.func.min(q.question), sa.func.count(), sa.func.max(q.asked_at), q.channel)
            .where(q.kind == "no_answer", q.question.is_not(None), q.question != "")
            .group_by(sa.func.lower(q.question), q.channel)
            .order_by(sa.func.max(q.asked_at).desc(), sa.func.max(q.id).desc())
            .limit(limit),
            fetch=True,
        )
        return [Count(text, n, last, "", channel) for text, n, last, channel in rows]

    def disliked(self, limit: int = 200) -> list[Rated]:
        self.flush()
        f = feedback.c
        rows = self._run(
            sa.select(f.question, f.answer, f.sources, f.comment, f.given_at)
            .where(f.rating < 0)
            .order_by(f.given_at.desc(), f.id.desc())
            .limit(limit),
            fetch=True,
        )
        return [
            Rated(question or NOT_STORED, answer or "", json.loads(sources), comment or "", at)
            for question, answer, sources, comment, at in rows
        ]


def _create_schema(engine: sa.Engine) -> None:
    """Create the tables, and add columns that logs of earlier versions lack."""
    try:
        _metadata.create_all(engine)
    except (sa.exc.IntegrityError, sa.exc.OperationalError, sa.exc.ProgrammingError):
        time.sleep(0.5)  # another instance created them at the same moment: they exist now
        _metadata.create_all(engine)
    inspector = sa.inspect(engine)
    with engine.begin() as conn:
        for table in (questions, feedback):
            have = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name not in have:
                    kind = column.type.compile(engine.dialect)
                    conn.execute(
                        sa.text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}")
                    )


def _owner_only(path: Path, mode: int) -> None:
    """chmod to `mode` when the file or folder is ours and not a shared folder like /tmp."""
    try:
        info = path.stat()
    except FileNotFoundError:
        return
    if info.st_uid == os.geteuid() and not info.st_mode & stat.S_ISVTX:
        if stat.S_IMODE(info.st_mode) != mode:
            os.chmod(path, mode)
