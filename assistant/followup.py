"""Does a question lean on the previous turn ("en wat kan ik dan doen?"), or stand on its own?

In a chat every question after the first has a history, and most of them are new questions.
Reading a question together with the previous one ("previous question + question") answers a
follow-up, but drags a new question toward the old topic, and lets an out-of-scope question
("hoe vraag ik een pgb aan?") be answered from the previous topic's pages. A pattern on words
like "dat" or "het" cannot tell the two apart: "wat is het verschil tussen ..." has "het" too.

A logistic regression decides, over eight signals: the follow-up words (a short question opening
with "en", "maar" or pointing back with "dat", "die", "daar"), other words that can point back
("het", "er", "ze", "daarover"), the number of content words and of words, how close the two
questions are in meaning, and the answerability probability of the question alone, of the two
read together, and their difference. `python -m assistant calibrate` fits it on the labelled
follow-ups (with their real previous question) and the other labelled questions (each with a
previous question drawn at random from the others): it learns what a follow-up looks like, not
which one. Without a fitted model the follow-up words alone decide, as before.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .text import words
from .weights import (
    LogisticModel,
    fitted_fields,
    left_out_predictions,
    model_slug,
    standardised_logistic,
)

RESOURCES = Path(__file__).parent / "resources"
FEATURES = (
    "cue",
    "pointing_words",
    "content_words",
    "log_words",
    "similarity",
    "p_alone",
    "p_combined",
    "p_gain",
)
# The follow-up words of the first version: a short question opening with a conjunction or
# pointing back to something just named.
CUE = re.compile(
    r"^\s*(en|maar|ook|dus)\b|\b(dat|dit|die|daar|daarmee|daarvan|hem|haar|hun|zo'n|zoiets)\b"
)
# Words that may point back but often do not ("wat is het verschil ...").
POINTING = re.compile(
    r"\b(deze|het|ze|zij|er|er(aan|bij|in|mee|over|van|voor|uit|op|door)|daar\w+)\b"
)
MAX_CONTENT_WORDS = 4  # the first version's rule: longer questions stand on their own
# The threshold reads at most this share of other questions together with a previous question
# (each file predicted by a model fitted without it). Measured end to end on 2026-11-30 (set 4,
# set 5 and unseen questions, 257 answerable, each after a random other question; 161 answerable
# follow-ups of four files): threshold 0.5 (others read alone 0.92) gives right@1 0.961 for the
# questions and 0.894 for the follow-ups, 0.7 (0.97) gives 0.984 and 0.870: the same mean, and
# new questions are most of what people ask after a first one.
OTHERS_READ_ALONE = 0.97


def resource_path(embedding_model: str, folder: Path = RESOURCES) -> Path:
    return folder / f"followup-{model_slug(embedding_model)}.json"


def content_words(question: str, stopwords: frozenset[str] | set[str]) -> int:
    return len([w for w in words(question) if w not in stopwords])


def cue(question: str, stopwords) -> bool:
    """The first version's rule: few content words and a follow-up word."""
    short = content_words(question, stopwords) <= MAX_CONTENT_WORDS
    return short and bool(CUE.search(question.lower()))


def features(
    question: str,
    stopwords,
    similarity: float,
    p_alone: float,
    p_combined: float,
) -> np.ndarray:
    lowered = question.lower()
    return np.asarray(
        [
            float(bool(CUE.search(lowered))),
            float(bool(POINTING.search(lowered))),
            float(content_words(question, stopwords)),
            math.log(max(1, len(question.split()))),
            similarity,
            p_alone,
            p_combined,
            p_combined - p_alone,
        ],
        dtype=np.float64,
    )


class FollowUpModel(LogisticModel):
    """P(the question leans on the previous one); read together from `threshold`."""


@dataclass
class Reading:
    """How a question with a history is read: together with the previous question, or alone."""

    combined: bool
    probability: float | None  # P(follow-up); None when the follow-up words decided


class FollowUpJudge:
    def __init__(self, model: FollowUpModel | None, stopwords):
        self.model = model
        self.stopwords = stopwords

    def read(self, question: str, similarity: float, p_alone: float, p_combined: float) -> Reading:
        if self.model is None:
            return Reading(cue(question, self.stopwords), None)
        x = features(question, self.stopwords, similarity, p_alone, p_combined)
        p = self.model.probability(x)
        return Reading(p >= self.model.threshold, p)

    def may_combine(self, question: str, similarity: float, p_alone: float) -> bool:
        """False when no answerability of the two questions together could make this a
        follow-up: the search with the previous question is then not needed at all (the model
        is linear, so the most favourable value is 0 or 1)."""
        if self.model is None:
            return cue(question, self.stopwords)
        return any(self.read(question, similarity, p_alone, p).combined for p in (0.0, 1.0))


def fit(
    x: np.ndarray,
    y: np.ndarray,
    groups: Sequence[str],
    embedding_model: str,
    c: float = 1.0,
    others_alone: float = OTHERS_READ_ALONE,
) -> FollowUpModel | None:
    """Fit on all rows; figures: every file predicted by a model fitted on the other files (5
    stratified folds when leaving out a file would leave one kind only). None without both
    kinds of question: the follow-up words then decide."""
    y = np.asarray(y, dtype=bool)
    if y.sum() < 2 or (~y).sum() < 2:
        return None
    p = left_out_predictions(x, y, groups, c)
    final = standardised_logistic(c).fit(x, y)
    others = np.sort(p[~y])
    threshold = max(0.5, float(others[min(len(others) - 1, int(others_alone * len(others)))]))
    return FollowUpModel(
        embedding_model=embedding_model,
        **fitted_fields(final),
        threshold=round(threshold, 6),
        figures={
            "follow_ups": int(y.sum()),
            "other_questions": int((~y).sum()),
            "left_out_file_follow_ups_read_together": round(float((p[y] >= threshold).mean()), 3),
            "left_out_file_others_read_alone": round(float((p[~y] < threshold).mean()), 3),
        },
    )
