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
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from .text import fold

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
TRAIN_FILE = RESOURCES / "urgency-train.tsv"
DEV_FILE = RESOURCES / "urgency-dev.tsv"
FORMAT_VERSION = 2
MEMBERS = 5  # small networks averaged for P(urgent); fixed seeds 0..4
HIDDEN = 32


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
    """Trained weights for one embedding model: three classifiers and two thresholds.

    Inputs are centred on the training mean and renormalised (sentence embeddings share a large
    common direction that says nothing about urgency). P(urgent) is the average of a few small
    one-hidden-layer networks (on the dev file: about half the urgent false alarms at recall 1.0
    of a logistic regression); "needs a referral line" and the category are logistic
    regressions (a network ensemble raised more soft false alarms there: 20 against 12).
    """

    embedding_model: str
    center: list[float]
    urgent_members: list[dict]  # per network: hidden (d x h), hidden_bias (h), out (h), out_bias
    referral_coef: list[float]  # needs at least a referral line (urgent or soft) vs none
    referral_intercept: float
    categories: list[str]
    category_coef: list[list[float]]
    category_intercept: list[float]
    urgent_threshold: float
    soft_threshold: float
    trained_on: str = ""
    calibrated_on: str = ""
    examples: int = 0
    c: float = 10.0
    version: int = FORMAT_VERSION

    def features(self, x: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(x) - self._arrays["center"]
        return z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)

    def urgent_probability(self, z: np.ndarray) -> np.ndarray:
        return _ensemble(self._arrays["urgent"], z)

    def referral_probability(self, z: np.ndarray) -> np.ndarray:
        a = self._arrays
        return _sigmoid(z @ a["referral_coef"] + self.referral_intercept)

    def category_probabilities(self, z: np.ndarray) -> np.ndarray:
        a = self._arrays
        return _softmax(z @ a["category_coef"].T + a["category_intercept"])

    @cached_property
    def _arrays(self) -> dict:
        """The weights as numpy arrays, converted once."""
        return {
            "center": np.asarray(self.center),
            "urgent": [_unpack_member(m) for m in self.urgent_members],
            "referral_coef": np.asarray(self.referral_coef),
            "category_coef": np.asarray(self.category_coef),
            "category_intercept": np.asarray(self.category_intercept),
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), ensure_ascii=False), encoding="utf-8")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> UrgencyModel:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") != FORMAT_VERSION:
            raise ValueError(
                f"{path}: weights format {data.get('version')}, expected {FORMAT_VERSION}"
            )
        return cls(**data)


def _ensemble(members: list, z: np.ndarray) -> np.ndarray:
    """Mean output of one-hidden-layer ReLU networks with a logistic output."""
    return np.mean([_sigmoid(np.maximum(z @ w + b, 0.0) @ v + c) for w, b, v, c in members], axis=0)


def _pack_member(net) -> dict:
    """One fitted MLPClassifier; the hidden matrix as base64 float16 (small file, ample precision)."""
    hidden = np.asarray(net.coefs_[0], dtype="<f2")
    return {
        "hidden": base64.b64encode(hidden.tobytes()).decode("ascii"),
        "shape": list(hidden.shape),
        "hidden_bias": _rounded(net.intercepts_[0], 5),
        "out": _rounded(net.coefs_[1][:, 0], 5),
        "out_bias": round(float(net.intercepts_[1][0]), 5),
    }


