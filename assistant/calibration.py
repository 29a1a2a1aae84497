"""Fit the answerability model on labelled questions and report it on held-out ones.

`python -m assistant calibrate TRAIN.tsv ... [--heldout FILE ...]` computes, for every labelled
question (answerable or NO_ANSWER; URGENT lines are skipped), the features the assistant uses
at run time, fits the model, prints cross-validated and held-out figures and writes the model
next to the code for the configured embedding model.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .answerability import AnswerabilityModel, features, fit, sentence_top
from .evaluation import Case


@dataclass
class HeldOutFigures:
    file: str
    answerable: int
    out_of_scope: int
    false_refusals: float
    out_of_scope_refused: float


def case_features(assistant, cases: list[Case]) -> tuple[np.ndarray, np.ndarray]:
    rows, labels = [], []
    for case in cases:
        if case.expected == "URGENT":
            continue
        query = assistant.retrieval_query(case.question, list(case.history))
        retrieval = assistant.retriever.search(query)
        similarity = assistant.retriever.similarity(retrieval, retrieval.passages)
        best = sentence_top(similarity, [p.chunk_id for p in retrieval.passages[:3]])
        rows.append(features(retrieval, best))
        labels.append(case.expected != "NO_ANSWER")
    return np.vstack(rows), np.asarray(labels, dtype=bool)


def held_out(model: AnswerabilityModel, x: np.ndarray, y: np.ndarray, file: str) -> HeldOutFigures:
    p = np.asarray([model.probability(row) for row in x])
    ok = p >= model.threshold
    return HeldOutFigures(
        file=file,
        answerable=int(y.sum()),
        out_of_scope=int((~y).sum()),
        false_refusals=round(float((~ok[y]).mean()) if y.any() else 0.0, 3),
        out_of_scope_refused=round(float((~ok[~y]).mean()) if (~y).any() else 1.0, 3),
    )


def calibrate(
    assistant, train: dict[str, list[Case]], heldout: dict[str, list[Case]], model_name: str
) -> tuple[AnswerabilityModel, list[HeldOutFigures]]:
    parts = [case_features(assistant, cases) for cases in train.values()]
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    model = fit(x, y, model_name)
    model.figures["training_files"] = sorted(train)
    reports = []
    for file, cases in heldout.items():
        hx, hy = case_features(assistant, cases)
        reports.append(held_out(model, hx, hy, file))
    model.figures["held_out"] = [r.__dict__ for r in reports]
    return model, reports
