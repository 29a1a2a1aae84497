"""Fitted weights stored as JSON: written atomically, versioned, vectors as base64 float16;
and the standardised logistic regression several of the fitted models share."""

from __future__ import annotations

import base64
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np


def save(path: Path, weights) -> None:
    """Write a weights dataclass; a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(weights), ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def load(path: Path, version: int) -> dict:
    """The stored fields; ValueError when the file has another format version."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != version:
        raise ValueError(f"{path}: weights format {data.get('version')}, expected {version}")
    return data


def pack_rows(z: np.ndarray) -> dict:
    rows = np.asarray(z, dtype="<f2")
    return {"rows": base64.b64encode(rows.tobytes()).decode("ascii"), "shape": list(rows.shape)}


def unpack_rows(packed: dict) -> np.ndarray:
    rows = np.frombuffer(base64.b64decode(packed["rows"]), dtype="<f2").astype(np.float32)
    return rows.reshape(packed["shape"])


def model_slug(name: str) -> str:
    """A file-name-safe form of an embedding model's name: 'intfloat/x-y' -> 'intfloat-x-y'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "model"


def load_fields(path: Path) -> dict | None:
    """The stored fields of an unversioned weights file; None when there is no file."""
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def logistic(x, mean, scale, coef, intercept: float) -> float:
    """P(yes) of a logistic regression over standardised features."""
    z = (np.asarray(x) - np.asarray(mean)) / np.asarray(scale)
    logit = float(z @ np.asarray(coef) + intercept)
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, logit))))


def standardised_logistic(c: float = 1.0):
    """An unfitted scikit-learn pipeline: standardise, then a logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000))


def fitted_fields(pipeline) -> dict:
    """The weights of a fitted standardised_logistic() pipeline, as stored (see logistic())."""
    scaler = pipeline.named_steps["standardscaler"]
    lr = pipeline.named_steps["logisticregression"]
    return {
        "mean": [float(v) for v in scaler.mean_],
        "scale": [float(v) if v > 0 else 1.0 for v in scaler.scale_],
        "coef": [float(v) for v in lr.coef_[0]],
        "intercept": float(lr.intercept_[0]),
    }


def left_out_predictions(x: np.ndarray, y: np.ndarray, groups, c: float = 1.0) -> np.ndarray:
    """P(yes) for every row from a standardised_logistic() fitted without the row's file (5
    stratified folds when leaving out a file would leave one kind only)."""
    from sklearn.model_selection import LeaveOneGroupOut, StratifiedKFold, cross_val_predict

    splits = list(LeaveOneGroupOut().split(x, y, np.asarray(groups)))
    if any(len(set(y[train])) < 2 for train, _ in splits):
        folds = int(min(5, y.sum(), (~y).sum()))
        splits = list(StratifiedKFold(folds, shuffle=True, random_state=0).split(x, y))
    return cross_val_predict(standardised_logistic(c), x, y, cv=splits, method="predict_proba")[
        :, 1
    ]


@dataclass
class LogisticModel:
    """A fitted standardised_logistic() with its threshold and the figures measured when it was
    fitted, stored as an unversioned JSON file."""

    embedding_model: str
    mean: list[float]
    scale: list[float]
    coef: list[float]
    intercept: float
    threshold: float = 0.5
    figures: dict = field(default_factory=dict)

    def probability(self, x: np.ndarray) -> float:
        return logistic(x, self.mean, self.scale, self.coef, self.intercept)

    def save(self, path: Path) -> None:
        save(path, self)

    @classmethod
    def load(cls, path: Path):
        fields = load_fields(path)
        return cls(**fields) if fields is not None else None
