"""Decide, before composing, whether a question is urgent, unanswerable or answerable."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from .answerability import AnswerabilityJudge, Verdict
from .mail import FAMILY_ROLES, role_of
from .retrieval import Retrieval
from .text import fold
from .urgency import Urgency, UrgencyDetector

Kind = Literal["answer", "no_answer", "urgent"]


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Addressing one person's situation: general information plus advice to consult the team.
SPECIFIC_CLIENT = _rx(
    r"\b(mijn|onze|m'n) (client|clienten|bewoner|bewoonster|bewoners|pupil|jongere|zoon|dochter|kind|broer|zus)",
    r"\b(een|de) (client|bewoner|bewoonster) (van mij|van ons|op (mijn|onze) groep)",
    r"\bbij ons op de groep",
    r"\bop mijn groep",
)


@dataclass
class Route:
    kind: Kind
    situations: list[str] = field(default_factory=list)  # urgent categories, strongest first
    specific_client: bool = False
    # A general question touching abuse, violence or exploitation: the ordinary answer with a
    # short referral line on top for these categories (kind stays "answer" or "no_answer").
    referral: list[str] = field(default_factory=list)
    # Urgent because an unambiguous pattern matched (not the classifier alone).
    by_rule: bool = False
    # The asker writes about their own child or relative (a parent, not a professional): the
    # advice then points to the person's own care providers instead of "your team".
    family: bool = False


def is_specific_client(text: str) -> bool:
    return bool(SPECIFIC_CLIENT.search(fold(text)))


def is_family(text: str) -> bool:
    """The writer is a parent, foster parent or relative of the person asked about."""
    return role_of(text) in FAMILY_ROLES


class Router:
    """Urgent first; then refuse when the corpus does not answer the question."""

    def __init__(
        self, judge: AnswerabilityJudge | None = None, urgency: UrgencyDetector | None = None
    ):
        self.judge = judge or AnswerabilityJudge(None)
        # Without a detector only the unambiguous patterns (layer 1) are used.
        self.urgency = urgency or UrgencyDetector(None)

    def answerable(self, retrieval: Retrieval, best_sentence: float = 0.0) -> bool:
        return self.judge.judge(retrieval, best_sentence).answerable

    def after_retrieval(
        self,
        first: Route,
        retrieval: Retrieval,
        best_sentence: float = 0.0,
        verdict: Verdict | None = None,
    ) -> Route:
        """Complete a non-urgent first decision once the passages are known (`verdict`: the
        answerability judgement, when the caller already has it)."""
        verdict = verdict or self.judge.judge(retrieval, best_sentence)
        kind: Kind = "answer" if verdict.answerable else "no_answer"
        return Route(kind, [], first.specific_client, first.referral, family=first.family)

    def assess(self, text: str, vector: Sequence[float] | None = None) -> Urgency:
        return self.urgency.assess(text, vector)

    def route(
        self, text: str, retrieval: Retrieval | None, vector: Sequence[float] | None = None
    ) -> Route:
        """`vector`: the text's own query embedding, when the caller already has it."""
        specific = is_specific_client(text)
        family = specific and is_family(text)
        urgency = self.assess(text, vector)
        if urgency.level == "urgent":
            by_rule = any(r.startswith("rule ") for r in urgency.reasons)
            return Route("urgent", urgency.categories, specific, by_rule=by_rule, family=family)
        referral = urgency.categories if urgency.level == "soft" else []
        if retrieval is None or not self.answerable(retrieval):
            return Route("no_answer", [], specific, referral, family=family)
        return Route("answer", [], specific, referral, family=family)