def _unpack_member(m: dict) -> tuple:
    hidden = np.frombuffer(base64.b64decode(m["hidden"]), dtype="<f2").astype(np.float64)
    return (
        hidden.reshape(m["shape"]),
        np.asarray(m["hidden_bias"]),
        np.asarray(m["out"]),
        float(m["out_bias"]),
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = np.atleast_2d(z)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def model_slug(name: str) -> str:
    """A file-name-safe form of an embedding model's name: 'intfloat/x-y' -> 'intfloat-x-y'."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "model"


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
        long_text_threshold: float = 0.0,
        rules: Sequence[Rule] = RULES,
        max_whole_chars: int = 2000,
        train_file: Path = TRAIN_FILE,
        dev_file: Path = DEV_FILE,
    ):
        self.embedder = embedder
        self.train_file = train_file
        self.dev_file = dev_file
        self.max_whole_chars = max_whole_chars
        self.cache_dir = cache_dir
        self.rules = tuple(rules)
        self._model = model
        self._urgent_threshold = urgent_threshold
        # A text of several sentences is judged part by part, and the largest of many
        # probabilities is easily high: such texts need at least this one.
        self.long_text_threshold = long_text_threshold
        self._soft_threshold = soft_threshold
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings, embedder: QueryEmbedder | None) -> UrgencyDetector:
        return cls(
            embedder,
            cache_dir=Path(settings.data_dir),
            urgent_threshold=settings.urgent_threshold,
            soft_threshold=settings.soft_threshold,
            long_text_threshold=settings.urgent_long_text_threshold,
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
        model = train(self.embedder, self.train_file, self.dev_file)
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
            results.append(self._judge(text, np.vstack(rows) if rows else None))
        return results

    def _embed(self, texts: list[str]) -> list[np.ndarray]:
        if not texts:
            return []
        return list(np.asarray(self.embedder.embed_queries(texts), dtype=np.float32))

    def scores(self, x: np.ndarray) -> tuple[float, float, np.ndarray]:
        """P(urgent), P(referral) and the category probabilities of the most urgent part."""
        model = self.model
        z = model.features(x)
        urgent = model.urgent_probability(z)
        referral = model.referral_probability(z)
        best = int(np.argmax(urgent))
        top_referral = int(np.argmax(referral))
        part = best if urgent[best] >= self.urgent_threshold else top_referral
        categories = model.category_probabilities(z[[part]])[0]
        return float(urgent[best]), float(referral[top_referral]), categories

    def _judge(self, text: str, x: np.ndarray | None) -> Urgency:
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
            probability, referral, cat_probs = self.scores(x)
            threshold = self.urgent_threshold
            if len(x) > 1:
                threshold = max(threshold, self.long_text_threshold)
            model_rank = 0
            if probability >= threshold:
                model_rank = 2
                reasons.append(f"classifier: P(urgent) {probability:.2f} >= {threshold:.2f}")
            elif referral >= self.soft_threshold:
                model_rank = 1
                reasons.append(
                    f"classifier: P(referral) {referral:.2f} >= {self.soft_threshold:.2f}"
                )
            top_category = self.model.categories[int(np.argmax(cat_probs))]
            if (
                model_rank == 2
                and level_rank < 2
                and top_category != "zelfdoding"
                and GENERAL_QUESTION.search(folded)
                and not SITUATION.search(folded)
            ):
                model_rank = 1  # a general question: its answer with a referral line
                reasons.append("general question without a described situation: soft")
            if model_rank == 1 and top_category not in SOFT_CATEGORIES:
                model_rank = 0
                reasons.pop()
            if model_rank:
                order = np.argsort(-cat_probs)
                top = cat_probs[order[0]]
                for i in order:
                    name = self.model.categories[i]
                    if cat_probs[i] >= 0.5 * top and name not in categories:
                        categories.append(name)
            level_rank = max(level_rank, model_rank)
        if level_rank == 2 and IN_CARE_CATEGORIES & set(categories) and IN_CARE.search(folded):
            categories.append(IN_CARE_SITUATION)
            reasons.append("context: a staff member or fellow client is involved")
        if not level_rank:
            categories = []
        return Urgency(LEVELS[level_rank], categories, round(probability, 4), reasons)


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
        elif (level == "none") != (category == "-") or (
            category != "-" and category not in CATEGORIES
        ):
            problems.append(
                f"{path}:{n}: category '{category}' does not fit level '{level}' "
                f"(use one of {', '.join(CATEGORIES)}, or - with level none)"
            )
        else:
            examples.append(Example(text, level, category, n))  # type: ignore[arg-type]
    if problems:
        raise ValueError("\n".join(problems))
    return examples


# -- training and calibration --------------------------------------------------------------
def train(
    embedder: QueryEmbedder,
    train_path: Path = TRAIN_FILE,
    dev_path: Path = DEV_FILE,
    c: float = 10.0,
    progress: Callable[[str], None] | None = None,
) -> UrgencyModel:
    """Fit both regressions on the training file, choose the thresholds on the dev file."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier

    examples = read_examples(train_path)
    say = progress or (lambda _msg: None)
    say(f"embedding {len(examples)} training examples")
    x = np.asarray(embedder.embed_queries([e.text for e in examples]), dtype=np.float64)
    center = x.mean(axis=0)
    z = x - center
    z /= np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-9)

    def fit(rows, labels):
        return LogisticRegression(C=c, class_weight="balanced", max_iter=5000).fit(rows, labels)

    def networks(labels: list[bool]) -> list[dict]:
        return [
            _pack_member(
                MLPClassifier((HIDDEN,), alpha=1e-2, max_iter=2000, random_state=seed).fit(
                    z, labels
                )
            )
            for seed in range(MEMBERS)
        ]

    urgent = networks([e.level == "urgent" for e in examples])
    referral = fit(z, [e.level != "none" for e in examples])
    flagged = [i for i, e in enumerate(examples) if e.category != "-"]
    categories = fit(z[flagged], [examples[i].category for i in flagged])
    model = UrgencyModel(
        embedding_model=embedder.name,
        center=_rounded(center),
        urgent_members=urgent,
        referral_coef=_rounded(referral.coef_[0]),
        referral_intercept=round(float(referral.intercept_[0]), 6),
        categories=[str(v) for v in categories.classes_],
        category_coef=_rounded(categories.coef_),
        category_intercept=_rounded(categories.intercept_),
        urgent_threshold=0.5,
        soft_threshold=0.5,
        trained_on=Path(train_path).name,
        calibrated_on=Path(dev_path).name,
        examples=len(examples),
        c=c,
    )
    say("calibrating thresholds on the dev file")
    calibrate(model, embedder, dev_path)
    return model


