"""Is a question or e-mail an urgent situation? A layered detector.

Layer 1 is a short, named list of patterns for what is unambiguous (Presidio-style: a name, a
pattern, a category, the least level a match gives and the reason). Layer 2 is a logistic
regression over the question's own sentence embedding, trained on labelled Dutch examples
(`resources/urgency-train.tsv`) and calibrated on a separate file (`resources/urgency-dev.tsv`).
Long texts are judged whole and sentence by sentence; the most urgent part decides.

Levels: "urgent" (a described real situation, or any question about suicide: the referral comes
first and there is no ordinary answer), "soft" (a general question touching abuse, violence,
neglect or exploitation: the ordinary answer with a short referral line on top), "none".
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from . import weights
from .text import fold
from .weights import model_slug

log = logging.getLogger(__name__)

Level = Literal["urgent", "soft", "none"]
LEVELS: tuple[Level, ...] = ("none", "soft", "urgent")
CATEGORIES = (
    "zelfdoding",
    "zelfbeschadiging",
    "medisch",
    "geweld",
    "mishandeling",
    "seksueel_grensoverschrijdend",
    "uitbuiting",
)
# Derived situations the corpus's referral documents also know.
DIRECT_DANGER = "direct_gevaar"
IN_CARE_SITUATION = "geweld_in_zorg"

RESOURCES = Path(__file__).parent / "resources"
# Every labelled training file: urgency-train*.tsv (see the README beside them).
TRAIN_GLOB = "urgency-train*.tsv"
FORMAT_VERSION = 5
# P(urgent): the mean of a vote of the nearest labelled training rows and a logistic regression
# over the same rows. Alone, the vote has about 4 in 10 fewer false alarms on ordinary text than
# the regression, which sees "a client with a problem" as one direction; their mean has fewer
# than either (3511 training examples, 95% urgent recall: ordinary texts made urgent 0.108 ->
# 0.089 in 5-fold, 0.129 -> 0.121 leaving out one file at a time; at 98% recall 0.172 -> 0.141
# and 0.217 -> 0.175; general questions made urgent 0.032 -> 0.011). A small network in place
# of the regression did about as well for more weights; see the note of 2026-11-29.
K_NEIGHBOURS = 10
TEMPERATURE = 0.05
# An unsure referral line names a category only when the category model is this sure: out of
# fold on the urgent training examples its first category is right for 0.92 of those at or
# above 0.4 (0.84 overall); ordinary texts have a median of 0.33.
CATEGORY_CONFIDENCE = 0.4


class QueryEmbedder(Protocol):
    name: str

    def embed_queries(self, texts: list[str]) -> list[list[float]]: ...


# -- layer 1: unambiguous patterns ---------------------------------------------------------
@dataclass(frozen=True)
class Rule:
    name: str
    category: str
    level: Level  # the least level a match gives; the classifier may raise it
    pattern: re.Pattern[str]
    reason: str


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Matched on folded text (lower case, no diacritics). Only what is urgent or sensitive whatever
# the framing; everything that needs understanding is the classifier's job.
RULES: tuple[Rule, ...] = (
    Rule(
        "suicide_named",
        "zelfdoding",
        "urgent",
        _rx(r"\bzelfmoord", r"\bzelfdoding", r"\bsuicid", r"\bsuizid", r"\bzich van kant"),
        "suicide is named: every question about suicide leads with 113, general ones included",
    ),
    Rule(
        "death_wish",
        "zelfdoding",
        "urgent",
        _rx(
            r"\b(wil|wilt|willen|wou|wilde) (echt |graag )?(niet meer leven|dood\b|er niet meer zijn)",
            r"\bniet meer (wil|wilt|willen) (leven|bestaan)\b",
            r"\ber (een )?eind(e)? aan (wil|wilt|willen|te|gaat) maken",
            r"\ber een eind(e)? aan maken",
            r"\bleven (heeft|had) geen zin",
            r"\bafscheidsbrief",
            r"\b(zichzelf|zich|mezelf|mijzelf) (wil |gaat |gaan )?(ophangen|van het leven beroven)",
            r"\b(zichzelf|zich|mezelf|mijzelf) iets (wil |gaat |zal )?(aan ?doen|aandoet|aandeed)",
        ),
        "a wish to die or a plan, in the words people use for it",
    ),
    Rule(
        "self_injury_act",
        "zelfbeschadiging",
        "urgent",
        _rx(
            r"\b(snijdt|snij|snijden|krast|kras|krassen|verwondt|brandt) (zich|zichzelf|mezelf|mijzelf)\b",
            r"\b(zich|zichzelf|mezelf|mijzelf) (snijdt|snijden|krast|krassen|verwondt|verwonden)\b",
        ),
        "someone hurts themselves now",
    ),
    Rule(
        "self_injury_named",
        "zelfbeschadiging",
        "soft",
        _rx(r"\bzelfbeschadig", r"\bzelfverwond", r"\bautomutilatie"),
        "self-harm is named; the classifier decides whether a real situation is described",
    ),
    Rule(
        "vital_signs",
        "medisch",
        "urgent",
        _rx(
            r"\bbewusteloos",
            r"\bademt (niet|nauwelijks)\b",
            r"\bgeen (adem|lucht)\b",
            r"\breanim",
            r"\bhartstilstand",
            r"\boverdosis",
            r"\bniet (meer )?aanspreekbaar",
            r"\bniet (meer )?wakker te krijgen",
        ),
        "breathing, consciousness or an overdose: call 112",
    ),
    Rule(
        "armed_threat",
        "geweld",
        "urgent",
        _rx(
            r"\b(dreigt|bedreigt|zwaait|zwaaide|steekt|stak)\b[^.?!]{0,40}\b(mes|messen|wapen|pistool|schaar|knuppel)",
            r"\b(mes|wapen|pistool|vuurwapen)\b[^.?!]{0,30}\b(dreigt|bedreigt|zwaait)\b",
        ),
        "a weapon together with a threat",
    ),
    Rule(
        "danger_to_life",
        DIRECT_DANGER,
        "urgent",
        _rx(
            r"\blevensgevaar", r"\bin (acuut )?gevaar\b", r"\ber is brand\b", r"\bstaat in brand\b"
        ),
        "danger to life is named",
    ),
    Rule(
        "abuse_named",
        "mishandeling",
        "soft",
        _rx(
            r"\bmishandel",
            r"\bverwaarloos",
            r"\bhuiselijk geweld",
            r"\bveilig thuis\b",
            r"\bmeldcode",
            r"\bmoet ik (dit|dat|het) (wel |niet )?melden",
        ),
        "abuse, neglect or reporting is named: at least a referral line",
    ),
    Rule(
        "sexual_abuse_named",
        "seksueel_grensoverschrijdend",
        "soft",
        _rx(
            r"\bseksueel (misbruik|geweld)", r"\bverkracht", r"\baanrand", r"\bgrensoverschrijdend"
        ),
        "sexual abuse or transgressive behaviour is named: at least a referral line",
    ),
    Rule(
        "exploitation_named",
        "uitbuiting",
        "soft",
        _rx(r"\bloverboy", r"\bmensenhandel", r"\buitbuit", r"\bgedwongen prostitutie"),
        "exploitation is named: at least a referral line",
    ),
)
# Context words (not a rule of their own): a staff member or fellow client makes violence,
# abuse or transgressive behaviour a matter of violence in the care relationship.
IN_CARE = _rx(
    r"\b(collega|begeleider|begeleidster|medewerker|verzorger|verzorgster|verpleegkundige|"
    r"personeel|stagiair|stagiaire|invalkracht|vrijwilliger|medeclient|medebewoner|groepsgenoot|"
    r"nachtdienst)"
)
IN_CARE_CATEGORIES = {"geweld", "mishandeling", "seksueel_grensoverschrijdend"}
# What a general question may touch and still get its ordinary answer with a referral line on
# top (the "abuse, violence, neglect or exploitation"). Other soft classifier signals
# give no line: suicide is always urgent, and a stray line on an unrelated answer confuses.
SOFT_CATEGORIES = {"geweld", "mishandeling", "seksueel_grensoverschrijdend", "uitbuiting"}

# A general question (one sentence, opening with a question word) that describes no situation:
# no person of one's own ("mijn cliënt"), nobody who says or does something, no "now" or "today".
# Such a question touching abuse or violence is "soft" (its answer plus a referral line), unless
# a rule makes it urgent or it is about suicide (always urgent).
GENERAL_QUESTION = _rx(
    r"^\s*(wat|hoe|waarom|welke|welk|wanneer|vanaf|op welke|in hoeverre|is er|zijn er|bestaat|"
    r"bestaan|waar|wie)\b[^.!?\n]*\??\s*$"
)
SITUATION = _rx(
    r"\b(mijn|m'n|onze|ons|jouw|zijn|haar)\s+\w+",
    r"\b(hij|zij|ze|ik)\s+(zegt|zei|vertelt|vertelde|zie|zag|vermoed|denk|merk|merkte|vond|"
    r"hoorde|heb|is|wordt|werd|heeft)\b",
    r"\b(nu|net|vandaag|gisteren|vannacht|vanavond|vanochtend)\b",
)

_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def split_sentences(text: str) -> list[str]:
    """Sentences of user text (also lower case after the full stop, and line by line)."""
    parts = [p.strip() for p in _SENTENCE.split(text)]
    return [p for p in parts if len(p.split()) >= 3]


# -- results -------------------------------------------------------------------------------
@dataclass
class Urgency:
    level: Level
    categories: list[str] = field(default_factory=list)  # strongest first
    probability: float = 0.0  # the classifier's P(urgent) for the most urgent part
    reasons: list[str] = field(default_factory=list)

    @property
    def urgent(self) -> bool:
        return self.level == "urgent"


@dataclass
class UrgencyModel:
    """Trained weights for one embedding model: labelled rows, two regressions, four thresholds.

    Inputs are centred on the training mean and renormalised (sentence embeddings share a large
    common direction that says nothing about urgency). P(urgent) decides the level: at least
    `urgent_threshold` for a whole text (`part_threshold` for one sentence of a longer text)
    is urgent, at least `line_threshold` gives a referral line on top of the ordinary answer.
    P(referral) (urgent or soft in the labels) gives a line from `soft_threshold` for a general
    question touching abuse, violence or exploitation; the category regression names the
    referral. P(urgent) and P(referral) are nearest-neighbour votes (K_NEIGHBOURS above); for
    P(urgent) a logistic regression and a small network ensemble were tried and raised more
    false alarms out of fold. A logistic regression for P(referral) put a referral line on
    about 1 in 7 ordinary attachment questions (see the README, Urgent situations).
    """

    embedding_model: str
    center: list[float]
    # The training rows (centred, normalised; base64 float16) and two labels per row: urgent,
    # and referral (needs at least a referral line: urgent or soft).
    neighbours: dict
    categories: list[str]
    category_coef: list[list[float]]
    category_intercept: list[float]
    urgent_coef: list[float]
    urgent_intercept: float
    urgent_threshold: float
    line_threshold: float
    part_threshold: float
    soft_threshold: float
    trained_on: str = ""
    examples: int = 0
    c: float = 1.0
    version: int = FORMAT_VERSION

    def features(self, x: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(x) - self._arrays["center"]
        return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)

    def urgent_probability(self, z: np.ndarray) -> np.ndarray:
        a = self._arrays
        logit = np.clip(np.atleast_2d(z) @ a["urgent_coef"] + self.urgent_intercept, -60, 60)
        return (self._vote(z, a["labels"]) + 1.0 / (1.0 + np.exp(-logit))) / 2

    def referral_probability(self, z: np.ndarray) -> np.ndarray:
        return self._vote(z, self._arrays["referral"])

    def _vote(self, z: np.ndarray, labels: np.ndarray) -> np.ndarray:
        """Class-balanced, similarity-weighted vote of the K nearest training rows."""
        rows = self._arrays["rows"]
        sim = np.atleast_2d(z) @ rows.T
        k = min(K_NEIGHBOURS, rows.shape[0])
        nearest = np.argpartition(-sim, k - 1, axis=1)[:, :k]
        s = np.take_along_axis(sim, nearest, axis=1)
        weight = np.exp((s - s.max(axis=1, keepdims=True)) / TEMPERATURE)
        lab = labels[nearest]
        weight = weight * np.where(lab, 1.0 / labels.sum(), 1.0 / (~labels).sum())
        return (weight * lab).sum(axis=1) / weight.sum(axis=1)

    def category_probabilities(self, z: np.ndarray) -> np.ndarray:
        a = self._arrays
        return _softmax(z @ a["category_coef"].T + a["category_intercept"])

    @cached_property
    def _arrays(self) -> dict:
        """The weights as numpy arrays, converted once."""
        return {
            "center": np.asarray(self.center),
            "rows": weights.unpack_rows(self.neighbours),
            "labels": np.frombuffer(
                base64.b64decode(self.neighbours["urgent"]), dtype=np.uint8
            ).astype(bool),
            "referral": np.frombuffer(
                base64.b64decode(self.neighbours["referral"]), dtype=np.uint8
            ).astype(bool),
            "category_coef": np.asarray(self.category_coef),
            "urgent_coef": np.asarray(self.urgent_coef),
            "category_intercept": np.asarray(self.category_intercept),
        }

    def save(self, path: Path) -> None:
        weights.save(path, self)

    @classmethod
    def load(cls, path: Path) -> UrgencyModel:
        return cls(**weights.load(path, FORMAT_VERSION))


def _pack_rows(z: np.ndarray, urgent: np.ndarray, referral: np.ndarray) -> dict:
    def flags(a: np.ndarray) -> str:
        return base64.b64encode(np.asarray(a, dtype=np.uint8).tobytes()).decode("ascii")

    return {**weights.pack_rows(z), "urgent": flags(urgent), "referral": flags(referral)}


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.atleast_2d(z)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def weights_name(embedding_model: str) -> str:
    return f"urgency-{model_slug(embedding_model)}.json"


# -- the detector --------------------------------------------------------------------------
class UrgencyDetector:
    """`assess(text, vector)`: rules first, then the classifier on the whole text and its sentences.

    `vector` is the question's own query embedding (computed once by the pipeline); only the
    sentences of a longer text are embedded here, in one batch.
    """

    def __init__(
        self,
        embedder: QueryEmbedder | None,
        model: UrgencyModel | None = None,
        cache_dir: Path | None = None,
        urgent_threshold: float | None = None,
        soft_threshold: float | None = None,
        rules: Sequence[Rule] = RULES,
        max_whole_chars: int = 2000,
        train_paths: Sequence[Path] | None = None,
    ):
        self.embedder = embedder
        self.train_paths = train_paths  # None: the packaged urgency-train*.tsv files
        self.max_whole_chars = max_whole_chars
        self.cache_dir = cache_dir
        self.rules = tuple(rules)
        self._model = model
        self._urgent_threshold = urgent_threshold
        self._soft_threshold = soft_threshold
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, embedder: QueryEmbedder | None) -> UrgencyDetector:
        return cls(
            embedder,
            cache_dir=Path(settings.data_dir),
            urgent_threshold=settings.urgent_threshold,
            soft_threshold=settings.soft_threshold,
        )

    # -- weights -------------------------------------------------------------------------------
    @property
    def model(self) -> UrgencyModel:
        """The weights for this embedder: packaged, cached in the data dir, or trained once."""
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load_or_train()
        return self._model

    def _load_or_train(self) -> UrgencyModel:
        name = weights_name(self.embedder.name)
        candidates = [RESOURCES / name]
        if self.cache_dir is not None:
            candidates.append(self.cache_dir / name)
        for path in candidates:
            if path.exists():
                try:
                    model = UrgencyModel.load(path)
                except (ValueError, TypeError, KeyError, json.JSONDecodeError) as exc:
                    log.warning("ignoring urgency weights %s: %s", path, exc)
                    continue
                if model.embedding_model == self.embedder.name:
                    return model
        log.info("no urgency weights for %s; training them once", self.embedder.name)
        model = train(self.embedder, self.train_paths)
        if self.cache_dir is not None:
            try:
                model.save(self.cache_dir / name)
            except OSError as exc:  # a read-only data dir: keep the weights in memory
                log.warning("could not cache urgency weights: %s", exc)
        return model

    @property
    def urgent_threshold(self) -> float:
        if self._urgent_threshold is not None:
            return self._urgent_threshold
        return self.model.urgent_threshold

    @property
    def soft_threshold(self) -> float:
        if self._soft_threshold is not None:
            return self._soft_threshold
        return self.model.soft_threshold

    # -- assessment ----------------------------------------------------------------------------
    def assess(self, text: str, vector: Sequence[float] | None = None) -> Urgency:
        return self.assess_many([text], [vector])[0]

    def assess_many(
        self, texts: Sequence[str], vectors: Sequence[Sequence[float] | None] | None = None
    ) -> list[Urgency]:
        """Assess several texts, embedding everything that still needs it in one batch."""
        if self.embedder is None:  # rules only
            return [self._judge(text, None) for text in texts]
        vectors = list(vectors) if vectors is not None else [None] * len(texts)
        units: list[list[str]] = []
        pending: list[str] = []
        for text, vector in zip(texts, vectors, strict=True):
            parts = split_sentences(text)
            # The whole text, unless it overflows the model's window (then its sentences decide).
            own = [] if vector is not None or len(text) > self.max_whole_chars else [text]
            extra = parts if len(parts) > 1 else []
            units.append(own + extra)
            pending.extend(own + extra)
        embedded = iter(self._embed(pending))
        results = []
        for text, vector, unit in zip(texts, vectors, units, strict=True):
            rows = [next(embedded) for _ in unit]
            if vector is not None:
                rows.insert(0, np.asarray(vector, dtype=np.float32))
            whole = vector is not None or len(text) <= self.max_whole_chars
            results.append(self._judge(text, np.vstack(rows) if rows else None, whole))
        return results

    def _embed(self, texts: list[str]) -> list[np.ndarray]:
        if not texts:
            return []
        return list(np.asarray(self.embedder.embed_queries(texts), dtype=np.float32))

    @property
    def line_threshold(self) -> float:
        return min(self.model.line_threshold, self.urgent_threshold)

    @property
    def part_threshold(self) -> float:
        return max(self.model.part_threshold, self.urgent_threshold)

    def scores(self, x: np.ndarray, whole: bool = True) -> Scores:
        """The classifier on a text's rows: its whole text first (when `whole`), then its
        sentences."""
        model = self.model
        z = model.features(x)
        urgent = model.urgent_probability(z)
        referral = model.referral_probability(z)
        whole_p = float(urgent[0]) if whole else 0.0
        parts = urgent[1:] if whole else urgent
        part_p = float(parts.max()) if len(parts) else 0.0
        # The row that decides names the category: the most urgent one, else the likeliest
        # to need a referral.
        best = int(np.argmax(urgent))
        row = best if urgent[best] >= self.line_threshold else int(np.argmax(referral))
        categories = model.category_probabilities(z[[row]])[0]
        return Scores(whole_p, part_p, float(referral.max()), categories)

    def _judge(self, text: str, x: np.ndarray | None, whole: bool = True) -> Urgency:
        folded = fold(text)
        level_rank = 0
        categories: list[str] = []
        reasons: list[str] = []
        for rule in self.rules:
            if rule.pattern.search(folded):
                level_rank = max(level_rank, LEVELS.index(rule.level))
                if rule.category not in categories:
                    categories.append(rule.category)
                reasons.append(f"rule {rule.name}: {rule.reason}")
        probability = 0.0
        if x is not None and len(x):
            s = self.scores(x, whole)
            probability = max(s.whole, s.part)
            top_category = self.model.categories[int(np.argmax(s.categories))]
            model_rank = 0
            if s.whole >= self.urgent_threshold:
                model_rank = 2
                reasons.append(
                    f"classifier: P(urgent) {s.whole:.2f} >= {self.urgent_threshold:.2f}"
                )
            elif s.part >= self.part_threshold:
                model_rank = 2
                reasons.append(
                    f"classifier: a sentence P(urgent) {s.part:.2f} >= {self.part_threshold:.2f}"
                )
            elif probability >= self.line_threshold:
                # Unsure: the ordinary answer with the fitting referral (113 for suicide) on
                # top. Making the unsure suicide cases urgent as well found 0.972 instead of
                # 0.935 of the suicide training examples out of fold, but made 15 instead of
                # 11 in 100 ordinary texts urgent; in use it turned questions about a client
                # moving house ("gaat weg uit de groep") into 113 answers without an answer.
                model_rank = 1
                reasons.append(
                    f"classifier: P(urgent) {probability:.2f} >= {self.line_threshold:.2f} "
                    "(referral line)"
                )
            elif s.referral >= self.soft_threshold and top_category in SOFT_CATEGORIES:
                model_rank = 1
                reasons.append(
                    f"classifier: P(referral) {s.referral:.2f} >= {self.soft_threshold:.2f}"
                )
            if (
                model_rank == 2
                and level_rank < 2
                and top_category != "zelfdoding"
                and GENERAL_QUESTION.search(folded)
                and not SITUATION.search(folded)
            ):
                model_rank = 1  # a general question: its answer with a referral line
                reasons.append("general question without a described situation: soft")
            unsure = model_rank == 1 and probability >= self.line_threshold
            if unsure and not categories and s.categories.max() < CATEGORY_CONFIDENCE:
                # Unsure whether it is urgent and unsure what it would be: the general line
                # (direct danger: 112) rather than a guessed one (a question about medication
                # got the exploitation line, grief the 113 line).
                categories.append(DIRECT_DANGER)
                reasons.append(
                    f"category unsure ({s.categories.max():.2f} < {CATEGORY_CONFIDENCE}): "
                    "general referral"
                )
            elif model_rank:
                order = np.argsort(-s.categories)
                top = s.categories[order[0]]
                for i in order:
                    name = self.model.categories[i]
                    if s.categories[i] >= 0.5 * top and name not in categories:
                        categories.append(name)
            level_rank = max(level_rank, model_rank)
        if level_rank == 2 and IN_CARE_CATEGORIES & set(categories) and IN_CARE.search(folded):
            categories.append(IN_CARE_SITUATION)
            reasons.append("context: a staff member or fellow client is involved")
        if not level_rank:
            categories = []
        return Urgency(LEVELS[level_rank], categories, round(probability, 4), reasons)


@dataclass
class Scores:
    whole: float  # P(urgent) of the whole text (0 when only its sentences were judged)
    part: float  # the largest P(urgent) of its sentences (0 for a one-sentence text)
    referral: float  # the largest P(referral)
    categories: np.ndarray  # category probabilities of the deciding row


# -- labelled examples ---------------------------------------------------------------------
@dataclass(frozen=True)
class Example:
    text: str
    level: Level
    category: str  # one of CATEGORIES, or "-" for none
    line: int = 0


def read_examples(path: Path) -> list[Example]:
    """`text<TAB>level<TAB>category` per line; '#' lines are comments."""
    examples: list[Example] = []
    problems: list[str] = []
    for n, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        parts = raw.split("\t")
        if len(parts) != 3:
            problems.append(
                f"{path}:{n}: expected text<TAB>level<TAB>category, got {len(parts)} fields"
            )
            continue
        text, level, category = (p.strip() for p in parts)
        if level not in LEVELS:
            problems.append(f"{path}:{n}: unknown level '{level}' (use {', '.join(LEVELS)})")
        elif (
            (level == "none" and category != "-")
            or (level == "urgent" and category not in CATEGORIES)
            or (category != "-" and category not in CATEGORIES)
        ):
            problems.append(
                f"{path}:{n}: category '{category}' does not fit level '{level}' "
                f"(use one of {', '.join(CATEGORIES)}; - with level none, or with soft when "
                "the category is unknown)"
            )
        else:
            examples.append(Example(text, level, category, n))  # type: ignore[arg-type]
    if problems:
        raise ValueError("\n".join(problems))
    return examples


# -- training and calibration --------------------------------------------------------------
FOLDS = 5
# Operating points, chosen before measuring on unseen text (see the settings' descriptions):
# a referral line on top of the ordinary answer for all but 1 in 100 urgent training examples
# (judged out of fold), and kind "urgent" (referral first) for all but 5 in 100 that the rules
# do not already catch. A lower urgent threshold flags about half of all ordinary stories about
# a client as urgent (cross-validated on the training files), which buries the referral for the
# cases that are real; a referral line costs a reader one sentence.
LINE_RECALL = 0.99
URGENT_RECALL = 0.95
MIN_THRESHOLD = 0.05
SOFT_RECALL = 0.90  # general questions on abuse, violence, exploitation: a line for 9 in 10


def train(
    embedder: QueryEmbedder,
    train_paths: Sequence[Path] | Path | None = None,
    c: float = 1.0,
    progress: Callable[[str], None] | None = None,
) -> UrgencyModel:
    """Fit the regressions on the training files; thresholds from out-of-fold predictions.

    Every example is a whole text; the sentences of a non-urgent text are negatives too (an
    ordinary story has no urgent sentence), the sentences of an urgent one are not labelled.
    """
    paths = _paths(train_paths)
    examples = [e for path in paths for e in read_examples(path)]
    say = progress or (lambda _msg: None)
    texts, owner, whole = _units(examples)
    say(f"embedding {len(examples)} training examples ({len(texts)} texts and sentences)")
    x = np.asarray(embedder.embed_queries(texts), dtype=np.float64)
    urgent = np.array([e.level == "urgent" for e in examples])
    referral = np.array([e.level != "none" for e in examples])
    rows = np.flatnonzero(whole | ~urgent[owner])  # whole texts, and sentences of ordinary ones
    model = _fit(
        embedder.name, x[rows], urgent[owner[rows]], referral[owner[rows]], examples, owner[rows], c
    )
    model.trained_on = ", ".join(p.name for p in paths)
    model.examples = len(examples)
    say(f"choosing thresholds from {FOLDS}-fold out-of-fold predictions")
    oof = calibrate(model, x, examples, owner, whole, c)
    say(oof_summary(model, oof, examples))
    return model


def oof_summary(model: UrgencyModel, oof: OutOfFold, examples: Sequence[Example]) -> str:
    """What the chosen thresholds give out of fold, per level (rules included)."""
    levels = np.array([e.level for e in examples])
    urgent = (
        (oof.rule_level == 2)
        | (oof.whole >= model.urgent_threshold)
        | (oof.part >= max(model.part_threshold, model.urgent_threshold))
    )
    referred = (
        urgent
        | (np.maximum(oof.whole, oof.part) >= model.line_threshold)
        | (oof.rule_level == 1)
        | (oof.referral >= model.soft_threshold)  # whatever the category (an upper bound)
    )
    out = []
    for level in LEVELS[::-1]:
        m = levels == level
        out.append(
            f"{level}: {m.sum()} examples, urgent {urgent[m].mean():.3f}, "
            f"urgent or referral line {referred[m].mean():.3f}"
        )
    return "out of fold: " + "; ".join(out)


def _paths(train_paths: Sequence[Path] | Path | None) -> list[Path]:
    if train_paths is None:
        return sorted(RESOURCES.glob(TRAIN_GLOB))
    if isinstance(train_paths, (str, Path)):
        return [Path(train_paths)]
    return [Path(p) for p in train_paths]


def _units(examples: Sequence[Example]) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Each example's whole text and, when it has several, its sentences."""
    texts: list[str] = []
    owner: list[int] = []
    whole: list[bool] = []
    for i, e in enumerate(examples):
        parts = split_sentences(e.text)
        for j, unit in enumerate([e.text] + (parts if len(parts) > 1 else [])):
            texts.append(unit)
            owner.append(i)
            whole.append(j == 0)
    return texts, np.array(owner), np.array(whole)


