"""Decide, before composing, whether a question is urgent, unanswerable or answerable."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .answerability import AnswerabilityJudge
from .retrieval import Retrieval
from .text import fold

Kind = Literal["answer", "no_answer", "urgent"]


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# Signals that are urgent whatever the framing. Matched on folded text (no diacritics).
STRONG: dict[str, re.Pattern[str]] = {
    "zelfdoding": _rx(
        r"\bzelfmoord",
        r"\bzelfdoding",
        r"\bsuicid",
        r"\bsuizid",
        r"\bniet meer (wil|wilt|willen|wou) leven",
        r"\bniet meer (wil|wilt|willen) (zijn|bestaan)",
        r"\b(wil|wilt|willen|wou|wilde) (echt )?niet meer (leven|verder|bestaan)",
        r"\b(wil|wilt|willen|wou|wilde) er niet meer zijn",
        r"\ber niet meer (wil|wilt|willen) zijn",
        r"\ber een eind(e)? aan (wil|wilt|willen|gaat|te) maken",
        r"\ber een eind(e)? aan maken",
        r"\b(wil|wilt|willen) (graag )?dood\b",
        r"\bdood (wil|wilt|willen)",
        r"\bdood (zijn|gaan)\b.*\b(wil|wilt|willen)\b",
        r"\bwou dat (ik|hij|zij|ze) dood",
        r"\b(een )?eind(e)? aan (zijn|haar|mijn|het|hun) leven",
        r"\bleven (heeft|had) geen zin",
        r"\bgeen zin meer in (het|zijn|haar|mijn) leven",
        r"\b(zichzelf|zich|mezelf|mijzelf) (iets )?(aan ?(doen|doet|deed)|ophangen|ophangt|van het leven beroven)",
        r"\bafscheidsbrief",
        r"\bvoor de trein",
        r"\bvan (het|een) (dak|flat|brug) (af )?springen",
    ),
    "zelfbeschadiging": _rx(
        r"\bzelfbeschadig",
        r"\bzelfverwond",
        r"\bautomutilatie",
        r"\b(zichzelf|zich|mezelf) (snijdt|snijden|krast|krassen|verwondt|verwonden|beschadigt|verbrandt)",
        r"\bsnijdt (zich|zichzelf)",
        r"\bkrast (zich|zichzelf)",
    ),
    "medisch": _rx(
        r"\bbewusteloos",
        r"\bademt (niet|nauwelijks|moeilijk)",
        r"\bgeen ademhaling",
        r"\breanim",
        r"\bhartaanval",
        r"\bhartstilstand",
        r"\bstikt\b",
        r"\bstikken\b",
        r"\bverslikt",
        r"\boverdosis",
        r"\bvergiftig",
        r"\bniet (meer )?aanspreekbaar",
        r"\b(epileptische )?aanval (die )?(blijft|stopt niet|duurt)",
        r"\bbloedt (erg|hevig|veel)",
        r"\b(veel|een hele strip|al zijn|al haar) pillen (ingenomen|geslikt|genomen)",
        r"\bflauwgevallen",
        r"\bvalt flauw",
    ),
    "geweld": _rx(
        r"\bmes(sen)?\b",
        r"\bwapen",
        r"\bpistool",
        r"\bvuurwapen",
        r"\bsteekt\b",
        r"\bgestoken",
        r"\bwurg",
        r"\bverkracht",
        r"\baanrand",
    ),
    "direct_gevaar": _rx(r"\b112\b", r"\blevensgevaar", r"\bin (acuut )?gevaar\b", r"\bbrand\b"),
}

# Signals that are urgent when they describe a real situation, not a textbook question.
WEAK: dict[str, re.Pattern[str]] = {
    "mishandeling": _rx(
        r"\bmishandel",
        r"\bmisbruik",
        r"\bhuiselijk geweld",
        r"\bkindermishandeling",
        r"\bverwaarloos",
        r"\bgrensoverschrijdend",
        r"\bongewenst(e)? (aanraking|seks|intiem)",
        r"\bseksueel (misbruik|geweld|contact)",
        r"\bwordt (geslagen|geschopt|mishandeld)",
        r"\bzit (aan|op) (haar|hem|zijn|mijn) (lichaam|billen|borsten|kruis)",
        r"\baan (haar|hem|mij|me|mijn|zijn) (zit|zat|zitten|komt|kwam)\b",
        r"\b(zit|zat|zitten) (hij|zij|ze)? ?aan (haar|hem|mij|me)\b",
    ),
    "geweld": _rx(
        r"\bbedreig",
        r"\bdreigt\b",
        r"\bgeweld",
        r"\bslaat\b",
        r"\bsloeg\b",
        r"\bgeslagen",
        r"\bschopt\b",
        r"\bgeschopt",
        r"\bvecht\b",
        r"\bvechtpartij",
        r"\baanval(t|len)\b",
        r"\bduwt\b",
        r"\bknijpt\b",
        r"\bopgesloten",
        r"\bvastgebonden",
    ),
}
# Who is involved: a staff member or fellow client makes it violence within care.
IN_CARE = _rx(
    r"\b(collega|begeleider|begeleidster|medewerker|verzorger|verzorgster|verpleegkundige|"
    r"personeel|stagiair|invalkracht|medecli[e]nt|medebewoner|groepsgenoot)"
)
SITUATION = _rx(
    r"\bik (vermoed|denk|zie|zag|merk|merkte|hoor|hoorde|heb gezien|weet)",
    r"\bvermoeden",
    r"\bvermoed\b",
    r"\b(mijn|onze|m'n|een|de) (client|bewoner|pupil|collega|zoon|dochter)",
    r"\b(hij|zij|ze) (wordt|werd|is|zegt|vertelt|vertelde)",
    r"\bwordt\b",
    r"\bwerd\b",
    r"\bnu\b",
    r"\bnet\b",
    r"\bop dit moment",
    r"\bvandaag",
    r"\bgisteren",
    r"\bvannacht",
    r"\bthuis\b",
    r"\bwat moet ik (nu )?doen",
    r"\bmoet ik (dit |het )?melden",
    r"\bmelden\b",
)
TEXTBOOK = _rx(
    r"^\s*wat (is|zijn|betekent|betekenen|houdt)\b",
    r"\brelatie tussen",
    r"\bsamenhang",
    r"\binvloed van",
    r"\bgevolgen? van",
    r"\bhoe ontstaat",
    r"\bwelke rol",
    r"\bgedesorganiseerd",
    r"\b(boek|artikel|publicatie|webinar|theorie|onderzoek)\b",
)
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


def urgent_situations(text: str) -> list[str]:
    folded = fold(text)
    found: list[str] = [name for name, rx in STRONG.items() if rx.search(folded)]
    weak = [name for name, rx in WEAK.items() if rx.search(folded)]
    if weak:
        situational = bool(SITUATION.search(folded))
        textbook = bool(TEXTBOOK.search(folded))
        if situational or not textbook:
            found += [w for w in weak if w not in found]
    if found and IN_CARE.search(folded) and ({"mishandeling", "geweld"} & set(found)):
        found.append("geweld_in_zorg")
    return found


def is_specific_client(text: str) -> bool:
    return bool(SPECIFIC_CLIENT.search(fold(text)))


class Router:
    """Urgent first; then refuse when the corpus does not answer the question."""

    def __init__(self, judge: AnswerabilityJudge | None = None):
        self.judge = judge or AnswerabilityJudge(None)

    def answerable(self, retrieval: Retrieval, best_sentence: float = 0.0) -> bool:
        return self.judge.judge(retrieval, best_sentence).answerable

    def after_retrieval(
        self, first: Route, retrieval: Retrieval, best_sentence: float = 0.0
    ) -> Route:
        """Complete a non-urgent first decision once the passages are known."""
        kind: Kind = "answer" if self.answerable(retrieval, best_sentence) else "no_answer"
        return Route(kind, [], first.specific_client)

    def route(self, text: str, retrieval: Retrieval | None) -> Route:
        specific = is_specific_client(text)
        situations = urgent_situations(text)
        if situations:
            return Route("urgent", situations, specific)
        if retrieval is None or not self.answerable(retrieval):
            return Route("no_answer", [], specific)
        return Route("answer", [], specific)