def _rounded(a: np.ndarray, decimals: int = 6) -> list:
    return np.round(np.asarray(a, dtype=np.float64), decimals).tolist()


def calibrate(model: UrgencyModel, embedder: QueryEmbedder, dev_path: Path) -> None:
    """Thresholds from the dev file: recall 1.0 with a safety margin ("when unsure, refer").

    The urgent threshold is 0.9 times the lowest P(urgent) among the dev file's urgent examples
    that the rules do not already catch; the soft threshold does the same with P(referral) for
    the examples that need at least a referral line and get none from the rules or from the
    urgent threshold. The false alarms this costs are printed by
    `python -m assistant urgency-eval`.
    """
    examples = read_examples(dev_path)
    detector = UrgencyDetector(embedder, model, urgent_threshold=1.01, soft_threshold=1.01)
    p_urgent, p_referral = [], []
    for e in examples:  # the classifier alone, per example its most urgent part
        parts = split_sentences(e.text)
        x = np.vstack(detector._embed([e.text] + (parts if len(parts) > 1 else [])))
        u, r, _ = detector.scores(x)
        p_urgent.append(u)
        p_referral.append(r)
    rules = [detector._judge(e.text, None).level for e in examples]
    model.urgent_threshold = _threshold(
        [
            p
            for p, e, r in zip(p_urgent, examples, rules, strict=True)
            if e.level == "urgent" and r != "urgent"
        ]
    )
    # A referral is still needed where neither the rules nor the urgent threshold give one.
    model.soft_threshold = _threshold(
        [
            p
            for p, u, e, r in zip(p_referral, p_urgent, examples, rules, strict=True)
            if e.level != "none" and r == "none" and u < model.urgent_threshold
        ]
    )


def _threshold(needed: list[float], margin: float = 0.9) -> float:
    return round(margin * min(needed), 4) if needed else 0.5


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