def _fit(name, x, urgent, referral, examples, owner, c) -> UrgencyModel:
    from sklearn.linear_model import LogisticRegression

    center = x.mean(axis=0)
    z = x - center
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)

    def fit(rows, labels):
        return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(rows, labels)

    labelled = np.array([examples[i].category not in ("-", "") for i in owner])
    cat = fit(z[labelled], [examples[i].category for i in owner[labelled]])
    urg = fit(z, urgent)
    return UrgencyModel(
        embedding_model=name,
        center=_rounded(center),
        neighbours=_pack_rows(z, urgent, referral),
        categories=[str(v) for v in cat.classes_],
        category_coef=_rounded(cat.coef_),
        category_intercept=_rounded(cat.intercept_),
        urgent_coef=_rounded(urg.coef_[0]),
        urgent_intercept=float(urg.intercept_[0]),
        urgent_threshold=0.5,
        line_threshold=0.5,
        part_threshold=0.5,
        soft_threshold=0.5,
        c=c,
    )


def _rounded(a: np.ndarray, decimals: int = 6) -> list:
    return np.round(np.asarray(a, dtype=np.float64), decimals).tolist()


@dataclass
class OutOfFold:
    """Per example, predicted by a model that did not see it: P(urgent) of the whole text,
    the largest P(urgent) of its sentences (0 for one sentence), the largest P(referral), and
    whether the rules alone make it urgent or give it a referral line."""

    whole: np.ndarray
    part: np.ndarray
    referral: np.ndarray
    rule_level: np.ndarray


