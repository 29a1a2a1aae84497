"""The assistant: route, retrieve and compose, over one shared model and index."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .answerability import AnswerabilityJudge, AnswerabilityModel, resource_path, sentence_top
from .cache import AnswerCache
from .compose import EMPTY_QUESTION, TOO_LONG, Answer, Composer, Draft
from .conversation import ConversationDetector
from .embeddings import Embedder, make_embedder
from .followup import FollowUpJudge, FollowUpModel
from .followup import cue as follow_up_cue
from .followup import resource_path as follow_up_path
from .followup_scope import ScopeModel
from .followup_scope import features as scope_features
from .followup_scope import resource_path as scope_path
from .llm import Writer, make_chat
from .mail import asks_something
from .ranking import RankingModel
from .ranking import resource_path as ranking_path
from .retrieval import DocumentInfo, Retrieval, Retriever, Similarity
from .routing import Route, Router
from .settings import Settings
from .store import Store
from .text import STOPWORDS, words
from .urgency import UrgencyDetector
from .verify import Verifier

log = logging.getLogger(__name__)

MAX_QUESTION = 2000
MAX_DRAFT = 20000
MAX_EML = 5_000_000  # a whole message source, attachments included
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(text: str) -> str:
    """Remove NUL, control characters and lone surrogates (invalid UTF-8 that reached a str);
    keep letters, emoji and ordinary white space."""
    return _CONTROL.sub(" ", text or "").strip()


@dataclass
class Found:
    """One search: its passages, their sentences' similarity, the route, P(answerable)."""

    retrieval: Retrieval
    similarity: Similarity
    route: Route
    probability: float


@dataclass
class _Prepared:
    """A question that was routed and searched, ready to be composed."""

    question: str
    route: Route
    retrieval: Retrieval
    contact: DocumentInfo | None
    history: list[str]
    similarity: Similarity | None = None
    referrals: list[DocumentInfo] = field(default_factory=list)  # the urgent referral documents


