"""Does the corpus answer this question? Decided by meaning and lexical evidence together.

A logistic regression over the question's embedding plus four retrieval signals (best
passage similarity, best sentence similarity, idf-weighted word coverage, the ranking model's
best document probability), averaged with the vote of the nearest labelled questions, both
fitted on labelled questions (answerable paraphrases and the out-of-scope questions caregivers
really ask) by `python -m assistant calibrate`. The fitted model is a small JSON file per
embedding model in assistant/resources/, with its threshold and the figures measured when it
was made. For an embedding model without such a file the lexical coverage rule of the first
version decides.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import weights
from .retrieval import Retrieval, Similarity
from .weights import (
    fitted_fields,
    load_fields,
    logistic,
    model_slug,
    pack_rows,
    standardised_logistic,
    unpack_rows,
)

RESOURCES = Path(__file__).parent / "resources"
SIGNALS = ("dense_top", "sentence_top", "coverage", "passage_top")
# The nearest labelled questions (question vectors centred on their mean, K, softmax
# temperature T) vote answerable or not; the probability is the mean of that vote and the
# regression. Leaving out one training file at a time (16 files, 1441 questions, 2026-11-30), at
# 3% false refusals, out-of-scope questions refused: regression alone 0.858, the mean 0.894 (K 7
# to 20 with T 0.05 all give 0.891 to 0.903; T 0.2 gives 0.87 to 0.88).
K_NEIGHBOURS = 10
TEMPERATURE = 0.05


def resource_path(embedding_model: str, folder: Path = RESOURCES) -> Path:
    return folder / f"answerability-{model_slug(embedding_model)}.json"


def sentence_top(similarity: Similarity, chunk_ids: list[str]) -> float:
    """The best sentence similarity to the question among the given passages (0: unknown)."""
    values = [v for cid in chunk_ids for v in similarity.to_query.get(cid, []) if not math.isnan(v)]
    return max(values, default=0.0)


def features(retrieval: Retrieval, best_sentence: float) -> np.ndarray:
    vector = retrieval.vector if retrieval.vector is not None else []
    # passage_top: the ranking model's probability for the best document (the fused score
    # when no ranking model is fitted for the embedding model).
    top = retrieval.passages[0].score if retrieval.passages else 0.0
    signals = [retrieval.dense_top, best_sentence, retrieval.coverage, top]
    return np.asarray(signals + list(vector), dtype=np.float64)


@dataclass
class AnswerabilityModel:
    """Standardise, then a linear model; answerable when the probability reaches `threshold`."""

    embedding_model: str
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float
    figures: dict = field(default_factory=dict)  # measured when fitted (cross-validated, held out)
    # The labelled questions that vote: pack_rows() of their centred unit vectors, plus
    # "answerable" (0/1 per row) and "center". None: the regression decides alone.
    neighbours: dict | None = None
    k: int = K_NEIGHBOURS
    temperature: float = TEMPERATURE

    def probability(self, x: np.ndarray) -> float:
        if x.shape[0] != len(self.coef):
            raise ValueError(f"expected {len(self.coef)} features, got {x.shape[0]}")
        p = logistic(x, self.mean, self.scale, self.coef, self.intercept)
        if not self.neighbours:
            return p
        rows, labels, center = self._examples()
        held_out = self.__dict__.get("_held_out")
        if held_out is not None:
            keep = np.asarray(self.neighbours.get("groups", [])) != held_out
            if keep.shape[0] == rows.shape[0]:
                rows, labels = rows[keep], labels[keep]
        vote = knn_vote(rows, labels, centred(x[len(SIGNALS) :], center), self.k, self.temperature)
        return (p + vote) / 2

    def holding_out(self, group: str | None) -> None:
        """While fitting on a training file, its own questions do not vote (not saved)."""
        self.__dict__["_held_out"] = group

    def _examples(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cached = self.__dict__.get("_unpacked")  # not a field: never saved
        if cached is None:
            n = self.neighbours
            cached = (
                unpack_rows(n),
                np.asarray(n["answerable"], dtype=np.float32),
                np.asarray(n["center"], dtype=np.float32),
            )
            self.__dict__["_unpacked"] = cached
        return cached

    def save(self, path: Path) -> None:
        weights.save(path, self)

    @classmethod
    def load(cls, path: Path) -> AnswerabilityModel | None:
        fields = load_fields(path)
        return cls(**fields) if fields is not None else None


@dataclass
class Verdict:
    answerable: bool
    probability: float  # of being answerable; the coverage itself under the lexical rule
    rule: str  # "model" or "coverage"


class AnswerabilityJudge:
    def __init__(
        self,
        model: AnswerabilityModel | None,
        min_coverage: float = 0.45,
        min_dense: float = 0.55,
        strong_coverage: float = 0.6,
    ):
        self.model = model
        self.min_coverage = min_coverage
        self.min_dense = min_dense
        self.strong_coverage = strong_coverage

    def judge(self, retrieval: Retrieval, best_sentence: float = 0.0) -> Verdict:
        if not retrieval.passages:
            return Verdict(False, 0.0, "model" if self.model else "coverage")
        if self.model is not None and retrieval.vector is not None:
            p = self.model.probability(features(retrieval, best_sentence))
            return Verdict(p >= self.model.threshold, p, "model")
        ok = retrieval.coverage >= self.strong_coverage or (
            retrieval.coverage >= self.min_coverage and retrieval.dense_top >= self.min_dense
        )
        return Verdict(ok, retrieval.coverage, "coverage")


def centred(vectors: np.ndarray, center: np.ndarray) -> np.ndarray:
    v = np.asarray(vectors, dtype=np.float32) - center
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def knn_vote(rows: np.ndarray, labels: np.ndarray, z: np.ndarray, k: int, t: float) -> float:
    """The similarity-weighted (softmax) share of answerable questions among the k nearest."""
    sims = rows @ z
    top = np.argsort(-sims)[:k]
    top = top[np.isfinite(sims[top])]
    if not top.size:
        return 0.0
    w = np.exp((sims[top] - sims[top].max()) / t)
    return float((w * labels[top]).sum() / w.sum())


def fit(
    x: np.ndarray,
    y: np.ndarray,
    embedding_model: str,
    groups: np.ndarray | None = None,
    max_false_refusals: float = 0.03,
    c: float = 1.0,
    k: int = K_NEIGHBOURS,
    temperature: float = TEMPERATURE,
) -> AnswerabilityModel:
    """Fit on all rows; the threshold keeps out-of-fold false refusals within the target.

    With `groups` (the file each question comes from) every file is predicted by a model fitted
    on the other files, its questions voting only with the other files' questions: as for
    questions nobody labelled. Without, 5 stratified folds."""
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold, cross_val_predict

    y = np.asarray(y, dtype=bool)
    if groups is not None:
        groups = np.asarray(groups)
        # Leaving out a file must leave both kinds of question to learn from.
        if any(len(set(y[groups != g].tolist())) < 2 for g in set(groups.tolist())):
            groups = None
    if groups is None:
        cv = StratifiedKFold(5, shuffle=True, random_state=0)
        groups = np.zeros(len(y), dtype=int)
        for i, (_, test) in enumerate(cv.split(x, y)):
            groups[test] = i
    lr = cross_val_predict(
        standardised_logistic(c), x, y, cv=LeaveOneGroupOut(), groups=groups, method="predict_proba"
    )[:, 1]
    vectors = np.asarray(x[:, len(SIGNALS) :], dtype=np.float32)
    center = vectors.mean(axis=0)
    rows = centred(vectors, center)
    labels = np.asarray(y, dtype=np.float32)
    vote = np.empty(len(y))
    for i in range(len(y)):
        other = groups != groups[i]
        vote[i] = knn_vote(rows[other], labels[other], rows[i], k, temperature)
    p = (lr + vote) / 2
    positives = np.sort(p[y])
    threshold = (
        float(positives[int(max_false_refusals * len(positives))]) if len(positives) else 0.5
    )
    final = standardised_logistic(c).fit(x, y)
    figures = {
        "training_questions": int(len(y)),
        "training_answerable": int(y.sum()),
        "cv_false_refusals": round(float((p[y] < threshold).mean()), 3),
        "cv_out_of_scope_refused": round(float((p[~y] < threshold).mean()), 3),
        "cv_groups": int(len(set(groups.tolist()))),
    }
    return AnswerabilityModel(
        embedding_model=embedding_model,
        **fitted_fields(final),
        threshold=round(threshold, 4),
        figures=figures,
        neighbours={
            **pack_rows(rows),
            "answerable": [int(v) for v in y],
            "groups": [str(g) for g in groups],
            "center": [round(float(v), 6) for v in center],
        },
        k=k,
        temperature=temperature,
    )