def out_of_fold(x, examples, owner, whole, c: float = 1.0, folds: int = FOLDS) -> OutOfFold:
    from sklearn.model_selection import StratifiedKFold

    levels = np.array([e.level for e in examples])
    urgent = levels == "urgent"
    W, P, R = (np.zeros(len(examples)) for _ in range(3))
    split = StratifiedKFold(folds, shuffle=True, random_state=0)
    for train_ix, _test_ix in split.split(np.zeros(len(examples)), levels):
        seen = np.zeros(len(examples), dtype=bool)
        seen[train_ix] = True
        rows = np.flatnonzero(seen[owner] & (whole | ~urgent[owner]))
        m = _fit(
            "oof",
            x[rows],
            urgent[owner[rows]],
            levels[owner[rows]] != "none",
            examples,
            owner[rows],
            c,
        )
        test = np.flatnonzero(~seen[owner])
        z = m.features(x[test])
        pu, pr = m.urgent_probability(z), m.referral_probability(z)
        for k, a, b in zip(test, pu, pr, strict=True):
            i = owner[k]
            if whole[k]:
                W[i] = a
            else:
                P[i] = max(P[i], a)
            R[i] = max(R[i], b)
    rules = UrgencyDetector(None)
    rule_level = np.array([LEVELS.index(rules._judge(e.text, None).level) for e in examples])
    return OutOfFold(W, P, R, rule_level)


