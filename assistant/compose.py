"""Turn a route and retrieved passages into a grounded Dutch answer with citations.

Extractive: every statement is a sentence quoted from the corpus, followed by the number of
its source. Sources are numbered in the order they are first cited; only cited sources are
listed. What the assistant writes itself (lead-ins, refusals, advice) is fixed text here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from .contact import NO_CONTACT_DETAILS, PLACEHOLDER, parse_contact, without_placeholders
from .retrieval import DocumentInfo, Passage, Retrieval, Similarity
from .routing import Route
from .text import fold, sentences

# -- the assistant's own words (B1 Dutch) --------------------------------------------------
LEAD_IN = "Dit staat hierover in onze informatie:"
LEAD_IN_RESOURCE = "Dit vond ik in onze informatie en bronnen:"
LEAD_IN_GENERATED = "Dit staat hierover in onze informatie, in eigen woorden samengevat:"
NO_ANSWER = (
    "Op deze vraag kan ik geen antwoord geven: in mijn informatie staat hier niets over, en ik "
    "wil niet gokken."
)
NO_ANSWER_SCOPE = "Mijn informatie gaat over deze onderwerpen: {topics}."
MAX_TOPICS = 12  # page titles named in a refusal; a larger corpus gets "en N andere onderwerpen"
NO_ANSWER_RESOURCES = "Daarnaast beschrijf ik {resources} over hechting."
PLURALS = {
    "boek": ("boek", "boeken"),
    "artikel": ("artikel", "artikelen"),
    "infosheet": ("infosheet", "infosheets"),
    "publicatie": ("publicatie", "publicaties"),
    "webinar": ("webinar", "webinars"),
    "app": ("app", "apps"),
    "game": ("game", "games"),
}
NO_ANSWER_NEXT = "Neem contact op met het expertiseteam. Zij denken graag met je mee."
URGENT_LEAD = "**Dit klinkt ernstig. Zorg eerst voor veiligheid en haal direct hulp.**"
# A soft signal: the ordinary answer, with this line and the referral's own first sentence on top.
REFERRAL_LEAD = "Gaat het om een echte situatie?"
URGENT_ALSO = "Over je vraag zelf staat dit in onze informatie:"
URGENT_AFTER = (
    "Als de situatie veilig is, kun je met het expertiseteam hechting verder praten over de "
    "begeleiding."
)
SPECIFIC_CLIENT = (
    "Je vraag gaat over een bepaalde cliënt. Dit is algemene informatie. Bespreek de situatie "
    "van je cliënt met het expertiseteam of met de gedragsdeskundige van je team."
)
# The same advice for a parent or relative, who has no team of their own.
SPECIFIC_FAMILY = (
    "Je vraag gaat over iemand uit je eigen gezin of familie. Dit is algemene informatie. "
    "Bespreek de situatie met de begeleiders of de zorgaanbieder van je kind of familielid, of "
    "neem contact op met het expertiseteam."
)
# Replies to a conversational turn (assistant/conversation.py), by kind. Fixed product text:
# what the assistant is and how to go on, never a fact about hechting.
ASK_ON = "Stel gerust je vraag over hechting, dan zoek ik het antwoord in onze informatie."
CONVERSATION = {
    "groet": f"Hallo! Ik ben de hechtingsassistent. {ASK_ON}",
    "dank": "Graag gedaan! Heb je nog een vraag over hechting? Stel die gerust.",
    "afscheid": "Bedankt voor je bezoek. Heb je later nog een vraag over hechting? Stel die gerust.",
    "bevestiging": f"Heb je nog een vraag? {ASK_ON}",
    "over_assistent": (
        "Ik ben de hechtingsassistent: een digitale assistent, geen mens. Ik beantwoord vragen "
        "over hechting bij mensen met een beperking, alleen uit de informatie en bronnen van het "
        "expertiseteam hechting, en ik noem bij elk antwoord de bron. Ik geef geen persoonlijk "
        "advies: daarvoor kun je het expertiseteam zelf bereiken."
    ),
    "ontevreden": (
        "Sorry dat dit antwoord je niet verder helpt. Ik laat alleen zinnen uit onze informatie "
        "zien en kan die niet zelf korter of anders zeggen. Probeer je vraag anders te stellen, "
        "bijvoorbeeld met wat meer woorden over wat je wilt weten. Of neem contact op met het "
        "expertiseteam: zij denken graag met je mee."
    ),
}
EMPTY_QUESTION = "Stel je vraag over hechting, dan zoek ik het antwoord in onze informatie."
TOO_LONG = (
    "Je vraag is erg lang ({length} tekens). Stel een korte vraag van hooguit {limit} tekens. "
    "Gaat het om een hele e-mail? Stuur die naar de helpdesk."
)
CONTACT_HEADING = "**Contact met het expertiseteam hechting**"
SOURCES_HEADING = "**Bronnen**"
DRAFT_MARKER = "[CONCEPT: controleer dit antwoord en de bronnen voordat je het verstuurt]"

TYPE_LABELS = {
    "pagina": "informatie",
    "boek": "boek",
    "artikel": "artikel",
    "infosheet": "infosheet",
    "publicatie": "publicatie",
    "webinar": "webinar",
    "app": "app",
    "game": "game",
    "contact": "contact",
    "spoed": "spoednummer",
}
RESOURCE_TYPES = {"boek", "artikel", "infosheet", "publicatie", "webinar", "app", "game"}
MAX_SENTENCES = 4
# Openings that point back to the sentence before ("Deze kinderen ...", "Daardoor ...").
POINTING_BACK = frozenset(
    "deze dit dat die daarom daardoor hierdoor daarbij hierbij zij ze hij hun zo".split()
)
MAX_SOURCES = 3

_DEFINITION = re.compile(
    r"^\s*(?:wat|wie)\s+(?:is|zijn|betekent|betekenen|houdt|bedoelen we met)\s+"
    r"(?:een |de |het )?(?P<subject>[^?]+?)(?:\s+in)?\s*\??\s*$"
)


_QUESTION_WORD = re.compile(
    r"^\s*(hoe|waarom|wanneer|waar|welke|welk|wie|is|zijn|kan|kun|mag|moet|heb|heeft|wat)\b"
)


@dataclass
class Source:
    n: int
    id: str
    title: str
    type: str
    url: str | None
    path: str
    passage: str
    score: float


@dataclass
class Answer:
    question: str
    kind: str
    answer: str
    sources: list[Source] = field(default_factory=list)
    contact: str = ""
    body: str = ""  # the cited statements alone: no sources list, no contact block
    composer: str = "extractive"  # "llm" when a chat model wrote it (every sentence verified)
    dropped: int = 0  # generated sentences removed by verification
    referral: str = ""  # a short referral line shown on top of an ordinary answer (soft signal)


@dataclass
class Draft:
    """A helpdesk reply to an e-mail (written by assistant/draft.py)."""

    text: str
    kind: str
    questions: list[str] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)


@dataclass
class _Sentence:
    passage: Passage
    rank: int
    position: int
    text: str
    score: float
    overlap: float = 0.0
    defines: bool = False
    meaning: float = 0.0  # closeness in meaning to the question, relative to the best sentence


@dataclass(frozen=True)
class SelectionWeights:
    """How much closeness in meaning counts when choosing sentences.

    Chosen on the calibration questions' key sentences (tests/eval/calibration_questions.tsv,
    third column): meaning 0 / 0.3 / 0.6 / 1.0 with span 0.08 kept the key sentence in 0.729 /
    0.729 / 0.714 / 0.714 of the answers, and weighting the source choice by meaning lowered
    right@1 (0.914 -> 0.900); subtracting each sentence's similarity to the corpus centroid
    (to demote lead-ins) changed nothing measurable. e5's similarities within this one-topic
    corpus lie close together, so meaning breaks ties between sentences that share words.
    """

    meaning: float = 0.3  # added to a sentence's score, scaled by its closeness in meaning
    span: float = 0.08  # cosine distance below the best sentence at which closeness reaches 0
    passage_meaning: float = 0.0  # weight of a passage's best sentence when choosing the source
    # A runner-up source whose passage scores at least this share of the top passage adds its
    # best sentence (None: off). Retrieval is then unsure which source answers; the reader
    # gets both, the primary first. Chosen on the calibration questions, the earlier held-out
    # questions, extra_questions and both follow-up files (372 answerable, pooled): off / 0.9 /
    # 0.8 / 0.7 gave right@3 0.898 / 0.909 / 0.925 / 0.930, key sentence 0.729 / 0.743 / 0.764
    # / 0.771, right@1 0.871 throughout, and 1.28 / 1.33 / 1.45 / 1.62 sources per answer:
    # 0.8 has most of the gain for fewer added sources.
    runner_up: float | None = 0.8
    # Added to a sentence's score, times the share of the nearest labelled questions whose key
    # sentence it is (ranking.Vote.keys; nothing without a ranking model).
    example: float = 1.0


class Composer:
    def __init__(self, terms, idf, weights: SelectionWeights | None = None):
        """`terms(text)` gives the index terms of a text; `idf(term)` their weight."""
        self.terms = terms
        self.idf = idf
        self.weights = weights or SelectionWeights()

    # -- pieces -----------------------------------------------------------------------------
    @staticmethod
    def contact_block(contact: DocumentInfo | None) -> str:
        """The team's contact page; lines still to be filled in ([NOG INVULLEN]) are left out."""
        if contact is None:
            return CONTACT_HEADING
        text = without_placeholders(contact.text).strip()
        info = parse_contact(text)
        if not (info.phone or info.email or info.links):
            text += f"\n\n{NO_CONTACT_DETAILS.format(team=info.team)}"
        return f"{CONTACT_HEADING}\n\n{text}"

    @staticmethod
    def sources_block(sources: list[Source]) -> str:
        lines = [SOURCES_HEADING]
        for s in sources:
            label = TYPE_LABELS.get(s.type, s.type)
            line = f"{s.n}. {s.title} ({label})"
            if s.url:
                line += f": {s.url}"
            lines.append(line)
        return "\n".join(lines)

    # -- sentence selection ------------------------------------------------------------------
    def select(
        self, question: str, retrieval: Retrieval, similarity: Similarity | None = None
    ) -> list[_Sentence]:
        """Up to MAX_SENTENCES sentences that answer, grouped per source.

        `similarity` holds each passage sentence's cosine similarity to the question (by
        chunk id, in sentence order); without it sentences are chosen by word overlap alone.
        """
        passages = retrieval.passages
        if not passages:
            return []
        weights = self.weights
        specific = (similarity or Similarity()).to_query
        best_sim = max((v for sims in specific.values() for v in sims if v == v), default=0.0)
        q_terms = set(self.terms(question))
        q_weight = sum(self.idf(t) for t in q_terms) or 1.0
        subject = self._subject_terms(question)
        top = passages[0].score or 1.0
        keys = {_plain(k): w for k, w in retrieval.vote.keys.items()}
        scored: list[_Sentence] = []
        rank_of = {p.doc_id: rank for rank, p in enumerate(passages)}
        for p in [*passages, *retrieval.context]:
            rank = rank_of[p.doc_id]
            if passages[rank].score < 0.35 * top:
                continue
            # Title and curator tags describe the whole passage: every sentence shares them.
            meta_terms = set(self.terms(f"{p.title} {p.tags}"))
            meta_overlap = sum(self.idf(t) for t in q_terms & meta_terms) / q_weight
            not_quoted = [x for x in p.not_quoted.split("\n") if x]
            for pos, sent in enumerate(sentences(p.text)):
                # A page's own questions are not answers. A resource's summary asks the
                # questions it answers ("Hoe breng je ... in kaart?", "Begeleid je ...?"):
                # they say what it covers. Quoting them kept the key sentence in 0.846 of the
                # answers to the training questions (left-out file), against 0.802 without
                # and 0.825 without a summary's opening questions.
                if sent.rstrip().endswith("?") and p.type not in RESOURCE_TYPES:
                    continue
                if PLACEHOLDER.search(sent):  # a contact detail still to be filled in
                    continue
                if any(x in sent or sent in x for x in not_quoted):  # curators: no answer
                    continue
                s_terms = self.terms(sent)
                overlap = sum(self.idf(t) for t in q_terms & set(s_terms)) / q_weight
                score = overlap + 0.35 * (p.score / top) + 0.25 * meta_overlap
                sims = specific.get(p.chunk_id, [])
                meaning = 0.0
                if pos < len(sims) and sims[pos] == sims[pos]:
                    # 1 for the sentence closest in meaning, 0 at `span` below it.
                    meaning = max(0.0, 1.0 - (best_sim - sims[pos]) / weights.span)
                score += weights.meaning * meaning
                if keys:
                    plain = _plain(sent)
                    score += weights.example * sum(w for k, w in keys.items() if k in plain)
                defines = bool(subject) and self._defines(sent, subject)
                if defines:
                    score += 0.5
                if len(sent) < 25:  # headings and fragments say little on their own
                    score -= 0.3
                # A referral page opens in bold across two sentences ("**Vermoed je ...? Bel
                # Veilig Thuis: 0800-2000.**"): a quoted half must not carry a stray marker.
                quoted = sent.replace("**", "") if sent.count("**") % 2 else sent
                scored.append(_Sentence(p, rank, pos, quoted, score, overlap, defines, meaning))
        if not scored:
            return []
        scored.sort(key=lambda s: -s.score)

        # The primary source follows the retrieval ranking; a sentence that defines the
        # question's subject ("Hechting is ...") may promote its passage.
        def passage_rank(p: Passage) -> float:
            defines = any(s.defines for s in scored if s.passage is p)
            meaning = max(s.meaning for s in scored if s.passage is p)
            return p.score / top + (0.5 if defines else 0.0) + weights.passage_meaning * meaning

        candidates = {id(s.passage): s.passage for s in scored}
        primary = max(candidates.values(), key=passage_rank).doc_id
        best = next(s for s in scored if s.passage.doc_id == primary)
        chosen: list[_Sentence] = []
        docs: list[str] = [primary]
        for s in scored:
            if len(chosen) >= MAX_SENTENCES:
                break
            if s.passage.doc_id == primary:
                if s.score >= 0.5 * best.score or len(chosen) == 0:
                    chosen.append(s)
                continue
            # Another source only when it speaks to the question about as strongly.
            if s.overlap < 0.5 or s.score < 0.75 * best.score:
                continue
            if s.passage.doc_id not in docs:
                if len(docs) >= MAX_SOURCES:
                    continue
                docs.append(s.passage.doc_id)
            chosen.append(s)
        docs = [d for d in docs if any(s.passage.doc_id == d for s in chosen)]
        if weights.runner_up is not None:
            self._add_runner_ups(passages, scored, chosen, docs, weights.runner_up * top)
        # A resource is introduced by its opening sentence, which says what it is.
        for doc_id in docs:
            group = [s for s in chosen if s.passage.doc_id == doc_id]
            p = group[0].passage
            if p.type in RESOURCE_TYPES and all(s.position != 0 for s in group):
                first = next((s for s in scored if s.passage is p and s.position == 0), None)
                if first is not None:
                    chosen.append(first)
        self._add_antecedents(scored, chosen)
        order = {doc_id: i for i, doc_id in enumerate(docs)}
        chosen.sort(key=lambda s: (order[s.passage.doc_id], s.passage.chunk_id, s.position))
        return chosen

    @staticmethod
    def _add_antecedents(scored: list[_Sentence], chosen: list[_Sentence]) -> None:
        """A sentence that opens by pointing back ("Deze kinderen ...", "Daarom ...") brings
        the sentence before it, which says what it points to, within one more sentence."""
        by_place = {(s.passage.chunk_id, s.position): s for s in scored}
        for s in list(chosen):
            if len(chosen) > MAX_SENTENCES:
                break
            first = s.text.split(maxsplit=1)[0].lower() if s.text.split() else ""
            if first not in POINTING_BACK:
                continue
            before = by_place.get((s.passage.chunk_id, s.position - 1))
            if before is not None and before not in chosen:
                chosen.append(before)

    @staticmethod
    def _add_runner_ups(passages, scored, chosen, docs, floor: float) -> None:
        """The best sentence of each close runner-up source, within MAX_SOURCES; to stay
        within MAX_SENTENCES the primary source's weakest sentence makes room."""
        for p in passages:
            if len(docs) >= MAX_SOURCES or p.score < floor:
                break
            if p.doc_id in docs or p.type in ("spoed", "contact"):
                continue
            best = next((s for s in scored if s.passage.doc_id == p.doc_id), None)
            if best is None:
                continue
            primary = [s for s in chosen if s.passage.doc_id == docs[0]]
            if len(chosen) >= MAX_SENTENCES:
                if len(primary) < 2:
                    break
                chosen.remove(min(primary, key=lambda s: s.score))
            chosen.append(best)
            docs.append(p.doc_id)

    def _subject_terms(self, question: str) -> set[str]:
        m = _DEFINITION.match(fold(question))
        if m:
            return set(self.terms(m.group("subject")))
        # A bare topic ("hechting?", "hechting uitleg graag") asks what the topic is.
        terms = self.terms(question)
        if 0 < len(terms) <= 2 and not _QUESTION_WORD.match(fold(question)):
            return set(terms)
        return set()

    def _defines(self, sentence: str, subject: set[str]) -> bool:
        """True for "Hechting is ...", "De hechting is ...": the subject opens the sentence."""
        tokens = sentence.split()
        if tokens and fold(tokens[0]) in ("de", "het", "een"):
            tokens = tokens[1:]
        key = max(subject, key=self.idf)  # the subject's most specific term must open it
        if not tokens or key not in set(self.terms(" ".join(tokens[:2]))):
            return False
        return bool(re.search(r"\b(is|zijn|betekent|houdt in)\b", fold(" ".join(tokens[:6]))))

    # -- answers ----------------------------------------------------------------------------
    def answer(
        self,
        question: str,
        route: Route,
        retrieval: Retrieval,
        contact: DocumentInfo | None,
        similarity: Similarity | None = None,
    ) -> Answer:
        chosen = self.select(question, retrieval, similarity)
        sources: list[Source] = []
        numbers: dict[str, int] = {}
        paragraphs: list[str] = []
        current_doc = None
        for s in chosen:
            p = s.passage
            if p.doc_id not in numbers:
                numbers[p.doc_id] = len(numbers) + 1
                sources.append(_source(numbers[p.doc_id], p, []))
            source = sources[numbers[p.doc_id] - 1]
            source.passage = _join(source.passage, s.text)
            cited = f"{s.text} [{numbers[p.doc_id]}]"
            if p.doc_id != current_doc:
                prefix = ""
                if p.type in RESOURCE_TYPES:
                    prefix = f"**{p.title}** ({TYPE_LABELS.get(p.type, p.type)}): "
                paragraphs.append(prefix + cited)
                current_doc = p.doc_id
            else:
                paragraphs[-1] += " " + cited
        lead = LEAD_IN_RESOURCE if any(s.type in RESOURCE_TYPES for s in sources) else LEAD_IN
        body = "\n\n".join([lead, *paragraphs])
        parts = [lead, *paragraphs]
        if sources:
            parts.append(self.sources_block(sources))
        if route.specific_client:
            parts.append(specific_advice(route))
        block = self.contact_block(contact)
        parts += ["---", block]
        return Answer(question, "answer", "\n\n".join(parts), sources, block, body)

    def generated(
        self,
        question: str,
        route: Route,
        parts: list[tuple[int, str, list[tuple[Passage, str]]]],
        contact: DocumentInfo | None,
        dropped: int = 0,
    ) -> Answer:
        """An answer from verified generated sentences: (paragraph, sentence, [(passage,
        evidence)]). Sources are numbered by document in order of first citation."""
        sources: list[Source] = []
        numbers: dict[str, int] = {}
        paragraphs: dict[int, list[str]] = {}
        for paragraph, text, cited in parts:
            marks = []
            for p, evidence in cited:
                if p.doc_id not in numbers:
                    numbers[p.doc_id] = len(numbers) + 1
                    sources.append(_source(numbers[p.doc_id], p, []))
                source = sources[numbers[p.doc_id] - 1]
                if evidence not in source.passage:
                    source.passage = _join(source.passage, evidence)
                mark = f"[{numbers[p.doc_id]}]"
                if mark not in marks:
                    marks.append(mark)
            paragraphs.setdefault(paragraph, []).append(f"{text} {''.join(marks)}")
        parts_out = [LEAD_IN_GENERATED, *(" ".join(p) for p in paragraphs.values())]
        body = "\n\n".join(parts_out)
        if sources:
            parts_out.append(self.sources_block(sources))
        if route.specific_client:
            parts_out.append(specific_advice(route))
        block = self.contact_block(contact)
        parts_out += ["---", block]
        text = "\n\n".join(parts_out)
        return Answer(question, "answer", text, sources, block, body, "llm", dropped)

    @staticmethod
    def scope(documents: list[DocumentInfo]) -> list[str]:
        """What the information does cover, in plain Dutch, from the corpus itself."""
        pages = [d.title.rstrip("?") for d in documents if d.type == "pagina"]
        titles = pages[:MAX_TOPICS]
        # "Hechting" beside "Wat is hechting" reads as the same topic twice.
        lower = [t.lower() for t in titles]

        def named_in_another(a: str) -> bool:
            return any(b != a and re.search(rf"\b{re.escape(a)}\b", b) for b in lower)

        topics = [t for t, a in zip(titles, lower, strict=True) if not named_in_another(a)]
        if len(pages) > MAX_TOPICS:  # a large corpus: name the first few, count the rest
            topics.append(f"{len(pages) - MAX_TOPICS} andere onderwerpen")
        counts: dict[str, int] = {}
        for d in documents:
            if d.type in PLURALS:
                counts[d.type] = counts.get(d.type, 0) + 1
        lines = []
        if topics:
            lines.append(NO_ANSWER_SCOPE.format(topics=_enumerate(topics)))
        if counts:
            named = [f"{n} {PLURALS[t][n > 1]}" for t, n in counts.items()]
            lines.append(NO_ANSWER_RESOURCES.format(resources=_enumerate(named)))
        return lines

    def no_answer(
        self,
        question: str,
        route: Route,
        retrieval: Retrieval | None,
        contact: DocumentInfo | None,
        documents: list[DocumentInfo] | None = None,
    ) -> Answer:
        parts = [NO_ANSWER, *self.scope(documents or [])]
        if route.specific_client:
            parts.append(specific_advice(route))
        parts.append(NO_ANSWER_NEXT)
        block = self.contact_block(contact)
        parts += ["---", block]
        text = "\n\n".join(parts)
        return Answer(question, "no_answer", text, [], block, text.split("\n\n---\n\n")[0])

    def urgent(
        self,
        question: str,
        route: Route,
        referrals: list[DocumentInfo],
        contact: DocumentInfo | None,
        ordinary: Answer | None = None,
    ) -> Answer:
        """Referral lines first. `ordinary`, the cited answer to the question itself, follows
        them when the classifier alone judged the text urgent: a false alarm then still
        answers, and a real emergency still leads with the referral."""
        chosen = fitting(referrals, route.situations, route.family)
        if not chosen:  # never leave an urgent answer without a number to call
            chosen = [d for d in referrals if "direct_gevaar" in d.situations] or referrals
        sources = []
        lines = [URGENT_LEAD]
        for n, doc in enumerate(chosen, start=1):
            sources.append(
                Source(n, doc.id, doc.title, doc.type, doc.url or None, doc.path, doc.text, 1.0)
            )
            lines.append(f"{doc.text} [{n}]")
        if ordinary is not None and ordinary.kind == "answer" and ordinary.sources:
            offset = len(sources)
            lines.append(URGENT_ALSO)
            own = ordinary.body.split("\n\n", 1)[-1]  # without its lead-in
            lines.append(re.sub(r"\[(\d+)\]", lambda m: f"[{int(m.group(1)) + offset}]", own))
            sources += [replace(s, n=s.n + offset) for s in ordinary.sources]
        body = "\n\n".join(lines)
        lines.append(self.sources_block(sources))
        lines.append(URGENT_AFTER)
        block = self.contact_block(contact)
        lines += ["---", block]
        return Answer(question, "urgent", "\n\n".join(lines), sources, block, body)

    @staticmethod
    def with_referral(
        answer: Answer,
        situations: list[str],
        referrals: list[DocumentInfo],
        family: bool = False,
    ) -> Answer:
        """Put a short referral line on top of an ordinary answer (a soft urgency signal)."""
        chosen = fitting(referrals, situations, family)
        if not chosen or answer.kind == "urgent":
            return answer
        if chosen[0].id in {s.id for s in answer.sources}:
            return answer  # the answer quotes that page already ("wat is het nummer van ...?")
        line = f"{REFERRAL_LEAD} {lead_sentence(chosen[0].text)}"
        return replace(answer, answer=f"{line}\n\n{answer.answer}", referral=line)

    def conversation(
        self, question: str, label: str, contact: DocumentInfo | None, documents: list[DocumentInfo]
    ) -> Answer:
        """A short reply to a greeting, thanks or a question about the assistant itself."""
        parts = [CONVERSATION.get(label, ASK_ON)]
        if label in ("over_assistent", "ontevreden"):
            parts += self.scope(documents)
        text = "\n\n".join(parts)
        block = self.contact_block(contact)
        return Answer(question, "conversation", f"{text}\n\n---\n\n{block}", [], block, text)

    @staticmethod
    def message(question: str, text: str, contact: DocumentInfo | None) -> Answer:
        """A fixed message (empty or over-long input) that still ends with the contact block."""
        block = Composer.contact_block(contact)
        return Answer(question, "no_answer", f"{text}\n\n---\n\n{block}", [], block, text)


