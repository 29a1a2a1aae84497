"""Is a chat message a conversational turn (a greeting, thanks, "wat kun je?") rather than a
question for the content? A nearest-neighbour vote over labelled Dutch examples.

Searching the corpus for "Dank je wel!" or "hoi" finds something and answers it with a stray
sentence. A short turn that lies among the labelled conversational examples gets a short reply
of its own kind instead (still ending with the contact block). A real question sent to the
wrong place costs more than a greeting that gets searched, so the threshold keeps questions
classed as conversation (judged leave-one-out on the training rows) within `MAX_MISROUTED`.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from . import weights
from .text import words
from .urgency import QueryEmbedder, model_slug

log = logging.getLogger(__name__)

RESOURCES = Path(__file__).parent / "resources"
# Written conversational turns and hard questions (conversation-train.tsv) and the labelled
# training questions of tests/eval (conversation-questions.tsv, by bench/conversation_train.py).
TRAIN_GLOB = "conversation-*.tsv"
FORMAT_VERSION = 2
QUESTION = "vraag"
LABELS = ("groet", "dank", "afscheid", "bevestiging", "over_assistent", "ontevreden")
# Chosen by leave-one-out on the training rows (see bench/conversation_train.py): K 7 and a
# sharp temperature separated conversation from short questions best at a low misroute rate.
K_NEIGHBOURS = 7
TEMPERATURE = 0.05
MAX_MISROUTED = 0.002  # of the labelled questions, judged leave-one-out
MAX_WORDS = 12  # a longer message is always searched


@dataclass(frozen=True)
class Turn:
    label: str  # one of LABELS
    probability: float


@dataclass
class ConversationModel:
    embedding_model: str
    rows: dict  # the normalised training vectors (weights.pack_rows)
    labels: list[str]
    threshold: float
    figures: dict = field(default_factory=dict)
    version: int = FORMAT_VERSION

    @cached_property
    def _arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return weights.unpack_rows(self.rows), np.array(self.labels)

    def classify(self, vector: Sequence[float]) -> Turn:
        """P(conversation) and, among the conversational neighbours, the likeliest kind."""
        rows, labels = self._arrays
        p, label = _vote(rows, labels, _unit(np.asarray(vector, dtype=np.float32)))
        return Turn(label, p)

    def save(self, path: Path) -> None:
        weights.save(path, self)

    @classmethod
    def load(cls, path: Path) -> ConversationModel:
        return cls(**weights.load(path, FORMAT_VERSION))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / max(float(np.linalg.norm(x)), 1e-9)


def _vote(rows: np.ndarray, labels: np.ndarray, z: np.ndarray, skip: int = -1):
    sim = rows @ z
    if skip >= 0:
        sim[skip] = -np.inf
    k = min(K_NEIGHBOURS, len(rows) - 1)
    nearest = np.argpartition(-sim, k - 1)[:k]
    weight = np.exp((sim[nearest] - sim[nearest].max()) / TEMPERATURE)
    near = labels[nearest]
    chat = near != QUESTION
    p = float((weight * chat).sum() / weight.sum())
    votes: dict[str, float] = {}
    for lab, w in zip(near[chat], weight[chat], strict=True):
        votes[str(lab)] = votes.get(str(lab), 0.0) + float(w)
    return p, max(votes, key=votes.get) if votes else QUESTION


def read_rows(path: Path) -> list[tuple[str, str]]:
    """`text<TAB>label` per line; '#' lines are comments."""
    rows, problems = [], []
    for n, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = [p.strip() for p in raw.split("\t")]
        if len(parts) != 2 or parts[1] not in (*LABELS, QUESTION):
            problems.append(
                f"{path}:{n}: expected text<TAB>label with label one of "
                f"{', '.join((*LABELS, QUESTION))}"
            )
            continue
        rows.append((parts[0], parts[1]))
    if problems:
        raise ValueError("\n".join(problems))
    return rows


def train(embedder: QueryEmbedder, paths: Sequence[Path] | None = None) -> ConversationModel:
    """Embed the labelled rows; the threshold from their leave-one-out votes."""
    paths = sorted(RESOURCES.glob(TRAIN_GLOB)) if paths is None else paths
    rows = [row for path in paths for row in read_rows(Path(path))]
    x = np.asarray(embedder.embed_queries([t for t, _ in rows]), dtype=np.float32)
    z = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-9)
    labels = np.array([lab for _, lab in rows])
    p = np.array([_vote(z, labels, z[i], skip=i)[0] for i in range(len(z))])
    chat = labels != QUESTION
    questions = np.sort(p[~chat])[::-1]
    allowed = int(MAX_MISROUTED * len(questions))
    threshold = float(questions[allowed]) + 1e-4 if len(questions) > allowed else 0.5
    figures = {
        "rows": len(rows),
        "conversational": int(chat.sum()),
        "loo_recall": round(float((p[chat] >= threshold).mean()), 3),
        "loo_questions_misrouted": int((p[~chat] >= threshold).sum()),
    }
    return ConversationModel(
        embedding_model=embedder.name,
        rows=weights.pack_rows(z),
        labels=[str(v) for v in labels],
        threshold=round(threshold, 4),
        figures=figures,
    )


def weights_name(embedding_model: str) -> str:
    return f"conversation-{model_slug(embedding_model)}.json"


class ConversationDetector:
    """`turn(text, vector)`: the kind of conversational turn, or None for a question."""

    def __init__(
        self,
        embedder: QueryEmbedder | None,
        model: ConversationModel | None = None,
        cache_dir: Path | None = None,
    ):
        self.embedder = embedder
        self.cache_dir = cache_dir
        self._model = model
        self._lock = threading.Lock()

    @property
    def model(self) -> ConversationModel | None:
        if self._model is None and self.embedder is not None:
            with self._lock:
                if self._model is None:
                    self._model = self._load_or_train()
        return self._model

    def _load_or_train(self) -> ConversationModel:
        name = weights_name(self.embedder.name)
        for path in [RESOURCES / name] + ([self.cache_dir / name] if self.cache_dir else []):
            if path.exists():
                try:
                    model = ConversationModel.load(path)
                except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
                    log.warning("ignoring conversation weights %s: %s", path, exc)
                    continue
                if model.embedding_model == self.embedder.name:
                    return model
        log.info("no conversation weights for %s; training them once", self.embedder.name)
        model = train(self.embedder)
        if self.cache_dir is not None:
            try:
                model.save(self.cache_dir / name)
            except OSError as exc:
                log.warning("could not cache conversation weights: %s", exc)
        return model

    def turn(self, text: str, vector: Sequence[float] | None = None) -> Turn | None:
        if not 0 < len(words(text)) <= MAX_WORDS:
            return None
        model = self.model
        if model is None:
            return None
        if vector is None:
            vector = self.embedder.embed_queries([text])[0]
        turn = model.classify(vector)
        return turn if turn.probability >= model.threshold else None