def calibrate(model: UrgencyModel, x, examples, owner, whole, c: float = 1.0) -> OutOfFold:
    """Set the thresholds from out-of-fold predictions on the training files (LINE_RECALL and
    URGENT_RECALL above); `python -m assistant urgency-eval` prints what they give."""
    oof = out_of_fold(x, examples, owner, whole, c)
    levels = np.array([e.level for e in examples])
    need = (levels == "urgent") & (oof.rule_level < 2)  # what the classifier has to find
    single = oof.part == 0
    best = np.maximum(oof.whole, oof.part)
    model.line_threshold = _quantile(best[need], 1 - LINE_RECALL)
    model.urgent_threshold = _quantile(oof.whole[need & single], 1 - URGENT_RECALL)
    # Sentences of a longer text: the lowest threshold above the whole-text one that still
    # finds URGENT_RECALL of the urgent multi-sentence examples.
    several = need & ~single
    model.part_threshold = model.urgent_threshold
    for t in np.unique(np.round(oof.part[several], 4))[::-1]:
        t = float(t)
        if t < model.urgent_threshold:
            break
        found = (oof.whole[several] >= model.urgent_threshold) | (oof.part[several] >= t)
        if found.mean() >= URGENT_RECALL:
            model.part_threshold = t
            break
    # A referral line for a general question (abuse, violence, exploitation): the soft
    # examples that neither the rules nor the urgent classifier refer.
    soft = (levels == "soft") & (oof.rule_level == 0) & (best < model.line_threshold)
    if soft.any():
        model.soft_threshold = _quantile(oof.referral[soft], 1 - SOFT_RECALL)
    return oof


