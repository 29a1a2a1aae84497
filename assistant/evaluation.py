"""Evaluate the assistant on a question file.

One case a line, tab-separated, '#' starts a comment:
    question <TAB> expected [<TAB> key [<TAB> history]]
expected: phrases separated by '|' (a cited source's text must contain one), NO_ANSWER, URGENT
or SMALLTALK (a greeting, thanks, a question about the assistant: a conversational reply);
key: optional phrase of the sentence that answers (the answer text itself must contain it);
history: optional earlier questions of the conversation, separated by ' || '.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputFileError

SPECIAL = ("NO_ANSWER", "URGENT", "SMALLTALK")  # expected values that are not phrases


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
    smalltalk: int = 0
    smalltalk_recognised: float = 1.0
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
            (
                "gesprek herkend (groet, dank)",
                f"{self.smalltalk_recognised:.3f} ({self.smalltalk} berichten)",
            ),
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
        if case.expected not in SPECIAL and answer.kind in ("answer", "urgent"):
            # The answer's own sources: an urgent answer lists its referral lines first and may
            # still answer the question below them (a false alarm is counted separately). An
            # ordinary answer may quote a referral page itself ("is 113 gratis?").
            phrases = [p for p in case.expected.split("|") if p]
            own = [s for s in answer.sources if s.type != "spoed" or answer.kind == "answer"]
            hits = [any(ph in source_text(s.path) for ph in phrases) for s in own]
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
    answerable = [r for r in results if r.expected not in SPECIAL]
    out = [r for r in results if r.expected == "NO_ANSWER"]
    smalltalk = [r for r in results if r.expected == "SMALLTALK"]
    urgent = [r for r in results if r.expected == "URGENT"]
    not_urgent = [r for r in results if r.expected != "URGENT"]

    def share(items, pred) -> float:
        return sum(1 for r in items if pred(r)) / len(items) if items else 1.0

    failures = [
        r
        for r in results
        if (r in answerable and not r.right_at_1)
        or (r in out and r.kind not in ("no_answer", "conversation"))
        or (r in urgent and r.kind != "urgent")
        or (r in smalltalk and r.kind != "conversation")
        or (r in not_urgent and r.kind == "urgent")
        or not r.contact
    ]
    return EvalReport(
        file=file,
        questions=len(results),
        answerable=len(answerable),
        right_at_1=share(answerable, lambda r: r.right_at_1),
        right_at_3=share(answerable, lambda r: r.right_at_3),
        false_refusals=sum(1 for r in answerable if r.kind in ("no_answer", "conversation")),
        out_of_scope=len(out),
        out_of_scope_refusal_rate=share(out, lambda r: r.kind in ("no_answer", "conversation")),
        urgent=len(urgent),
        urgent_recall=share(urgent, lambda r: r.kind == "urgent"),
        urgent_false_positives=sum(1 for r in not_urgent if r.kind == "urgent"),
        contact_present=share(results, lambda r: r.contact),
        key_cases=len(keyed := [r for r in answerable if r.key]),
        key_sentence_rate=share(keyed, lambda r: r.key_in_answer),
        smalltalk=len(smalltalk),
        smalltalk_recognised=share(smalltalk, lambda r: r.kind == "conversation"),
        seconds_per_question=elapsed / max(1, len(results)),
        failures=failures,
    )


# -- helpdesk drafts ------------------------------------------------------------------------
# A folder of e-mails with manifest.tsv: file, kind (answer|no_answer|urgent), expected (phrases
# of the answering corpus text, '|' between alternatives, ' || ' between the questions),
# greeting_name (empty: a neutral greeting), formality (u|je), role, forbidden (comma-separated
# strings that must not appear in the draft), questions (how many the sender asks).
MARKDOWN = re.compile(r"\*\*|__|^\s*[-*+] |^-{3,}\s*$|^#{1,6} |`", re.M)


@dataclass
class DraftResult:
    file: str
    kind: str
    expected_kind: str
    sources_right: bool | None  # None when the e-mail is not answerable
    greeting_right: bool
    formality_right: bool
    role: str
    expected_role: str
    questions: int
    expected_questions: int
    leaked: list[str] = field(default_factory=list)
    markdown: bool = False
    polite_referral: bool | None = None  # for out-of-scope e-mails
    cited: list[str] = field(default_factory=list)


@dataclass
class DraftReport:
    folder: str
    emails: int
    answerable: int
    sources_at_3: float
    urgent: int
    urgent_recall: float
    urgent_false_alarms: int
    out_of_scope: int
    out_of_scope_polite: float
    greeting: float
    formality: float
    role: float
    questions: float
    leaks: int
    markdown: int
    seconds_per_email: float
    results: list[DraftResult] = field(default_factory=list)

    def table(self) -> str:
        rows = [
            ("e-mails", f"{self.emails}"),
            ("juiste bron in top 3", f"{self.sources_at_3:.3f} ({self.answerable} beantwoordbaar)"),
            ("urgent herkend (recall)", f"{self.urgent_recall:.3f} ({self.urgent} urgent)"),
            ("urgent vals alarm", f"{self.urgent_false_alarms}"),
            (
                "buiten bereik netjes verwezen",
                f"{self.out_of_scope_polite:.3f} ({self.out_of_scope} e-mails)",
            ),
            ("aanhef juist", f"{self.greeting:.3f}"),
            ("u/je juist", f"{self.formality:.3f}"),
            ("rol juist", f"{self.role:.3f}"),
            ("aantal vragen juist", f"{self.questions:.3f}"),
            ("gelekte persoonsgegevens", f"{self.leaks}"),
            ("concepten met Markdown", f"{self.markdown}"),
            ("seconden per e-mail", f"{self.seconds_per_email:.2f}"),
        ]
        width = max(len(k) for k, _ in rows)
        return "\n".join(f"{k.ljust(width)}  {v}" for k, v in rows)


# Roles in a manifest may be finer than the advice the draft gives; these share one advice.
ROLE_GROUPS = {"ouder": "familie", "pleegouder": "familie", "familie": "familie"}


def read_manifest(folder: Path) -> list[dict[str, str]]:
    path = Path(folder) / "manifest.tsv"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path} kan niet worden gelezen ({exc}).") from exc
    lines = [line for line in lines if line.strip() and not line.startswith("#")]
    if not lines:
        raise InputFileError(f"{path} is leeg.")
    header = lines[0].split("\t")
    if "file" not in header:
        raise InputFileError(f"{path}:1: verwacht een kopregel met o.a. 'file' en 'kind'.")
    return [dict(zip(header, line.split("\t"), strict=False)) for line in lines[1:]]


def _addressee(text: str) -> str:
    """Lower case, with "de heer", "heer" and "meneer" (and "mevr." and "mevrouw") made one
    form: "Beste meneer Kaya" and "Geachte heer Kaya" both greet "de heer Kaya"."""
    text = re.sub(r"\b(de heer|heer|meneer|dhr\.?)(?=\s)", "meneer", text.lower())
    return re.sub(r"\b(mevr\.?|mw\.?)(?=\s)", "mevrouw", text)


def evaluate_drafts(assistant, folder: Path, corpus_root: Path) -> DraftReport:
    from .compose import DRAFT_MARKER

    texts: dict[str, str] = {}

    def source_text(path: str) -> str:
        if path not in texts:
            p = corpus_root / path
            texts[path] = p.read_text(encoding="utf-8").replace("\u00a0", " ") if p.exists() else ""
        return texts[path]

    folder = Path(folder)
    results: list[DraftResult] = []
    started = time.perf_counter()
    for row in read_manifest(folder):
        raw = (folder / row["file"]).read_bytes()
        from .mail import is_eml

        draft = assistant.draft(raw if is_eml(raw) else raw.decode("utf-8", errors="replace"))
        from .mail import read_email

        mail = read_email(raw)
        expected_kind = row.get("kind", "answer").strip()
        right = None
        if expected_kind == "answer":
            groups = [g for g in row.get("expected", "").split("||") if g.strip()]
            # The answer's own sources (an urgent draft lists its referral lines first).
            cited = [
                source_text(s.path)
                for s in draft.sources
                if s.type != "spoed" or draft.kind == "answer"
            ]
            # Each question's answer among the (at most three) sources cited for it.
            window = cited[: 3 * max(1, len(groups))]
            right = draft.kind in ("answer", "urgent") and all(
                any(p.strip() and p.strip() in text for p in g.split("|") for text in window)
                for g in groups
            )
        lines = draft.text.split("\n\n")
        greeting_line = lines[1] if len(lines) > 1 else ""
        want_name = row.get("greeting_name", "").strip()
        greeting_ok = (
            _addressee(want_name) in _addressee(greeting_line)
            if want_name
            else greeting_line in ("Geachte heer, mevrouw,", "Hallo,", "Beste,")
        )
        own_text = _own_words(draft)
        formal = bool(re.search(r"\b(u|uw)\b", own_text))
        informal = bool(re.search(r"\b(je|jij|jouw)\b", own_text))
        want_formal = row.get("formality", "").strip() == "u"
        formality_ok = (formal and not informal) if want_formal else (informal and not formal)
        forbidden = [f.strip() for f in row.get("forbidden", "").split(",") if f.strip()]
        leaked = [f for f in forbidden if f in draft.text]
        polite = None
        if expected_kind == "no_answer":
            # Nothing invented: no source besides (possibly) urgent referral lines.
            polite = (
                draft.kind in ("no_answer", "urgent")
                and not [s for s in draft.sources if s.type != "spoed"]
                and "expertiseteam" in draft.text
                and draft.text.startswith(DRAFT_MARKER)
            )
        expected_questions = int(row.get("questions", "0") or 0)
        want_role = row.get("role", "").strip()
        results.append(
            DraftResult(
                file=row["file"],
                kind=draft.kind,
                expected_kind=expected_kind,
                sources_right=right,
                greeting_right=greeting_ok,
                formality_right=formality_ok,
                role=mail.role,
                expected_role=want_role,
                questions=len(mail.questions),
                expected_questions=expected_questions,
                leaked=leaked,
                markdown=bool(MARKDOWN.search(draft.text)),
                polite_referral=polite,
                cited=[s.id for s in draft.sources],
            )
        )
    elapsed = time.perf_counter() - started

    def share(items, pred) -> float:
        return sum(1 for r in items if pred(r)) / len(items) if items else 1.0

    answerable = [r for r in results if r.expected_kind == "answer"]
    urgent = [r for r in results if r.expected_kind == "urgent"]
    out = [r for r in results if r.expected_kind == "no_answer"]
    return DraftReport(
        folder=str(folder),
        emails=len(results),
        answerable=len(answerable),
        sources_at_3=share(answerable, lambda r: r.sources_right),
        urgent=len(urgent),
        urgent_recall=share(urgent, lambda r: r.kind == "urgent"),
        urgent_false_alarms=sum(
            1 for r in results if r.expected_kind != "urgent" and r.kind == "urgent"
        ),
        out_of_scope=len(out),
        out_of_scope_polite=share(out, lambda r: r.polite_referral),
        greeting=share(results, lambda r: r.greeting_right),
        formality=share(results, lambda r: r.formality_right),
        role=share(
            [r for r in results if r.expected_role],
            lambda r: (
                r.role == r.expected_role
                or ROLE_GROUPS.get(r.role, r.role)
                == ROLE_GROUPS.get(r.expected_role, r.expected_role)
            ),
        ),
        questions=share(
            [r for r in results if r.expected_kind != "urgent"],
            lambda r: r.questions == r.expected_questions,
        ),
        leaks=sum(len(r.leaked) for r in results),
        markdown=sum(1 for r in results if r.markdown),
        seconds_per_email=elapsed / max(1, len(results)),
        results=results,
    )


def _own_words(draft) -> str:
    """The draft's own words: without the quoted corpus paragraphs (they carry a citation),
    the source titles and the source list."""
    text = draft.text
    for source in draft.sources:
        text = text.replace(source.title, "")
    kept = [
        p
        for p in text.split("\n\n")[1:]
        if not p.startswith("Bronnen:") and not re.search(r"\[\d+\]", p)
    ]
    return " ".join(kept).lower()


def _normal(text: str) -> str:
    """Compare phrases without regard to non-breaking spaces, quotes or spacing."""
    text = text.replace("\u00a0", " ").replace("\u2018", "'").replace("\u2019", "'")
    return " ".join(text.split())
