"""Fit the ranking and answerability models on labelled questions; report held-out figures.

`python -m assistant calibrate TRAIN.tsv ... [--heldout FILE ...]` first fits the document
ranking model (ranking.py) on the answerable training questions, then, with that ranking in
place, computes for every labelled question on its own (answerable or NO_ANSWER; URGENT lines are
skipped) the features the assistant uses at run time and fits the answerability model. Then the
follow-up models: how a question with a history is read (followup.py) and whether a follow-up
read together asks something the corpus answers (followup_scope.py). It prints
cross-validated and held-out figures and writes the models next to the code for the
configured embedding model.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .answerability import AnswerabilityModel, features, fit, sentence_top
from .evaluation import SPECIAL, Case
from .followup import FollowUpModel
from .followup import features as follow_up_features
from .followup import fit as fit_follow_ups
from .followup_scope import ScopeModel
from .followup_scope import features as scope_features
from .followup_scope import fit as fit_scope
from .ranking import Examples, LabelledQuestion, RankingModel
from .ranking import fit as fit_ranking
from .routing import Route
from .text import STOPWORDS

_ANSWER = Route("answer")


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
        if case.expected in ("URGENT", "SMALLTALK"):
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
    assistant,
    train: dict[str, list[Case]],
    heldout: dict[str, list[Case]],
    model_name: str,
    corpus_root: Path | None = None,
) -> tuple[AnswerabilityModel, list[HeldOutFigures], RankingModel | None]:
    """With `corpus_root`, the ranking model is fitted first and used from then on."""
    ranker = None
    if corpus_root is not None:
        ranker = ranking(assistant, train, corpus_root, model_name)
        assistant.retriever.ranker = ranker
    # Questions on their own only: a follow-up is judged by the follow-up models, which need
    # this model's verdict on follow-ups it has not been fitted on (followup_scope.py).
    standalone = {f: [c for c in cases if not c.history] for f, cases in train.items()}
    standalone = {f: cases for f, cases in standalone.items() if cases}
    parts = []
    for file, cases in standalone.items():
        # A training question must not be ranked by its own file's examples.
        if ranker is not None:
            ranker.holding_out(file)
        try:
            parts.append(case_features(assistant, cases))
        finally:
            if ranker is not None:
                ranker.holding_out(None)
    x = np.vstack([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    groups = np.concatenate([[file] * len(p[1]) for file, p in zip(standalone, parts, strict=True)])
    model = fit(x, y, model_name, groups if len(standalone) > 1 else None)
    model.figures["training_files"] = sorted(standalone)
    reports = []
    for file, cases in heldout.items():
        hx, hy = case_features(assistant, cases)
        reports.append(held_out(model, hx, hy, file))
    model.figures["held_out"] = [r.__dict__ for r in reports]
    return model, reports, ranker


@contextmanager
def _held_out(assistant, file: str):
    """While questions of `file` are read, its own examples neither rank nor vote."""
    ranker, judge = assistant.retriever.ranker, assistant.router.judge
    for model in (ranker, judge.model):
        if model is not None:
            model.holding_out(file)
    try:
        yield
    finally:
        for model in (ranker, judge.model):
            if model is not None:
                model.holding_out(None)


def follow_ups(
    assistant, train: dict[str, list[Case]], model_name: str, seed: int = 0
) -> FollowUpModel | None:
    """Fit the follow-up reading (followup.py) with the fitted models in place: every labelled
    follow-up with its own previous question, every other question with a previous question
    drawn at random from the others. A file's own examples do not vote on its questions."""
    pick = random.Random(seed)
    pool = [c.question for cases in train.values() for c in cases if not c.history]
    rows, labels, groups = [], [], []
    for file, cases in train.items():
        with _held_out(assistant, file):
            for case in cases:
                if case.expected in ("URGENT", "SMALLTALK"):
                    continue
                previous = case.history[-1] if case.history else pick.choice(pool)
                if previous == case.question:
                    continue
                vector = assistant.retriever.embedder.embed_query(case.question)
                before = assistant.retriever.embedder.embed_query(previous)
                alone = assistant.retrieve(case.question, _ANSWER, vector)
                together = assistant.retrieve(f"{previous} {case.question}", _ANSWER)
                closeness = float(np.dot(vector, before))
                rows.append(
                    follow_up_features(
                        case.question, STOPWORDS, closeness, alone.probability, together.probability
                    )
                )
                labels.append(bool(case.history))
                groups.append(file)
    if not rows:
        return None
    model = fit_follow_ups(np.vstack(rows), np.asarray(labels), groups, model_name)
    if model is not None:
        model.figures["training_files"] = sorted(train)
    return model