def _quantile(values: np.ndarray, q: float) -> float:
    """The q-quantile, but never below MIN_THRESHOLD: with few examples an urgent one can have
    no urgent neighbour at all (P = 0), and a zero threshold would refer every text."""
    return max(round(float(np.quantile(values, q)), 4), MIN_THRESHOLD) if len(values) else 0.5


# -- evaluation ----------------------------------------------------------------------------
@dataclass
class CategoryFigures:
    name: str
    urgent: int = 0  # urgent examples of this category
    caught: int = 0  # ... recognised as urgent
    soft: int = 0  # soft examples of this category
    referred: int = 0  # ... given at least a referral line
    soft_as_urgent: int = 0  # ... made urgent (no ordinary answer)
    right_category: int = 0  # examples whose category was among those found

    @property
    def recall(self) -> float:
        return self.caught / self.urgent if self.urgent else 1.0


@dataclass
class Miss:
    text: str
    expected: str
    got: str
    probability: float


@dataclass
class UrgencyReport:
    file: str
    examples: int
    urgent: int
    urgent_caught: int
    soft: int
    soft_referred: int
    soft_as_urgent: int
    none: int
    none_as_soft: int
    none_as_urgent: int
    categories: list[CategoryFigures]
    misses: list[Miss]
    ms_per_example: float = 0.0

    @property
    def urgent_recall(self) -> float:
        return self.urgent_caught / self.urgent if self.urgent else 1.0

    @property
    def urgent_false_alarms(self) -> int:
        """Non-urgent examples (soft or none) that were made urgent."""
        return self.soft_as_urgent + self.none_as_urgent

    @property
    def soft_recall(self) -> float:
        return self.soft_referred / self.soft if self.soft else 1.0

    def table(self) -> str:
        def pct(a: int, b: int) -> str:
            return f"{a}/{b} ({a / b:.0%})" if b else "-"

        lines = [
            f"{'niveau':<10} {'voorbeelden':>11}  resultaat",
            f"{'urgent':<10} {self.urgent:>11}  recall {pct(self.urgent_caught, self.urgent)}",
            f"{'soft':<10} {self.soft:>11}  met verwijsregel {pct(self.soft_referred, self.soft)}, "
            f"onterecht urgent {self.soft_as_urgent}",
            f"{'none':<10} {self.none:>11}  vals alarm: soft {self.none_as_soft}, "
            f"urgent {self.none_as_urgent}",
            "",
            f"{'categorie':<30} {'urgent recall':>15} {'soft verwezen':>14} "
            f"{'soft->urgent':>13} {'categorie goed':>15}",
        ]
        for c in self.categories:
            lines.append(
                f"{c.name:<30} {pct(c.caught, c.urgent):>15} {pct(c.referred, c.soft):>14} "
                f"{c.soft_as_urgent:>13} {pct(c.right_category, c.urgent + c.soft):>15}"
            )
        lines += [
            "",
            f"urgent recall {self.urgent_recall:.3f}; urgent vals alarm {self.urgent_false_alarms}"
            f"/{self.soft + self.none}; {self.ms_per_example:.0f} ms per voorbeeld",
        ]
        return "\n".join(lines)


