"""Question and feedback log (SQLite) for curators: what could the corpus not answer?

No names, IP addresses or session ids are stored. Questions are redacted (e-mail
addresses, phone numbers, long digit runs, postcodes) before they are written, and
question logging can be switched off entirely (HECHTING_LOG_QUESTIONS=false).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

_REDACTIONS = [
    (re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+"), "[e-mail]"),
    (re.compile(r"(\+31|0031|\b0)[\s-]?\d([\s-]?\d){7,9}\b"), "[telefoon]"),
    (re.compile(r"\b\d{4}\s?[A-Z]{2}\b"), "[postcode]"),
    (re.compile(r"\b\d{6,}\b"), "[nummer]"),
]

SCHEMA = """
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY,
    asked_at TEXT NOT NULL,
    channel TEXT NOT NULL,
    question TEXT,
    kind TEXT NOT NULL,
    sources TEXT NOT NULL,
    answer TEXT
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    given_at TEXT NOT NULL,
    question TEXT,
    kind TEXT NOT NULL,
    sources TEXT NOT NULL,
    rating INTEGER NOT NULL,
    comment TEXT,
    answer TEXT
);
"""
# Columns added after the first release; added to older databases when they are opened.
_ADDED_COLUMNS = [("questions", "answer"), ("feedback", "answer")]


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text[:2000]


@dataclass
class Count:
    question: str
    count: int
    last: str  # ISO-8601, UTC
    comment: str = ""
    channel: str = "chat"


@dataclass
class Rated:
    """A down-rated answer: what was asked, what was answered, and what the user said."""

    question: str
    answer: str
    sources: list[str]
    comment: str
    given_at: str  # ISO-8601, UTC


class FeedbackLog:
    def __init__(self, path: Path, log_questions: bool = True):
        self.path = Path(path)
        self.log_questions = log_questions
        self._lock = threading.Lock()
        self._ready = False

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=10)
        if not self._ready:
            with self._lock:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn.executescript(SCHEMA)
                for table, column in _ADDED_COLUMNS:
                    names = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
                    if column not in names:
                        conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} TEXT")
                self._ready = True
        return conn

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).isoformat(timespec="seconds")

    def _text(self, question: str) -> str | None:
        return redact(question) if self.log_questions else None

    def record_question(
        self,
        question: str,
        kind: str,
        sources: list[str],
        channel: str = "chat",
        answer: str = "",
    ) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO questions (asked_at, channel, question, kind, sources, answer) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self._now(),
                    channel,
                    self._text(question),
                    kind,
                    json.dumps(sources),
                    answer[:4000] if self.log_questions else None,
                ),
            )

    def record_feedback(
        self,
        question: str,
        kind: str,
        sources: list[str],
        liked: bool,
        comment: str = "",
        answer: str = "",
    ) -> int:
        """Store a rating; returns its id so a comment can be added later."""
        with self._connect() as conn:
            cursor = conn.execute(
                "INSERT INTO feedback (given_at, question, kind, sources, rating, comment, answer) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    self._now(),
                    self._text(question),
                    kind,
                    json.dumps(sources),
                    1 if liked else -1,
                    redact(comment.strip())[:1000] if comment else "",
                    answer[:4000] if self.log_questions else None,
                ),
            )
            return int(cursor.lastrowid)

    def add_comment(self, feedback_id: int, comment: str) -> None:
        """Attach (or replace) the optional comment a user typed after the thumb."""
        with self._connect() as conn:
            conn.execute(
                "UPDATE feedback SET comment = ? WHERE id = ?",
                (redact(comment.strip())[:1000], int(feedback_id)),
            )

    def unanswered(self, limit: int = 200) -> list[Count]:
        """Questions (chat) and e-mails (helpdesk) the corpus could not answer, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT question, COUNT(*), MAX(asked_at), channel FROM questions "
                "WHERE kind = 'no_answer' AND question IS NOT NULL AND question != '' "
                "GROUP BY lower(question), channel ORDER BY MAX(asked_at) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Count(q, n, last, "", channel) for q, n, last, channel in rows]

    def disliked(self, limit: int = 200) -> list[Rated]:
        """Down-rated answers with the answer and sources that were given, newest first."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT COALESCE(question, '(niet bewaard)'), COALESCE(answer, ''), sources, "
                "COALESCE(comment, ''), given_at FROM feedback WHERE rating < 0 "
                "ORDER BY given_at DESC, id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Rated(q, a, json.loads(s or "[]"), c, at) for q, a, s, c, at in rows]
