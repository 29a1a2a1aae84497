"""Check a generated answer sentence by sentence against the passages it cites.

A sentence is shown only when
- it cites at least one passage that was given to the model;
- a cited passage supports it: the support score combines semantic similarity (the best cosine
  between the sentence and one or two consecutive sentences of the passage, query embeddings
  of the multilingual model) with lexical evidence (share of the sentence's stemmed Dutch
  content words found in the passage), and must reach a threshold calibrated on labelled
  examples (tests/eval/support_calibration.tsv; run bench/calibrate_support.py);
- every number, phone number, URL, e-mail address and name (a capitalised word not at the
  start of the sentence) in it occurs in the passages that support it.

Citations that point to a passage that does not support the sentence are removed; a sentence
left without a supporting citation is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .text import NUMBERS, fold, sentences, words

# Semantic share of the support score; the rest is lexical. Calibrated together with the
# threshold (settings.support_threshold) on tests/eval/support_calibration.tsv.
SEMANTIC_WEIGHT = 0.95
MIN_CLAUSE_WORDS = 4

_CITE = re.compile(r"\[(?:bron\s*)?(\d+(?:\s*[,;]\s*(?:bron\s*)?\d+)*)\]", re.I)
# A sentence ends at . ! ? (or at a citation) followed by white space and a capital, digit,
# quote or markup; the citations right after the end belong to the sentence before.
_BOUNDARY = re.compile(
    r"(?:(?<=[.!?])|(?<=\]))"
    r"(?P<cites>(?:\s*\[(?i:bron\s*)?\d+(?:\s*[,;]\s*(?i:bron\s*)?\d+)*\])*)"
    r"[ \t]+(?=[A-ZÀ-Þ0-9'\"‘“(*])"
)
_LIST_MARK = re.compile(r"^\s*(?:[-*•]|\d+[.)]|#+)\s+")
_MARKUP = re.compile(r"\*\*|__|`")
_URL = re.compile(r"https?://\S+|www\.\S+|\b[\w.+-]+@[\w-]+\.[\w.]+")
_NUMBER = re.compile(r"\d+(?:[ .,:/-]\d+)*")
_TOKEN = re.compile(r"[^\W\d_][\w'’-]*")


class QueryEmbedder(Protocol):
    def embed_queries(self, texts: list[str]) -> list[list[float]]: ...


@dataclass
class Claim:
    """One sentence of a generated answer and the passage numbers it cites (1-based)."""

    text: str
    cites: list[int]
    paragraph: int = 0


@dataclass
class Support:
    score: float
    semantic: float
    lexical: float
    evidence: str  # the passage sentence(s) that match best


@dataclass
class Verdict:
    claim: Claim
    kept: bool
    reason: str  # "ok" | "no_citation" | "unknown_source" | "unsupported" | "unverified_detail"
    cites: list[int] = field(default_factory=list)  # supporting passages (1-based)
    evidence: dict[int, str] = field(default_factory=dict)  # passage number -> evidence
    score: float = 0.0


# -- splitting a generated answer ----------------------------------------------------------
def parse_claims(text: str) -> list[Claim]:
    """Sentences with their citations; each non-empty line starts a new paragraph."""
    claims: list[Claim] = []
    paragraph = -1
    for line in text.replace("\r", "").split("\n"):
        line = _MARKUP.sub("", _LIST_MARK.sub("", line)).strip()
        if not line:
            continue
        paragraph += 1
        start = 0
        for m in _BOUNDARY.finditer(line):
            end = m.end("cites")
            claims.append(_claim(line[start:end], paragraph))
            start = m.end()
        claims.append(_claim(line[start:], paragraph))
    return [c for c in claims if c.text]


def _claim(raw: str, paragraph: int) -> Claim:
    cites: list[int] = []
    for m in _CITE.finditer(raw):
        for n in re.findall(r"\d+", m.group(1)):
            if int(n) not in cites:
                cites.append(int(n))
    text = _CITE.sub("", raw)
    text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", text)).strip()
    return Claim(text, cites, paragraph)


class ClaimStream:
    """Feeds streamed text in; hands out each sentence once it is complete."""

    def __init__(self) -> None:
        self.buffer = ""
        self.done = 0

    def feed(self, chunk: str) -> list[Claim]:
        self.buffer += chunk
        claims = parse_claims(self.buffer)
        # The last sentence may still grow (or get its citation), unless a newline closed it.
        complete = claims if self.buffer.endswith("\n") else claims[:-1]
        new = complete[self.done :]
        self.done = max(self.done, len(complete))
        return new

    def finish(self) -> list[Claim]:
        claims = parse_claims(self.buffer)
        new = claims[self.done :]
        self.done = len(claims)
        return new


# -- details that must be copied, never invented -----------------------------------------------
def details(sentence: str) -> list[str]:
    """Numbers, phone numbers, URLs, e-mail addresses and names in a sentence (folded)."""
    found = [u.rstrip(").,;:!?").lower() for u in _URL.findall(sentence)]
    rest = _URL.sub(" ", sentence)
    found += [_digits(n) for n in _NUMBER.findall(rest)]
    found += [NUMBERS[w] for w in words(rest) if w in NUMBERS]
    tokens = _TOKEN.findall(rest)
    found += [fold(t) for t in tokens[1:] if t[0].isupper()]
    return found


def _digits(number: str) -> str:
    return re.sub(r"\D", "", number)


def detail_vocabulary(text: str) -> set[str]:
    """Everything in a passage that a detail may match."""
    vocab = {u.rstrip(").,;:!?").lower() for u in _URL.findall(text)}
    rest = _URL.sub(" ", text)
    vocab |= {_digits(n) for n in _NUMBER.findall(rest)}
    vocab |= {p for n in _NUMBER.findall(rest) for p in re.findall(r"\d+", n)}
    for w in words(rest):
        vocab.add(w)
        if w in NUMBERS:
            vocab.add(NUMBERS[w])
    for t in _TOKEN.findall(rest):  # hyphenated names ("Jij-en-ik") as a whole
        vocab.add(fold(t))
    return vocab


def unverified_details(sentence: str, sources: Iterable[str]) -> list[str]:
    vocab: set[str] = set()
    for text in sources:
        vocab |= detail_vocabulary(text)
    return [d for d in details(sentence) if d and d not in vocab]


# -- support --------------------------------------------------------------------------------
def _prefix_match(term: str, others: set[str]) -> bool:
    if term in others:
        return True
    if len(term) < 5:
        return False
    for other in others:
        shortest = min(len(term), len(other))
        if shortest >= 5 and term[: shortest - 1] == other[: shortest - 1]:
            return True
    return False


def lexical_support(claim_terms: Sequence[str], passage_terms: set[str]) -> float:
    """Share of the claim's distinct content terms that occur in the passage."""
    unique = set(claim_terms)
    if not unique:
        return 0.0
    return sum(_prefix_match(t, passage_terms) for t in unique) / len(unique)


