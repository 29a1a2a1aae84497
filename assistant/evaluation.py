"""Evaluate the assistant on a question file.

One case a line, tab-separated, '#' starts a comment:
    question <TAB> expected [<TAB> key [<TAB> history]]
expected: phrases separated by '|' (a cited source's text must contain one), NO_ANSWER or URGENT;
key: optional phrase of the sentence that answers (the answer text itself must contain it);
history: optional earlier questions of the conversation, separated by ' || '.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputFileError


@dataclass
class Case:
    question: str
    expected: str  # phrases separated by '|', or NO_ANSWER, or URGENT
    line: int = 0
    key: str = ""
    history: tuple[str, ...] = ()


@dataclass
class CaseResult:
    question: str
    expected: str
    kind: str
    right_at_1: bool
    right_at_3: bool
    contact: bool
    cited: list[str] = field(default_factory=list)
    key: str = ""
    key_in_answer: bool = False


@dataclass
class EvalReport:
    file: str
    questions: int
    answerable: int
    right_at_1: float
    right_at_3: float
    false_refusals: int
    out_of_scope: int
    out_of_scope_refusal_rate: float
    urgent: int
    urgent_recall: float
    urgent_false_positives: int
    contact_present: float
    seconds_per_question: float
    key_cases: int = 0
    key_sentence_rate: float = 1.0
    failures: list[CaseResult] = field(default_factory=list)

    def table(self) -> str:
        rows = [
            ("vragen", f"{self.questions}"),
            ("right@1", f"{self.right_at_1:.3f}"),
            ("right@3", f"{self.right_at_3:.3f}"),
            ("onterecht geweigerd", f"{self.false_refusals} van {self.answerable}"),
            (
                "buiten bereik geweigerd",
                f"{self.out_of_scope_refusal_rate:.3f} ({self.out_of_scope} vragen)",
            ),
            ("urgent herkend (recall)", f"{self.urgent_recall:.3f} ({self.urgent} vragen)"),
            ("urgent vals alarm", f"{self.urgent_false_positives}"),
            ("kernzin in antwoord", f"{self.key_sentence_rate:.3f} ({self.key_cases} vragen)"),
            ("contact aanwezig", f"{self.contact_present:.3f}"),
            ("seconden per vraag", f"{self.seconds_per_question:.4f}"),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


def read_cases(path: Path) -> list[Case]:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"Het vragenbestand {path} kan niet worden gelezen ({exc}).") from exc
    cases = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) < 2 or not fields[1].strip():
            raise InputFileError(f"{path}:{n}: verwacht 'vraag<TAB>verwachting'")
        key = fields[2].strip() if len(fields) > 2 else ""
        history = tuple(
            h.strip() for h in (fields[3] if len(fields) > 3 else "").split(" || ") if h.strip()
        )
        cases.append(Case(fields[0].strip(), fields[1].strip(), n, key, history))
    return cases


def evaluate(assistant, cases: list[Case], corpus_root: Path, file: str = "") -> EvalReport:
    texts: dict[str, str] = {}

    def source_text(path: str) -> str:
        if path not in texts:
            p = corpus_root / path
            texts[path] = p.read_text(encoding="utf-8").replace("\u00a0", " ") if p.exists() else ""
        return texts[path]

    results: list[CaseResult] = []
    started = time.perf_counter()
    for case in cases:
        answer = assistant.ask(case.question, case.history)
        contact = bool(answer.contact) and answer.contact in answer.answer
        hits = []
        if case.expected not in ("NO_ANSWER", "URGENT") and answer.kind == "answer":
            phrases = [p for p in case.expected.split("|") if p]
            hits = [any(ph in source_text(s.path) for ph in phrases) for s in answer.sources]
        results.append(
            CaseResult(
                case.question,
                case.expected,
                answer.kind,
                bool(hits[:1]) and hits[0],
                any(hits[:3]),
                contact,
                [s.id for s in answer.sources],
                case.key,
                bool(case.key) and _normal(case.key) in _normal(answer.answer),
            )
        )
    elapsed = time.perf_counter() - started
    answerable = [r for r in results if r.expected not in ("NO_ANSWER", "URGENT")]
    out = [r for r in results if r.expected == "NO_ANSWER"]
    urgent = [r for r in results if r.expected == "URGENT"]
    not_urgent = [r for r in results if r.expected != "URGENT"]

    def share(items, pred) -> float:
        return sum(1 for r in items if pred(r)) / len(items) if items else 1.0

    failures = [
        r
        for r in results
        if (r in answerable and not r.right_at_1)
        or (r in out and r.kind != "no_answer")
        or (r in urgent and r.kind != "urgent")
        or (r in not_urgent and r.kind == "urgent")
        or not r.contact
    ]
    return EvalReport(
        file=file,
        questions=len(results),
        answerable=len(answerable),
        right_at_1=share(answerable, lambda r: r.right_at_1),
        right_at_3=share(answerable, lambda r: r.right_at_3),
        false_refusals=sum(1 for r in answerable if r.kind == "no_answer"),
        out_of_scope=len(out),
        out_of_scope_refusal_rate=share(out, lambda r: r.kind == "no_answer"),
        urgent=len(urgent),
        urgent_recall=share(urgent, lambda r: r.kind == "urgent"),
        urgent_false_positives=sum(1 for r in not_urgent if r.kind == "urgent"),
        contact_present=share(results, lambda r: r.contact),
        key_cases=len(keyed := [r for r in answerable if r.key]),
        key_sentence_rate=share(keyed, lambda r: r.key_in_answer),
        seconds_per_question=elapsed / max(1, len(results)),
        failures=failures,
    )


def _normal(text: str) -> str:
    """Compare phrases without regard to non-breaking spaces, quotes or spacing."""
    text = text.replace("\u00a0", " ").replace("\u2018", "'").replace("\u2019", "'")
    return " ".join(text.split())