def evaluate_urgency(detector: UrgencyDetector, path: Path | str) -> UrgencyReport:
    """Score the detector on a labelled file (text<TAB>level<TAB>category)."""
    examples = read_examples(Path(path))
    start = time.perf_counter()
    results = detector.assess_many([e.text for e in examples])
    elapsed = time.perf_counter() - start
    figures = {name: CategoryFigures(name) for name in CATEGORIES}
    n = dict.fromkeys(("urgent", "caught", "soft", "referred", "soft_urgent"), 0)
    n |= dict.fromkeys(("none", "none_soft", "none_urgent"), 0)
    misses: list[Miss] = []
    for e, r in zip(examples, results, strict=True):
        if e.level == "urgent":
            n["urgent"] += 1
            n["caught"] += r.level == "urgent"
        elif e.level == "soft":
            n["soft"] += 1
            n["referred"] += r.level != "none"
            n["soft_urgent"] += r.level == "urgent"
        else:
            n["none"] += 1
            n["none_soft"] += r.level == "soft"
            n["none_urgent"] += r.level == "urgent"
        if e.category in figures:
            f = figures[e.category]
            if e.level == "urgent":
                f.urgent += 1
                f.caught += r.level == "urgent"
            else:
                f.soft += 1
                f.referred += r.level != "none"
                f.soft_as_urgent += r.level == "urgent"
            f.right_category += e.category in r.categories
        if r.level != e.level or (e.category in figures and e.category not in r.categories):
            got = f"{r.level} {','.join(r.categories) or '-'}"
            misses.append(Miss(e.text, f"{e.level} {e.category}", got, r.probability))
    return UrgencyReport(
        file=str(path),
        examples=len(examples),
        urgent=n["urgent"],
        urgent_caught=n["caught"],
        soft=n["soft"],
        soft_referred=n["referred"],
        soft_as_urgent=n["soft_urgent"],
        none=n["none"],
        none_as_soft=n["none_soft"],
        none_as_urgent=n["none_urgent"],
        categories=list(figures.values()),
        misses=misses,
        ms_per_example=1000 * elapsed / max(len(examples), 1),
    )