_CLAUSE = re.compile(r"[,;:]\s+|\s+\((?=[a-z])")


def units(text: str) -> list[str]:
    """A passage's sentences, each pair of consecutive sentences, and the clauses of long
    sentences (a short generated sentence often restates one clause)."""
    sents = sentences(text)
    pairs = [f"{a} {b}" for a, b in zip(sents, sents[1:], strict=False)]
    clauses = [
        c.strip()
        for s in sents
        for c in _CLAUSE.split(s)
        if len(c.split()) >= MIN_CLAUSE_WORDS and c.strip() != s
    ]
    return sents + pairs + list(dict.fromkeys(clauses))


class Verifier:
    """Scores sentences against passages; one instance is shared, `over()` is per answer."""

    def __init__(
        self,
        embedder: QueryEmbedder,
        terms: Callable[[str], list[str]],
        threshold: float,
        semantic_weight: float = SEMANTIC_WEIGHT,
    ):
        self.embedder = embedder
        self.terms = terms
        self.threshold = threshold
        self.semantic_weight = semantic_weight

    def over(self, passages: Sequence[str], extra: Sequence[str] = ()) -> Verification:
        """Verification against these passages (numbered from 1); `extra[i]` is text (such as
        the title) that details may also match for passage i + 1."""
        return Verification(self, list(passages), list(extra))

    def support(self, sentence: str, passage: str) -> Support:
        return self.over([passage]).support(sentence, 1)


