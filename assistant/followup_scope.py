"""Does the corpus answer what a follow-up newly asks, or only the question before it?

Read together with the previous question, "en wordt dat vergoed?" after a question about a
book finds the book's page, and the page answers the previous question: the combined search
looks answerable although nothing in the corpus says anything about reimbursement. Whether the
follow-up's own new subject is there shows in the passages found together:

- how close the best sentence comes to the follow-up read alone (`own_top`), how much closer
  any sentence is to the follow-up than to the previous question (`own_gain`), and how far the
  best sentence stands out from the others (`own_peak`);
- which share of the follow-up's new words (not stopwords, not in the previous question),
  weighted by idf, occur in those passages (`new_coverage`), and how many there are;
- the answerability of the follow-up alone and of the two read together.

A logistic regression over these, fitted by `python -m assistant calibrate` on the labelled
follow-ups that are read together and found answerable (answerable ones and out-of-scope ones,
each file predicted by a model fitted without it), decides; its threshold refuses at most
FALSE_REFUSALS of the answerable follow-ups it sees. Without a fitted model nothing changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .text import STOPWORDS, sentences, words
from .weights import (
    LogisticModel,
    fitted_fields,
    left_out_predictions,
    model_slug,
    standardised_logistic,
)

RESOURCES = Path(__file__).parent / "resources"
FEATURES = (
    "p_alone",
    "p_combined",
    "own_top",
    "own_gain",
    "own_peak",
    "new_coverage",
    "new_words",
)
TOP_PASSAGES = 3
# The share of answerable follow-ups (read together, found answerable) the threshold may refuse.
# 2026-11-30, leaving out one file at a time (12 files; after the follow-up reading, 220 such
# answerable follow-ups and 120 out of scope): 0.027 of the answerable ones refused, 0.575 of the
# out-of-scope ones. On the first 10 files (229, 64 out of scope): 0.44 at 0.03, 0.48 at 0.05,
# 0.55 at 0.10.
FALSE_REFUSALS = 0.03


def resource_path(embedding_model: str, folder: Path = RESOURCES) -> Path:
    return folder / f"followup-scope-{model_slug(embedding_model)}.json"


def features(
    retriever,
    question: str,
    previous: str,
    vector: Sequence[float],
    previous_vector: Sequence[float],
    together,
    p_alone: float,
) -> np.ndarray:
    """`together`: the search of the two questions read together (pipeline.Found)."""
    top = together.retrieval.passages[:TOP_PASSAGES]
    own, before = _sentence_similarities(retriever, top, (vector, previous_vector))
    known = ~np.isnan(own) & ~np.isnan(before)
    own, before = own[known], before[known]
    if len(own):
        own_top = float(own.max())
        own_gain = float((own - before).max())
        own_peak = float((own.max() - own.mean()) / (own.std() + 1e-6)) if len(own) > 1 else 0.0
    else:
        own_top = own_gain = own_peak = 0.0
    earlier = set(words(previous))
    new = [w for w in words(question) if w not in STOPWORDS and w not in earlier]
    found = set(words(" ".join(p.text for p in top)))
    idf = [retriever.idf(w) for w in new]
    total = sum(idf)
    coverage = sum(i for w, i in zip(new, idf, strict=True) if w in found) / total if total else 1.0
    return np.asarray(
        [
            p_alone,
            together.probability,
            own_top,
            own_gain,
            own_peak,
            coverage,
            float(len(new)),
        ],
        dtype=np.float64,
    )


def _sentence_similarities(retriever, passages, queries) -> tuple[np.ndarray, ...]:
    """Each passage sentence's cosine similarity to each query vector (NaN where a sentence has
    no stored vector); the sentence vectors are fetched once."""
    stored = retriever.sentence_vectors(passages)
    ids = [f"{p.chunk_id}#{n}" for p in passages for n in range(len(sentences(p.text)))]
    dim = len(queries[0])
    rows = np.asarray([stored.get(i, [np.nan] * dim) for i in ids], dtype=np.float64)
    rows = rows.reshape(len(ids), dim)
    return tuple(rows @ np.asarray(q, dtype=np.float64) for q in queries)


class ScopeModel(LogisticModel):
    """P(the corpus answers what the follow-up newly asks); answered from `threshold`."""

    def answers(self, x: np.ndarray) -> bool:
        return self.probability(x) >= self.threshold


def fit(
    x: np.ndarray,
    y: np.ndarray,
    groups: Sequence[str],
    embedding_model: str,
    false_refusals: float = FALSE_REFUSALS,
    c: float = 1.0,
) -> ScopeModel | None:
    """y: the follow-up is answerable. The threshold comes from every file predicted by a
    model fitted on the other files (5 stratified folds when leaving out a file would leave
    one kind only). None without enough of both kinds."""
    y = np.asarray(y, dtype=bool)
    if y.sum() < 5 or (~y).sum() < 5:
        return None
    p = left_out_predictions(x, y, groups, c)
    answerable = np.sort(p[y])
    threshold = float(answerable[int(false_refusals * len(answerable))])
    final = standardised_logistic(c).fit(x, y)
    return ScopeModel(
        embedding_model=embedding_model,
        **fitted_fields(final),
        threshold=round(threshold, 6),
        figures={
            "answerable_follow_ups": int(y.sum()),
            "out_of_scope_follow_ups": int((~y).sum()),
            "left_out_file_answerable_refused": round(float((p[y] < threshold).mean()), 3),
            "left_out_file_out_of_scope_refused": round(float((p[~y] < threshold).mean()), 3),
        },
    )