@dataclass
class Assistant:
    retriever: Retriever
    router: Router
    composer: Composer
    contact_id: str = "contact-expertiseteam"
    draft_common_zipf: float = 4.3  # see Settings.draft_common_zipf
    writer: Writer | None = None  # fluent answers from a chat model; None = extractive only
    cache: AnswerCache | None = None  # recent extractive answers; None = none kept
    # Greetings, thanks, "wat kun je?": a short reply instead of a search; None = always search
    conversation: ConversationDetector | None = None
    # Whether a question with a history is read together with the previous one.
    follow_ups: FollowUpJudge = field(default_factory=lambda: FollowUpJudge(None, STOPWORDS))
    # Whether the corpus answers what a follow-up read together newly asks; None = assumed.
    scope: ScopeModel | None = None

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Assistant:
        store = Store.from_location(
            settings.data_dir, settings.chroma_host, settings.chroma_port, settings.collection
        )
        embedder = embedder or make_embedder(settings.embedding_model)
        ranker = None
        if settings.ranking:
            ranker = RankingModel.load(ranking_path(settings.embedding_model))
        retriever = Retriever(
            store, embedder, settings.top_k, settings.lexical_weight, ranker=ranker
        )
        model = AnswerabilityModel.load(resource_path(settings.embedding_model))
        if model is not None and settings.answerable_threshold is not None:
            model.threshold = settings.answerable_threshold
        judge = AnswerabilityJudge(
            model, settings.min_coverage_with_dense, settings.min_dense, settings.min_coverage
        )
        router = Router(judge, UrgencyDetector.from_settings(settings, embedder))
        composer = Composer(retriever.terms, retriever.idf)
        writer = None
        chat = make_chat(settings)
        if chat is not None:
            verifier = Verifier(
                embedder,
                lambda text: retriever.snapshot.analyzer.terms(text),
                settings.support_threshold,
            )
            writer = Writer(chat, verifier, composer, settings.llm_min_kept)
        cache = AnswerCache(settings.answer_cache_size) if settings.answer_cache_size else None
        return cls(
            retriever,
            router,
            composer,
            settings.contact_id,
            settings.draft_common_zipf,
            writer,
            cache,
            ConversationDetector(embedder, cache_dir=settings.data_dir),
            FollowUpJudge(FollowUpModel.load(follow_up_path(settings.embedding_model)), STOPWORDS),
            ScopeModel.load(scope_path(settings.embedding_model)),
        )

    # -- reference content ------------------------------------------------------------------
    def _reference(self) -> tuple[DocumentInfo | None, list[DocumentInfo]]:
        contact = self.retriever.document(self.contact_id)
        return contact, self.retriever.documents_of_type("spoed")

    # -- questions ---------------------------------------------------------------------------
    def retrieval_query(self, question: str, history: Sequence[str]) -> str:
        """The first version's reading, used to fit the models: a short question with a
        follow-up word is read together with the previous one."""
        if history and follow_up_cue(question, STOPWORDS):
            return f"{history[-1]} {question}"
        return question

    def ask(self, question: str, history: Sequence[str] = (), urgency: bool = True) -> Answer:
        """The answer to a question. `urgency=False` when the caller already judged the text
        it comes from (a helpdesk draft judges the whole e-mail first)."""
        key = None
        if self.cache is not None and self.writer is None:  # chat-model answers vary: not kept
            key = (
                self.retriever.snapshot.name,
                clean(question),
                tuple(clean(h) for h in history),
                urgency,
            )
            cached = self.cache.get(key)
            if cached is not None:
                return cached
        answer = self._answer(question, history, urgency)
        if key is not None:
            self.cache.put(key, answer)
        return answer

    def _answer(self, question: str, history: Sequence[str], urgency: bool) -> Answer:
        prepared = self._prepare(question, history, urgency)
        if isinstance(prepared, Answer):
            return prepared
        if self.writer is None or prepared.route.kind != "answer":
            return self._extractive(prepared)
        answer = self.writer.answer(
            prepared.question,
            prepared.route,
            prepared.retrieval,
            prepared.contact,
            prepared.history,
            lambda: self._extractive(prepared),
        )
        return answer if answer.referral else self._with_referral(answer, prepared)

    def stream(self, question: str, history: Sequence[str] = ()) -> Iterator[Answer]:
        """Answers whose text grows sentence by sentence; the last one is final and complete.
        Without a chat model (or for urgent, refused and invalid questions) there is one."""
        prepared = self._prepare(question, history)
        if isinstance(prepared, Answer):
            yield prepared
        elif self.writer is None or prepared.route.kind != "answer":
            yield self._extractive(prepared)
        else:
            for answer in self.writer.stream(
                prepared.question,
                prepared.route,
                prepared.retrieval,
                prepared.contact,
                prepared.history,
                lambda: self._extractive(prepared),
            ):
                yield answer if answer.referral else self._with_referral(answer, prepared)

    def _prepare(
        self, question: str, history: Sequence[str], urgency: bool = True
    ) -> Answer | _Prepared:
        """Routing and retrieval, decided before and without any chat model."""
        question = clean(question)
        contact, referrals = self._reference()
        if not question or not words(question):
            return self.composer.message(question, EMPTY_QUESTION, contact)
        # The question is embedded once: the urgency classifier and the retrieval share it.
        vector = None
        if len(question) <= MAX_QUESTION:
            vector = self.retriever.embedder.embed_query(question)
        # Urgent is decided before anything else.
        first = self.router.route(question, None, vector) if urgency else Route("answer")
        if first.kind == "urgent":
            # The classifier alone judged it urgent: a question about hechting in it still gets
            # its answer below the referral. A text that asks nothing ("hij ligt op de grond en
            # reageert niet!") gets the referral alone, not the nearest page.
            ordinary = None
            if not first.by_rule and len(question) <= MAX_QUESTION and asks_something(question):
                found = self.retrieve(question, Route("answer"), vector)
                if found.route.kind == "answer":
                    ordinary = self.composer.answer(
                        question, found.route, found.retrieval, None, found.similarity
                    )
            return self.composer.urgent(question, first, referrals, contact, ordinary)
        turn = self.conversation.turn(question, vector) if self.conversation and urgency else None
        if turn is not None:
            answer = self.composer.conversation(
                question, turn.label, contact, self.retriever.documents()
            )
            return self.composer.with_referral(answer, first.referral, referrals, first.family)
        if len(question) > MAX_QUESTION:
            text = TOO_LONG.format(length=len(question), limit=MAX_QUESTION)
            answer = self.composer.message(question[:200], text, contact)
            return self.composer.with_referral(answer, first.referral, referrals, first.family)
        history = [clean(h) for h in history if clean(h)]
        found = self.retrieve(question, first, vector)
        if history:
            # Read together with the previous question, or alone: see followup.py.
            previous = self.retriever.embedder.embed_query(history[-1])
            closeness = sum(a * b for a, b in zip(vector, previous, strict=True))
            if self.follow_ups.may_combine(question, closeness, found.probability):
                together = self.retrieve(f"{history[-1]} {question}", first)
                reading = self.follow_ups.read(
                    question, closeness, found.probability, together.probability
                )
                if reading.combined:
                    found = self.within_scope(
                        question, history[-1], vector, previous, together, found
                    )
        retrieval, similarity, route = found.retrieval, found.similarity, found.route
        return _Prepared(question, route, retrieval, contact, history, similarity, referrals)

    def within_scope(
        self,
        question: str,
        previous: str,
        vector: list[float],
        previous_vector: list[float],
        together: Found,
        alone: Found,
    ) -> Found:
        """The search read together, refused when the follow-up's own new subject is not in
        the passages it found (followup_scope.py)."""
        if self.scope is None or together.route.kind != "answer":
            return together
        x = scope_features(
            self.retriever, question, previous, vector, previous_vector, together, alone.probability
        )
        if self.scope.answers(x):
            return together
        route = dataclasses.replace(together.route, kind="no_answer")
        return dataclasses.replace(together, route=route)

    def retrieve(self, query: str, first: Route, vector: list[float] | None = None) -> Found:
        """One search and its answerability (calibration reads questions the same way)."""
        retrieval = self.retriever.search(query, vector=vector)
        similarity = self.retriever.similarity(retrieval, retrieval.passages + retrieval.context)
        best = sentence_top(similarity, [p.chunk_id for p in retrieval.passages[:3]])
        verdict = self.router.judge.judge(retrieval, best)
        route = self.router.after_retrieval(first, retrieval, best, verdict)
        return Found(retrieval, similarity, route, verdict.probability)

    def _extractive(self, prepared: _Prepared) -> Answer:
        p = prepared
        if p.route.kind == "answer":
            answer = self.composer.answer(p.question, p.route, p.retrieval, p.contact, p.similarity)
        else:
            answer = self.composer.no_answer(
                p.question, p.route, p.retrieval, p.contact, self.retriever.documents()
            )
        return self._with_referral(answer, p)

    def _with_referral(self, answer: Answer, prepared: _Prepared) -> Answer:
        """A soft signal (abuse, violence, exploitation in general) puts a referral on top."""
        route = prepared.route
        return self.composer.with_referral(answer, route.referral, prepared.referrals, route.family)

    def draft(self, text: str | bytes) -> Draft:
        """A reply to an incoming e-mail (plain text or a whole .eml source) for the helpdesk
        to check and send."""
        from .draft import DraftWriter
        from .mail import is_eml

        if isinstance(text, str):
            text = clean(text) if is_eml(text) else clean(text)[:MAX_DRAFT]
        return DraftWriter(self, self.draft_common_zipf).write(text[:MAX_EML])

    def refresh(self) -> bool:
        return self.retriever.refresh()


def build_ingestor(settings: Settings, embedder: Embedder | None = None, root: Path | None = None):
    from .index import Ingestor

    store = Store.from_location(
        settings.data_dir, settings.chroma_host, settings.chroma_port, settings.collection
    )
    embedder = embedder or make_embedder(settings.embedding_model)
    return Ingestor(
        store,
        embedder,
        settings.corpus_dir,
        settings.data_dir / "ingest.lock",
        settings.chunk_tokens,
        settings.chunk_overlap_tokens,
        settings.contact_id,
        root,
    )