class Verification:
    def __init__(self, verifier: Verifier, passages: list[str], extra: list[str]):
        self.v = verifier
        self.passages = passages
        self.extra = extra + [""] * (len(passages) - len(extra))
        self._units: dict[int, tuple[list[str], np.ndarray]] = {}
        self._terms: dict[int, set[str]] = {}

    def _passage(self, n: int) -> tuple[list[str], np.ndarray, set[str]]:
        if n not in self._units:
            texts = units(self.passages[n - 1]) or [self.passages[n - 1]]
            vectors = np.asarray(self.v.embedder.embed_queries(texts), dtype=np.float32)
            self._units[n] = (texts, vectors)
            self._terms[n] = set(self.v.terms(self.passages[n - 1]))
        texts, vectors = self._units[n]
        return texts, vectors, self._terms[n]

    def support(self, sentence: str, n: int, vector: np.ndarray | None = None) -> Support:
        if vector is None:
            vector = np.asarray(self.v.embedder.embed_queries([sentence])[0], dtype=np.float32)
        texts, vectors, passage_terms = self._passage(n)
        sims = vectors @ vector
        best = int(np.argmax(sims))
        semantic = float(sims[best])
        lexical = lexical_support(self.v.terms(sentence), passage_terms)
        w = self.v.semantic_weight
        return Support(w * semantic + (1 - w) * lexical, semantic, lexical, texts[best])

    def check(self, claim: Claim) -> Verdict:
        if not claim.cites:
            return Verdict(claim, False, "no_citation")
        given = [n for n in claim.cites if 1 <= n <= len(self.passages)]
        if not given:
            return Verdict(claim, False, "unknown_source")
        vector = np.asarray(self.v.embedder.embed_queries([claim.text])[0], dtype=np.float32)
        supports = {n: self.support(claim.text, n, vector) for n in given}
        best = max(s.score for s in supports.values())
        kept = [n for n in given if supports[n].score >= self.v.threshold]
        if not kept:
            return Verdict(claim, False, "unsupported", score=best)
        sources = [t for n in kept for t in (self.passages[n - 1], self.extra[n - 1])]
        if unverified_details(claim.text, sources):
            return Verdict(claim, False, "unverified_detail", score=best)
        evidence = {n: supports[n].evidence for n in kept}
        return Verdict(claim, True, "ok", kept, evidence, best)


# -- calibration on labelled examples -------------------------------------------------------
@dataclass
class Example:
    sentence: str
    passage_id: str
    supported: bool
    category: str


@dataclass
class Scored:
    example: Example
    semantic: float
    lexical: float

    def score(self, semantic_weight: float) -> float:
        return semantic_weight * self.semantic + (1 - semantic_weight) * self.lexical


@dataclass
class Figures:
    threshold: float
    semantic_weight: float
    examples: int
    precision: float  # of the sentences kept, the share that is supported
    recall: float  # of the supported sentences, the share kept
    false_accepts: list[Example] = field(default_factory=list)
    false_rejects: list[Example] = field(default_factory=list)


def read_examples(path) -> list[Example]:
    """A labelled TSV: sentence, passage_id, supported (yes/no), category; '#' lines are notes."""
    out: list[Example] = []
    with open(path, encoding="utf-8") as fh:
        lines = [line.rstrip("\n") for line in fh if line.strip() and not line.startswith("#")]
    header = lines[0].split("\t")
    for number, line in enumerate(lines[1:], start=2):
        row = dict(zip(header, line.split("\t"), strict=False))
        if row.get("supported") not in ("yes", "no"):
            raise ValueError(f"{path}: example {number}: 'supported' must be yes or no: {line!r}")
        out.append(
            Example(
                row["sentence"],
                row["passage_id"],
                row["supported"] == "yes",
                row.get("category", ""),
            )
        )
    return out


def score_examples(
    verifier: Verifier, examples: list[Example], passages: dict[str, str]
) -> list[Scored]:
    ids = sorted({ex.passage_id for ex in examples})
    check = verifier.over([passages[i] for i in ids])
    number = {pid: n for n, pid in enumerate(ids, start=1)}
    vectors = np.asarray(verifier.embedder.embed_queries([ex.sentence for ex in examples]))
    out = []
    for ex, vector in zip(examples, vectors, strict=True):
        s = check.support(ex.sentence, number[ex.passage_id], vector.astype(np.float32))
        out.append(Scored(ex, s.semantic, s.lexical))
    return out


def figures(scored: list[Scored], semantic_weight: float, threshold: float) -> Figures:
    kept = [s for s in scored if s.score(semantic_weight) >= threshold]
    supported = [s for s in scored if s.example.supported]
    true_kept = [s for s in kept if s.example.supported]
    return Figures(
        threshold,
        semantic_weight,
        len(scored),
        len(true_kept) / len(kept) if kept else 1.0,
        len(true_kept) / len(supported) if supported else 1.0,
        [s.example for s in kept if not s.example.supported],
        [s.example for s in supported if s.score(semantic_weight) < threshold],
    )


def calibrate(scored: list[Scored], beta: float = 0.5) -> Figures:
    """The semantic weight and threshold with the best F-beta (beta < 1 favours precision:
    showing an unsupported sentence is worse than dropping a supported one)."""
    best: tuple[float, Figures] | None = None
    for w in np.round(np.arange(0.0, 1.0001, 0.05), 2):
        values = sorted({round(s.score(float(w)), 4) for s in scored})
        for t in values:
            f = figures(scored, float(w), t)
            if f.precision + f.recall == 0:
                continue
            fbeta = (1 + beta**2) * f.precision * f.recall / (beta**2 * f.precision + f.recall)
            if best is None or fbeta > best[0] + 1e-9:
                best = (fbeta, f)
    assert best is not None
    return best[1]
