"""The helpdesk's draft reply to an e-mail: plain text, to this person, grounded and cited.

Every answer comes from the same grounded answering as the chat (`Assistant.ask`), one section
per question; what is written around it (greeting, thanks, refusals, advice, contact) is fixed
text below, in a formal ("u") and an informal ("je") form. Nothing of the e-mail is copied into
the draft except the name in the greeting, and a last pass removes any personal data of the
e-mail that might still be in it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .compose import (
    DRAFT_MARKER,
    LEAD_IN,
    LEAD_IN_RESOURCE,
    SOURCES_HEADING,
    SPECIFIC_CLIENT,
    SPECIFIC_FAMILY,
    TYPE_LABELS,
    URGENT_AFTER,
    URGENT_LEAD,
    Answer,
    Draft,
    Source,
)
from .contact import without_placeholders
from .mail import FAMILY_ROLES, Email, greeting_name, read_email
from .retrieval import DocumentInfo
from .text import STOPWORDS, sentences

if TYPE_CHECKING:
    from .pipeline import Assistant

# -- the draft's own words, formal and informal (B1 Dutch) -------------------------------------
TEXTS = {
    True: {
        "greeting": "Beste {name},",
        "neutral": "Geachte heer, mevrouw,",
        "thanks": "Dank u wel voor uw e-mail. Hieronder leest u wat er in onze informatie over staat.",
        "thanks_only": "Dank u wel voor uw e-mail.",
        "section": "Uw {nth} vraag",
        "refusal": (
            "Op deze vraag kunnen wij met onze informatie geen goed antwoord geven. Onze "
            "informatie gaat over hechting, en hierover staat er niets in. We willen niet gokken. "
            "Heeft u een vraag over hechting? Dan denken we graag met u mee."
        ),
        "urgent_after": (
            "Als de situatie weer veilig is, denken wij graag met u mee over de begeleiding."
        ),
        "ouder": (
            "Dit is algemene informatie. Wilt u de situatie van uw kind bespreken? Neem dan "
            "contact op met ons expertiseteam, of met de begeleiders of de zorgaanbieder van uw kind."
        ),
        "familie": (
            "Dit is algemene informatie. Wilt u de situatie van uw familielid bespreken? Neem dan "
            "contact op met ons expertiseteam, of met de begeleiders of de zorgaanbieder van uw "
            "familielid."
        ),
        "pleegouder": (
            "Dit is algemene informatie. Wilt u de situatie van uw pleegkind bespreken? Neem dan "
            "contact op met ons expertiseteam, of met uw pleegzorgbegeleider of de zorgaanbieder "
            "van uw pleegkind."
        ),
        "professional": (
            "Dit is algemene informatie. Bespreek de situatie van uw cliënt met de "
            "gedragsdeskundige van uw team, of neem contact op met ons expertiseteam."
        ),
        "leerkracht": (
            "Dit is algemene informatie. Bespreek de situatie van uw leerling met de intern "
            "begeleider of de gedragsdeskundige van uw school, of neem contact op met ons "
            "expertiseteam."
        ),
        "student": (
            "Dit is algemene informatie uit onze bronnen. Hieronder staan de titels, zodat u ze "
            "kunt opzoeken en gebruiken."
        ),
        "onbekend": (
            "Dit is algemene informatie. Gaat uw vraag over een bepaalde persoon? Neem dan contact "
            "op met ons expertiseteam, dan denken we met u mee."
        ),
        "contact": "U kunt het expertiseteam hechting bereiken via:",
        "contact_reply": (
            "Heeft u nog vragen voor het expertiseteam hechting? Reageer dan gerust op deze e-mail."
        ),
    },
    False: {
        "greeting": "Beste {name},",
        "neutral": "Hallo,",
        "thanks": "Dank je wel voor je e-mail. Hieronder lees je wat er in onze informatie over staat.",
        "thanks_only": "Dank je wel voor je e-mail.",
        "section": "Je {nth} vraag",
        "refusal": (
            "Op deze vraag kunnen we met onze informatie geen goed antwoord geven. Onze "
            "informatie gaat over hechting, en hierover staat er niets in. We willen niet gokken. "
            "Heb je een vraag over hechting? Dan denken we graag met je mee."
        ),
        "urgent_after": "Als de situatie weer veilig is, denken we graag met je mee over de begeleiding.",
        "ouder": (
            "Dit is algemene informatie. Wil je de situatie van je kind bespreken? Neem dan "
            "contact op met ons expertiseteam, of met de begeleiders of de zorgaanbieder van je kind."
        ),
        "familie": (
            "Dit is algemene informatie. Wil je de situatie van je familielid bespreken? Neem dan "
            "contact op met ons expertiseteam, of met de begeleiders of de zorgaanbieder van je "
            "familielid."
        ),
        "pleegouder": (
            "Dit is algemene informatie. Wil je de situatie van je pleegkind bespreken? Neem dan "
            "contact op met ons expertiseteam, of met je pleegzorgbegeleider of de zorgaanbieder "
            "van je pleegkind."
        ),
        "professional": (
            "Dit is algemene informatie. Bespreek de situatie van je cliënt met de "
            "gedragsdeskundige van je team, of neem contact op met ons expertiseteam."
        ),
        "leerkracht": (
            "Dit is algemene informatie. Bespreek de situatie van je leerling met de intern "
            "begeleider of de gedragsdeskundige van je school, of neem contact op met ons "
            "expertiseteam."
        ),
        "student": (
            "Dit is algemene informatie uit onze bronnen. Hieronder staan de titels, zodat je ze "
            "kunt opzoeken en gebruiken."
        ),
        "onbekend": (
            "Dit is algemene informatie. Gaat je vraag over een bepaalde persoon? Neem dan contact "
            "op met ons expertiseteam, dan denken we met je mee."
        ),
        "contact": "Je kunt het expertiseteam hechting bereiken via:",
        "contact_reply": (
            "Heb je nog vragen voor het expertiseteam hechting? Reageer dan gerust op deze e-mail."
        ),
    },
}
URGENT_LEAD_PLAIN = URGENT_LEAD.strip("*")
CHECK_SIGNAL = (
    "[LET OP: deze e-mail kan wijzen op {what}. Controleer of een verwijzing naar hulp nodig is "
    "voordat het antwoord verstuurd wordt.]"
)
SIGNAL_NAMES = {
    "zelfdoding": "gedachten aan zelfdoding",
    "zelfbeschadiging": "zelfbeschadiging",
    "medisch": "een medisch spoedgeval",
    "geweld": "geweld",
    "mishandeling": "mishandeling of verwaarlozing",
    "seksueel_grensoverschrijdend": "seksueel grensoverschrijdend gedrag",
    "uitbuiting": "uitbuiting",
    "direct_gevaar": "een onveilige situatie",  # the category itself is unsure
    "geweld_in_zorg": "geweld in de zorgrelatie",
}


def _signals(categories: list[str]) -> str:
    names = list(dict.fromkeys(SIGNAL_NAMES.get(c, c) for c in categories[:2]))
    return " of ".join(names)


SOURCES_TITLE = "Bronnen:"
CLOSING = "Met vriendelijke groet,\n\n[NAAM]\nExpertiseteam hechting"
ORDINALS = ["eerste", "tweede", "derde"]
MAX_QUESTIONS = 3
REMOVED = "[verwijderd]"
# The words of a question are the query; a short question gets a few words of the story.
MAX_QUESTION_TERMS = 10  # a longer "question" (a whole paragraph) keeps its rarest words
CONTEXT_WORDS = 3
# A reason clause says why the sender asks, not what ("..., want ik moet twee Engelse bronnen
# hebben"): the question is the part before it.
# A discourse opener links the question to the previous one and names no topic.
OPENER = re.compile(
    r"^\s*(en|ook|verder|daarnaast|bovendien|tot slot|tenslotte|ten slotte|nog een vraag|"
    r"mijn (tweede|andere) vraag( is)?)\b[\s,:]*",
    re.I,
)
REASON_CLAUSE = re.compile(r",?\s+\b(want|omdat|zodat|aangezien|zodoende)\b", re.I)


@dataclass
class Section:
    question: str
    query: str
    answer: Answer


class DraftWriter:
    """Reads an e-mail, answers each question with the assistant, writes the reply."""

    def __init__(self, assistant: Assistant, common_zipf: float = 4.3):
        self.assistant = assistant
        self.common_zipf = common_zipf

    # -- queries ---------------------------------------------------------------------------
    def _rarest(self, text: str, limit: int, exclude: set[str] = frozenset()) -> list[str]:
        """The words of a text the corpus knows, rarest first (one per index term)."""
        retriever = self.assistant.retriever
        scored: dict[str, tuple[float, str]] = {}
        for word in re.findall(r"[\wÀ-ÿ'-]+", text):
            terms = [t for t in retriever.terms(word) if t not in exclude]
            if not terms:
                continue
            weight = max(retriever.idf(t) for t in terms)
            key = terms[0]
            if key not in scored or scored[key][0] < weight:
                scored[key] = (weight, word)
        best = sorted(scored.values(), key=lambda x: -x[0])[:limit]
        order = {w: i for i, w in enumerate(re.findall(r"[\wÀ-ÿ'-]+", text))}
        return sorted((w for _, w in best), key=lambda w: order.get(w, 0))

    def query(self, question: str, mail: Email, lead: str = "", keep_common: bool = False) -> str:
        """The question central, with a few specialised words of the sentence it leans on.

        Words that would only dilute it are left out: the e-mail's personal data, and words
        the corpus does not know that are common in Dutch ("las", "laatst", "naam"): they carry
        no topic. Rare unknown words stay ("wachtlijst", "CIZ"): they show what the corpus
        cannot answer.
        """
        retriever = self.assistant.retriever
        # A question read with the sentence before it starts with that sentence, its lead's last.
        last = re.split(r"(?<=[.!?])\s+", lead.strip())[-1] if lead else ""
        if last and question.startswith(last):
            question = question[len(last) :].strip()
        # A follow-up asked right after ("Wat is X? Gaat dat ook over Y?") is context.
        asked = [q.strip() for q in re.split(r"(?<=\?)\s+", question) if q.strip()]
        if len(asked) > 1:
            question, follow = asked[0], " ".join(asked[1:])
            lead = f"{lead} {follow}".strip()
        question = REASON_CLAUSE.split(question, maxsplit=1)[0]
        question = OPENER.sub("", question)
        question = self._focus(question, mail, keep_common=keep_common)
        own = set(retriever.terms(question))
        if len(own) > MAX_QUESTION_TERMS:
            question = " ".join(self._rarest(question, MAX_QUESTION_TERMS))
        # Story words beyond the lead are left out: on our e-mails they moved one answer to a
        # wrong source and helped none (tests/data/emails, calibration set).
        extra: list[str] = []
        if lead:  # a question without a topic of its own leans on its lead more
            n = CONTEXT_WORDS if own else 2 * CONTEXT_WORDS
            extra = self._rarest(self._focus(lead, mail, True), n, exclude=own)
        return " ".join([question, *extra]).strip()

    def _focus(
        self, text: str, mail: Email, specialised: bool = False, keep_common: bool = False
    ) -> str:
        """The text without the e-mail's personal data and without words that are common in
        Dutch but unknown to the corpus; `specialised` also drops common words the corpus knows
        (story words used as context must name the topic, like "vermijdend", not "gesprek");
        `keep_common` drops only the personal data."""
        from wordfreq import zipf_frequency

        personal = {p.lower() for p in mail.personal}
        retriever = self.assistant.retriever
        kept = []
        for token in text.split():
            word = token.strip(".,;:!?()\"'“”‘’").lower()
            if word in personal:
                continue
            if word.endswith("'s") and retriever.terms(word[:-2]):  # "baby's" -> "baby"
                token = word = word[:-2]
            if word and word not in STOPWORDS and not keep_common:
                common = zipf_frequency(word, "nl") >= self.common_zipf
                if common and (specialised or not retriever.terms(word)):
                    continue
            kept.append(token)
        return " ".join(kept)

    # -- the draft ---------------------------------------------------------------------------
    def write(self, raw: str | bytes) -> Draft:
        mail = read_email(raw)
        contact, referrals = self.assistant._reference()
        texts = TEXTS[mail.formal]
        route = self.assistant.router.route(f"{mail.subject}\n{mail.text}", None)
        route.family = route.family or mail.role in FAMILY_ROLES  # no "Werk je in de zorg?"
        urgent = None
        if route.kind == "urgent":
            urgent = self.assistant.composer.urgent("", route, referrals, contact)
            if route.by_rule:
                return self._urgent(mail, urgent, contact)
            # The classifier alone: the referrals first, then the answers to the questions,
            # so a false alarm still gives the helpdesk a usable draft.
        questions = mail.questions[:MAX_QUESTIONS]
        if not questions:  # no question found: the whole message is the question
            fallback = " ".join(p for p in (mail.subject, mail.body) if p).strip()
            questions = [fallback] if fallback else []
        leads = mail.leads + [""] * len(questions)
        sections = [
            Section(q, self.query(q, mail, lead), Answer("", "no_answer", ""))
            for q, lead in zip(questions, leads, strict=False)
        ]
        for section, lead in zip(sections, leads, strict=False):
            section.answer = self.assistant.ask(section.query, urgency=False)  # judged above
            # The search leaves out common words the corpus does not know ("medicijnen",
            # "vakantiehuis", "stageplek"): they would dilute a question the corpus answers,
            # but they may be what the question is about. So the question with those words
            # must be answerable too.
            if section.answer.kind != "answer":
                continue
            plain = self.query(section.question, mail, lead, keep_common=True)
            if plain != section.query:
                check = self.assistant.ask(plain, urgency=False)
                if check.kind == "no_answer":
                    section.answer = check
        answered = [s for s in sections if s.answer.kind == "answer" and s.answer.sources]
        sources: list[Source] = list(urgent.sources) if urgent is not None else []
        parts = [DRAFT_MARKER, self._greeting(mail)]
        parts.append(texts["thanks"] if answered else texts["thanks_only"])
        if urgent is not None:
            parts += [URGENT_LEAD_PLAIN, plain_text(_strip(urgent.answer, urgent))]
        elif route.referral:
            # Unsure, or touching abuse in general: a note for the helpdesk worker who checks
            # the draft (removed like the marker), not a referral line to the sender.
            parts[0] = f"{DRAFT_MARKER}\n{CHECK_SIGNAL.format(what=_signals(route.referral))}"
        for n, section in enumerate(sections):
            body = self._section(section, sources, texts)
            if len(sections) > 1:
                heading = texts["section"].format(nth=ORDINALS[n])
                title = section.answer.sources[0].title if section in answered else ""
                if title and not body.startswith(title):  # a resource opens with its title
                    heading += f": {title}"
                body = f"{heading}\n{body}"
            parts.append(body)
        if answered and (mail.context or mail.role != "onbekend"):
            parts.append(texts[mail.role])
        parts.append(self._contact(contact, texts))
        parts.append(CLOSING)
        if sources:
            parts.append(self._sources(sources))
        kind = "urgent" if urgent is not None else "answer" if answered else "no_answer"
        return self._finish(mail, parts, kind, questions, sources)

    def _urgent(self, mail: Email, answer: Answer, contact: DocumentInfo | None) -> Draft:
        texts = TEXTS[mail.formal]
        lines = [plain_text(_strip(answer.answer, answer))]
        lines = [line for line in lines if line]
        parts = [
            DRAFT_MARKER,
            self._greeting(mail),
            texts["thanks_only"],
            URGENT_LEAD_PLAIN,
            *lines,
            texts["urgent_after"],
            self._contact(contact, texts),
            CLOSING,
            self._sources(answer.sources),
        ]
        return self._finish(mail, parts, "urgent", mail.questions, list(answer.sources))

    def _finish(self, mail, parts, kind, questions, sources) -> Draft:
        text = "\n\n".join(p for p in parts if p)
        # Corpus text is quoted as it stands, also where it shares a word with the e-mail's
        # personal data (a place, or a name like the "Stef" of a book's subtitle).
        corpus = [s.title for s in sources] + [x for s in sources for x in sentences(s.passage)]
        text = scrub(text, mail.personal, keep_line=1, keep=corpus)
        return Draft(text, kind, [scrub(q, mail.personal) for q in questions], sources)

    @staticmethod
    def _greeting(mail: Email) -> str:
        texts = TEXTS[mail.formal]
        name = greeting_name(mail.sender_name)
        return texts["greeting"].format(name=name) if name else texts["neutral"]

    def _section(self, section: Section, sources: list[Source], texts: dict) -> str:
        answer = section.answer
        if answer.kind != "answer" or not answer.sources:
            return texts["refusal"]
        numbers: dict[int, int] = {}
        for source in answer.sources:
            known = next((s for s in sources if s.id == source.id), None)
            if known is None:
                known = Source(**{**source.__dict__, "n": len(sources) + 1})
                sources.append(known)
            numbers[source.n] = known.n
        body = plain_text(_strip(answer.answer, answer))
        return re.sub(r"\[(\d+)\]", lambda m: f"[{numbers.get(int(m.group(1)), m.group(1))}]", body)

    @staticmethod
    def _contact(contact: DocumentInfo | None, texts: dict) -> str:
        """The team's contact lines; a value still to be filled in ([NOG INVULLEN]) is left out,
        and with none left the reply itself is the way to reach the team."""
        lines = [texts["contact"]]
        if contact is not None:
            for line in without_placeholders(contact.text).split("\n"):
                m = re.match(r"^\s*[-*•]\s*([^:\n]{2,40}):\s*(.+)$", line)
                if m:
                    lines.append(f"{m.group(1).strip()}: {m.group(2).strip()}")
        if len(lines) == 1:
            return texts["contact_reply"]
        return "\n".join(lines)

    @staticmethod
    def _sources(sources: list[Source]) -> str:
        lines = [SOURCES_TITLE]
        for s in sources:
            line = f"{s.n}. {s.title} ({TYPE_LABELS.get(s.type, s.type)})"
            if s.url:
                line += f": {s.url}"
            lines.append(line)
        return "\n".join(lines)


# -- text helpers ----------------------------------------------------------------------------
_FIXED = {LEAD_IN, LEAD_IN_RESOURCE, SPECIFIC_CLIENT, SPECIFIC_FAMILY, URGENT_AFTER, "---"}


def _strip(markdown: str, answer: Answer) -> str:
    """The grounded statements of a chat answer: no lead-in, advice, source list or contact."""
    markdown = getattr(answer, "body", "") or markdown
    if answer.contact:
        markdown = markdown.replace(answer.contact, "")
    kept = []
    for paragraph in markdown.split("\n\n"):
        p = paragraph.strip()
        if not p or p in _FIXED or p.startswith(SOURCES_HEADING) or p == URGENT_LEAD:
            continue
        kept.append(p)
    return "\n\n".join(kept)


def plain_text(markdown: str) -> str:
    """Markdown to plain text for an e-mail: no emphasis marks, list bullets or rules."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    blocks: list[str] = []
    lists: list[list[int] | None] = []  # per open list: [next number] when ordered, else None
    for token in tokens:
        if token.type == "ordered_list_open":
            lists.append([int(token.attrGet("start") or 1)])
        elif token.type == "bullet_list_open":
            lists.append(None)
        elif token.type in ("ordered_list_close", "bullet_list_close"):
            lists.pop()
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.strip())
        elif token.type == "inline":
            text = "".join(
                "\n" if c.type in ("softbreak", "hardbreak") else c.content
                for c in token.children or []
                if c.type in ("text", "code_inline", "softbreak", "hardbreak")
            ).strip()
            if lists and lists[-1] is not None:
                text = f"{lists[-1][0]}. {text}"
                lists[-1][0] += 1
            blocks.append(text)
    return "\n\n".join(b for b in blocks if b)


def scrub(
    text: str, personal: list[str], keep_line: int | None = None, keep: Sequence[str] = ()
) -> str:
    """Remove the e-mail's personal data from a text (the greeting line and the `keep` texts,
    quoted from the corpus, excepted)."""
    if not personal:
        return text
    kept = [k for k in sorted(set(keep), key=len, reverse=True) if len(k) > 3 and k in text]
    for n, k in enumerate(kept):
        text = text.replace(k, f"\x00{n}\x00")
    paragraphs = text.split("\n\n")
    for i, paragraph in enumerate(paragraphs):
        if i == keep_line:
            continue
        for item in personal:  # longest first
            pattern = re.escape(item)
            if item[:1].isalnum():
                pattern = r"(?<![\w-])" + pattern
            if item[-1:].isalnum():
                pattern += r"(?![\w-])"
            paragraph = re.sub(pattern, REMOVED, paragraph)
        paragraphs[i] = paragraph
    text = "\n\n".join(paragraphs)
    for n, k in enumerate(kept):
        text = text.replace(f"\x00{n}\x00", k)
    return text
