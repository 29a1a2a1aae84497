"""Does the corpus answer this question? Decided by meaning and lexical evidence together.

A logistic regression over the question's embedding plus three retrieval signals (best
passage similarity, best sentence similarity, idf-weighted word coverage), fitted on labelled
questions (answerable paraphrases and the out-of-scope questions caregivers really ask) by
`python -m assistant calibrate`. The fitted model is a small JSON file per embedding model in
assistant/resources/, with its threshold and the figures measured when it was made. For an
embedding model without such a file the lexical coverage rule of the first version decides.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .retrieval import Retrieval, Similarity

RESOURCES = Path(__file__).parent / "resources"
SIGNALS = ("dense_top", "sentence_top", "coverage", "passage_top")


def resource_path(embedding_model: str, folder: Path = RESOURCES) -> Path:
    slug = re.sub(r"[^a-z0-9]+", "-", embedding_model.lower()).strip("-")
    return folder / f"answerability-{slug}.json"


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

    def probability(self, x: np.ndarray) -> float:
        if x.shape[0] != len(self.coef):
            raise ValueError(f"expected {len(self.coef)} features, got {x.shape[0]}")
        z = (x - np.asarray(self.mean)) / np.asarray(self.scale)
        logit = float(z @ np.asarray(self.coef) + self.intercept)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> AnswerabilityModel | None:
        if not path.is_file():
            return None
        return cls(**json.loads(path.read_text(encoding="utf-8")))


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


def fit(
    x: np.ndarray,
    y: np.ndarray,
    embedding_model: str,
    max_false_refusals: float = 0.03,
    c: float = 1.0,
    folds: int = 5,
) -> AnswerabilityModel:
    """Fit on all rows; the threshold keeps cross-validated false refusals within the target."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def pipeline():
        return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))

    cv = StratifiedKFold(folds, shuffle=True, random_state=0)
    p = cross_val_predict(pipeline(), x, y, cv=cv, method="predict_proba")[:, 1]
    positives = np.sort(p[y])
    threshold = (
        float(positives[int(max_false_refusals * len(positives))]) if len(positives) else 0.5
    )
    final = pipeline().fit(x, y)
    scaler, lr = final.named_steps["standardscaler"], final.named_steps["logisticregression"]
    figures = {
        "training_questions": int(len(y)),
        "training_answerable": int(y.sum()),
        "cv_false_refusals": round(float((p[y] < threshold).mean()), 3),
        "cv_out_of_scope_refused": round(float((p[~y] < threshold).mean()), 3),
    }
    return AnswerabilityModel(
        embedding_model=embedding_model,
        mean=[float(v) for v in scaler.mean_],
        scale=[float(v) if v > 0 else 1.0 for v in scaler.scale_],
        coef=[float(v) for v in lr.coef_[0]],
        intercept=float(lr.intercept_[0]),
        threshold=round(threshold, 4),
        figures=figures,
    )
