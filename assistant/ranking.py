"""Which documents answer a question: a ranking model fitted on labelled questions.

Hybrid retrieval (BM25 + dense) alone ranks the right source first for about three in four
questions written by people who never saw the corpus: a one-topic corpus puts many documents
close together in meaning, and real questions share few words with the text. Labelled example
questions carry what neither signal has: which documents people with similar questions needed.

Per candidate document the model sees its dense similarity, its BM25 score and whether it is the
kind of resource asked for (each as is and relative to the best candidate), plus a vote of the
nearest labelled example questions (similarity-weighted, softmax with `temperature`) for the
documents that answered them. A logistic regression over these gives each document a
probability of answering; documents are ranked by it. `python -m assistant calibrate` fits the
model per embedding model (file `assistant/resources/ranking-<model>.json`, with its example
vectors and the figures measured when it was fitted: each labelled file scored by a model fitted
without it). Without such a file retrieval ranks by the fused score, as before.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .weights import model_slug

RESOURCES = Path(__file__).parent / "resources"
FORMAT_VERSION = 1
# Nearest example questions that vote, and the softmax temperature over their similarities.
# Question vectors are centred on the examples' mean and renormalised first: the direction all
# questions share ("is er een boek over hechting?") otherwise outweighs what they ask about.
# Chosen by leave-one-file-out over the ten labelled files (600 questions), right@1 / right@3:
# raw cosine K 10, T 0.02: 0.863 / 0.960 (T 0.05: 0.840 / 0.952); centred K 10, T 0.1:
# 0.872 / 0.960; centred K 20, T 0.1 / 0.15 / 0.2: 0.873 / 0.965, 0.872 / 0.960, 0.857 / 0.952.
K_NEIGHBOURS = 20
TEMPERATURE = 0.1
# The signals of one candidate document, before the relative copies and the vote are added.
SIGNALS = ("dense", "lexical", "resource")


def resource_path(embedding_model: str, folder: Path = RESOURCES) -> Path:
    return folder / f"ranking-{model_slug(embedding_model)}.json"


@dataclass
class Example:
    """A labelled question: the text that was embedded and the documents that answer it."""

    text: str
    docs: tuple[str, ...]
    group: str = ""  # the file it came from: fitting never lets a file vote for itself


@dataclass
class Vote:
    """What the nearest example questions point to: documents and key sentences."""

    docs: dict[str, float] = field(default_factory=dict)  # document id -> share (sums to 1)
    keys: dict[str, float] = field(default_factory=dict)  # key phrase -> share


@dataclass
class Examples:
    vectors: np.ndarray  # (n, dim), centred on `center` and unit length
    docs: list[tuple[str, ...]]
    groups: list[str] = field(default_factory=list)
    # A few literal words of the sentence that best answers each example ("" if unknown).
    keys: list[str] = field(default_factory=list)
    center: np.ndarray | None = None

    @classmethod
    def of(cls, vectors: np.ndarray, docs, groups=(), keys=()) -> Examples:
        """Examples from raw question embeddings (centred and renormalised here)."""
        vectors = np.asarray(vectors, dtype=np.float32)
        center = vectors.mean(axis=0)
        return cls(_unit(vectors - center), list(docs), list(groups), list(keys), center)

    def project(self, vector: Sequence[float]) -> np.ndarray:
        v = np.asarray(vector, dtype=np.float32)
        return _unit(v - self.center) if self.center is not None else v

    def __len__(self) -> int:
        return len(self.docs)

    def vote(
        self,
        vector: Sequence[float],
        k: int = K_NEIGHBOURS,
        temperature: float = TEMPERATURE,
        exclude_group: str | None = None,
    ) -> Vote:
        """The similarity-weighted vote (softmax) of the k nearest examples."""
        out = Vote()
        if not len(self):
            return out
        sims = self.vectors @ self.project(vector)
        if exclude_group is not None:
            sims = np.where(np.asarray(self.groups) == exclude_group, -np.inf, sims)
        top = np.argsort(-sims)[:k]
        top = top[np.isfinite(sims[top])]
        if not top.size:
            return out
        weights = np.exp((sims[top] - sims[top].max()) / temperature)
        for w, i in zip(weights / weights.sum(), top, strict=True):
            for doc in self.docs[i]:
                out.docs[doc] = out.docs.get(doc, 0.0) + float(w) / len(self.docs[i])
            key = self.keys[i] if i < len(self.keys) else ""
            if key:
                out.keys[key] = out.keys.get(key, 0.0) + float(w)
        return out

    def pack(self) -> dict:
        rows = np.asarray(self.vectors, dtype="<f2")
        return {
            "rows": base64.b64encode(rows.tobytes()).decode("ascii"),
            "shape": list(rows.shape),
            "docs": [list(d) for d in self.docs],
            "groups": list(self.groups),
            "keys": list(self.keys),
            "center": [round(float(v), 6) for v in self.center]
            if self.center is not None
            else None,
        }

    @classmethod
    def unpack(cls, packed: dict) -> Examples:
        rows = np.frombuffer(base64.b64decode(packed["rows"]), dtype="<f2").astype(np.float32)
        docs = [tuple(d) for d in packed["docs"]]
        groups, keys = list(packed.get("groups", [])), list(packed.get("keys", []))
        center = packed.get("center")
        center = np.asarray(center, dtype=np.float32) if center is not None else None
        return cls(rows.reshape(packed["shape"]), docs, groups, keys, center)


def _unit(x: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.maximum(norm, 1e-9)


def doc_features(signals: np.ndarray, votes: np.ndarray) -> np.ndarray:
    """Model input for the candidate documents of one question.

    `signals`: (docs, len(SIGNALS)); `votes`: (docs,). Each signal as is and relative to the
    best candidate, BM25 scaled to the best candidate, and the example vote."""
    signals = np.asarray(signals, dtype=np.float64)
    lexical = signals[:, SIGNALS.index("lexical")]
    top_lexical = float(lexical.max()) if lexical.size else 0.0
    scaled = lexical / top_lexical if top_lexical > 0 else np.zeros_like(lexical)
    return np.hstack(
        [signals, signals - signals.max(axis=0), scaled[:, None], np.asarray(votes)[:, None]]
    )


@dataclass
class RankingModel:
    embedding_model: str
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    examples: dict  # Examples.pack()
    k: int = K_NEIGHBOURS
    temperature: float = TEMPERATURE
    figures: dict = field(default_factory=dict)
    version: int = FORMAT_VERSION
    _examples: Examples | None = field(default=None, repr=False, compare=False)
    # While calibrating on a training file, its own examples do not vote (not saved).
    _held_out: str | None = field(default=None, repr=False, compare=False)

    def holding_out(self, group: str | None) -> None:
        self._held_out = group

    @property
    def neighbours(self) -> Examples:
        if self._examples is None:
            self._examples = Examples.unpack(self.examples)
        return self._examples

    def probabilities(self, features: np.ndarray) -> np.ndarray:
        z = (np.asarray(features) - np.asarray(self.mean)) / np.asarray(self.scale)
        logit = np.clip(z @ np.asarray(self.coef) + self.intercept, -60.0, 60.0)
        return 1.0 / (1.0 + np.exp(-logit))

    def vote(self, vector: Sequence[float]) -> Vote:
        return self.neighbours.vote(vector, self.k, self.temperature, self._held_out)

    def rank(self, doc_ids: list[str], signals: np.ndarray, vote: Vote) -> np.ndarray:
        """Probability that each candidate document answers the question."""
        v = np.asarray([vote.docs.get(d, 0.0) for d in doc_ids])
        return self.probabilities(doc_features(signals, v))

    def save(self, path: Path) -> None:
        data = asdict(self)
        data.pop("_examples")
        data.pop("_held_out")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> RankingModel | None:
        if not path.is_file():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(f"{path}: format {data.get('version')}, expected {FORMAT_VERSION}")
        return cls(**data)


@dataclass
class LabelledQuestion:
    """One labelled question's candidate documents, for fitting."""

    group: str
    doc_ids: list[str]
    signals: np.ndarray
    relevant: np.ndarray  # bool per candidate
    vector: np.ndarray