def specific_advice(route: Route) -> str:
    """General information about one person: discuss it with the people who know them."""
    return SPECIFIC_FAMILY if route.family else SPECIFIC_CLIENT


def _enumerate(items: list[str]) -> str:
    """'a', 'a en b', 'a, b en c'."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} en {items[-1]}"


def fitting(
    referrals: list[DocumentInfo], situations: list[str], family: bool = False
) -> list[DocumentInfo]:
    """The referral documents for these situations, the best fitting first.

    Situations come strongest first; a document fits a situation better the earlier that
    situation appears in its own `situaties` list; ties keep the corpus order (file names).
    For a parent or relative (`family`), documents meant only for people who work in care
    (`doelgroep: zorgverleners`) are left out, unless nothing else fits.
    """
    if family:
        for_everyone = [d for d in referrals if d.audience != "zorgverleners"]
        if fitting(for_everyone, situations):
            referrals = for_everyone
    rank = {s: i for i, s in enumerate(situations)}

    def key(item: tuple[int, DocumentInfo]) -> tuple[int, int, int]:
        order, doc = item
        hits = [(rank[s], pos) for pos, s in enumerate(doc.situations) if s in rank]
        return (*min(hits), order)

    matching = [(i, d) for i, d in enumerate(referrals) if set(d.situations) & rank.keys()]
    return [d for _, d in sorted(matching, key=key)]


def lead_sentence(text: str) -> str:
    """The bold opening of a referral document ("**... Bel 113.**"), else its first sentence."""
    m = re.match(r"\s*(\*\*.+?\*\*)", text, re.S)
    if m:
        return m.group(1)
    parts = sentences(text)
    return parts[0] if parts else text.strip()


def _source(n: int, p: Passage, _texts: list[str]) -> Source:
    return Source(n, p.doc_id, p.title, p.type, p.url or None, p.path, "", p.score)


def _plain(text: str) -> str:
    """Lower case, single spaces, no non-breaking spaces: for finding a phrase in a sentence."""
    return " ".join(text.replace("\u00a0", " ").lower().split())


def _join(existing: str, sentence: str) -> str:
    return f"{existing} {sentence}".strip()