def follow_up_scope(assistant, train: dict[str, list[Case]], model_name: str) -> ScopeModel | None:
    """Fit followup_scope.py on the labelled follow-ups that the fitted follow-up reading reads
    together and the combined search finds answerable: the only ones it decides on. A file's
    own examples do not vote on its questions."""
    embed = assistant.retriever.embedder.embed_query
    rows, labels, groups = [], [], []
    for file, cases in train.items():
        with _held_out(assistant, file):
            for case in cases:
                if not case.history or case.expected in ("URGENT", "SMALLTALK"):
                    continue
                previous = case.history[-1]
                vector, before = embed(case.question), embed(previous)
                alone = assistant.retrieve(case.question, _ANSWER, vector)
                together = assistant.retrieve(f"{previous} {case.question}", _ANSWER)
                closeness = float(np.dot(vector, before))
                reading = assistant.follow_ups.read(
                    case.question, closeness, alone.probability, together.probability
                )
                if not reading.combined or together.route.kind != "answer":
                    continue
                rows.append(
                    scope_features(
                        assistant.retriever,
                        case.question,
                        previous,
                        vector,
                        before,
                        together,
                        alone.probability,
                    )
                )
                labels.append(case.expected != "NO_ANSWER")
                groups.append(file)
    if not rows:
        return None
    model = fit_scope(np.vstack(rows), np.asarray(labels), groups, model_name)
    if model is not None:
        model.figures["training_files"] = sorted(train)
    return model


def document_texts(assistant, corpus_root: Path) -> dict[str, str]:
    """Each indexed document's file text, non-breaking spaces as spaces."""
    out = {}
    for doc in assistant.retriever.documents():
        path = corpus_root / doc.path
        out[doc.id] = (
            path.read_text(encoding="utf-8").replace("\u00a0", " ") if path.is_file() else ""
        )
    return out


def relevant_documents(case: Case, texts: dict[str, str]) -> set[str]:
    """The documents whose text holds one of the case's expected phrases."""
    phrases = [p for p in case.expected.split("|") if p]
    return {doc for doc, text in texts.items() if any(p in text for p in phrases)}


def ranking(
    assistant, train: dict[str, list[Case]], corpus_root: Path, model_name: str
) -> RankingModel:
    """Fit the ranking model on the answerable training questions; every one of them also
    becomes an example question that votes at run time."""
    previous, assistant.retriever.ranker = assistant.retriever.ranker, None
    try:
        texts = document_texts(assistant, corpus_root)
        questions, vectors, docs, groups, keys = [], [], [], [], []
        for file, cases in train.items():
            for case in cases:
                if case.expected in SPECIAL:
                    continue
                relevant = relevant_documents(case, texts)
                if not relevant:
                    continue  # its text left the corpus: nothing to learn from
                query = assistant.retrieval_query(case.question, list(case.history))
                embedded = [float(v) for v in assistant.retriever.embed(query)]
                vector = np.asarray(embedded, dtype=np.float32)
                found = assistant.retriever.candidates(query, embedded)
                labels = np.asarray([d in relevant for d in found.doc_ids])
                if not labels.any():
                    continue
                questions.append(
                    LabelledQuestion(file, found.doc_ids, found.signals, labels, vector)
                )
                vectors.append(vector)
                docs.append(tuple(sorted(relevant)))
                groups.append(file)
                keys.append(case.key)
        examples = Examples.of(np.vstack(vectors), docs, groups, keys)
        model = fit_ranking(questions, examples, model_name)
        model.figures["training_files"] = sorted(train)
        return model
    finally:
        assistant.retriever.ranker = previous
