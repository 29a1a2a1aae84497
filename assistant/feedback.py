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
    sources TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY,
    given_at TEXT NOT NULL,
    question TEXT,
    kind TEXT NOT NULL,
    sources TEXT NOT NULL,
    rating INTEGER NOT NULL,
    comment TEXT
);
"""


def redact(text: str) -> str:
    for pattern, replacement in _REDACTIONS:
        text = pattern.sub(replacement, text)
    return text[:2000]


@dataclass
class Count:
    question: str
    count: int
    last: str
    comment: str = ""


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
                self._ready = True
        return conn

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).isoformat(timespec="seconds")

    def _text(self, question: str) -> str | None:
        return redact(question) if self.log_questions else None

    def record_question(
        self, question: str, kind: str, sources: list[str], channel: str = "chat"
    ) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO questions (asked_at, channel, question, kind, sources) VALUES (?, ?, ?, ?, ?)",
                (self._now(), channel, self._text(question), kind, json.dumps(sources)),
            )

    def record_feedback(
        self, question: str, kind: str, sources: list[str], liked: bool, comment: str = ""
    ) -> None:
        with self._connect() as conn:
            conn.execute(
                "INSERT INTO feedback (given_at, question, kind, sources, rating, comment) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    self._now(),
                    self._text(question),
                    kind,
                    json.dumps(sources),
                    1 if liked else -1,
                    redact(comment.strip())[:1000] if comment else "",
                ),
            )

    def unanswered(self, limit: int = 200) -> list[Count]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT question, COUNT(*), MAX(asked_at) FROM questions "
                "WHERE kind = 'no_answer' AND question IS NOT NULL AND question != '' "
                "GROUP BY lower(question) ORDER BY MAX(asked_at) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Count(q, n, last) for q, n, last in rows]

    def disliked(self, limit: int = 200) -> list[Count]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT COALESCE(question, '(niet bewaard)'), COUNT(*), MAX(given_at), "
                "GROUP_CONCAT(NULLIF(comment, ''), ' | ') FROM feedback WHERE rating < 0 "
                "GROUP BY lower(COALESCE(question, '')) ORDER BY MAX(given_at) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [Count(q, n, last, c or "") for q, n, last, c in rows]