def fit(
    questions: list[LabelledQuestion],
    examples: Examples,
    embedding_model: str,
    c: float = 1.0,
    k: int = K_NEIGHBOURS,
    temperature: float = TEMPERATURE,
) -> RankingModel:
    """Fit on all questions; each question's vote comes from the examples of other files, as
    for a question nobody labelled. Figures: each file scored by a model fitted without it."""
    from sklearn.linear_model import LogisticRegression

    def matrix(q: LabelledQuestion, exclude: str) -> np.ndarray:
        votes = examples.vote(q.vector, k, temperature, exclude_group=exclude).docs
        return doc_features(q.signals, np.asarray([votes.get(d, 0.0) for d in q.doc_ids]))

    rows = [matrix(q, q.group) for q in questions]
    labels = [q.relevant for q in questions]

    def fitted(index: list[int]):
        x = np.vstack([rows[i] for i in index])
        y = np.concatenate([labels[i] for i in index])
        mean, scale = x.mean(axis=0), x.std(axis=0)
        scale[scale == 0] = 1.0
        lr = LogisticRegression(C=c, max_iter=5000, class_weight="balanced")
        return mean, scale, lr.fit((x - mean) / scale, y)

    per_file = {}
    for group in sorted({q.group for q in questions}):
        train = [i for i, q in enumerate(questions) if q.group != group]
        test = [i for i, q in enumerate(questions) if q.group == group]
        if not train or not test:
            continue
        mean, scale, lr = fitted(train)
        hits1 = hits3 = 0
        for i in test:
            # The held-out file's question votes with the other files' examples only.
            order = np.argsort(-lr.decision_function((rows[i] - mean) / scale), kind="stable")
            hits1 += int(labels[i][order[0]])
            hits3 += int(labels[i][order[:3]].any())
        per_file[group] = {
            "questions": len(test),
            "right_at_1": round(hits1 / len(test), 3),
            "right_at_3": round(hits3 / len(test), 3),
        }
    mean, scale, lr = fitted(list(range(len(questions))))
    return RankingModel(
        embedding_model=embedding_model,
        mean=[float(v) for v in mean],
        scale=[float(v) for v in scale],
        coef=[float(v) for v in lr.coef_[0]],
        intercept=float(lr.intercept_[0]),
        examples=examples.pack(),
        k=k,
        temperature=temperature,
        figures={"questions": len(questions), "left_out_file": per_file},
    )
