"""The assistant: route, retrieve and compose, over one shared model and index."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .compose import EMPTY_QUESTION, TOO_LONG, Answer, Composer, Draft
from .embeddings import Embedder, make_embedder
from .retrieval import DocumentInfo, Retriever
from .routing import Router
from .settings import Settings
from .store import Store
from .text import STOPWORDS, words
from .urgency import UrgencyDetector

log = logging.getLogger(__name__)

MAX_QUESTION = 2000
MAX_DRAFT = 20000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# A short follow-up that leans on the previous turn ("en hoe herken ik dat?").
_FOLLOW_UP = re.compile(
    r"^\s*(en|maar|ook|dus)\b|\b(dat|dit|die|daar|daarmee|daarvan|hem|haar|hun|zo'n|zoiets)\b"
)


def clean(text: str) -> str:
    """Remove NUL and control characters; keep letters, emoji and ordinary white space."""
    return _CONTROL.sub(" ", text or "").strip()


@dataclass
class Assistant:
    retriever: Retriever
    router: Router
    composer: Composer
    contact_id: str = "contact-expertiseteam"

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Assistant:
        store = Store.from_location(
            settings.data_dir, settings.chroma_host, settings.chroma_port, settings.collection
        )
        embedder = embedder or make_embedder(settings.embedding_model)
        retriever = Retriever(store, embedder, settings.top_k, settings.lexical_weight)
        urgency = UrgencyDetector.from_settings(settings, embedder)
        router = Router(
            settings.min_coverage_with_dense, settings.min_dense, settings.min_coverage, urgency
        )
        return cls(retriever, router, Composer(retriever.terms, retriever.idf), settings.contact_id)

    # -- reference content ------------------------------------------------------------------
    def _reference(self) -> tuple[DocumentInfo | None, list[DocumentInfo]]:
        contact = self.retriever.document(self.contact_id)
        return contact, self.retriever.documents_of_type("spoed")

    # -- questions ---------------------------------------------------------------------------
    def retrieval_query(self, question: str, history: Sequence[str]) -> str:
        if not history:
            return question
        content = [w for w in words(question) if w not in STOPWORDS]
        if len(content) <= 4 and _FOLLOW_UP.search(question.lower()):
            return f"{history[-1]} {question}"
        return question

    def ask(self, question: str, history: Sequence[str] = ()) -> Answer:
        question = clean(question)
        contact, referrals = self._reference()
        if not question or not words(question):
            return self.composer.message(question, EMPTY_QUESTION, contact)
        # The question is embedded once: the urgency classifier and the retrieval share it.
        vector = None
        if len(question) <= MAX_QUESTION:
            vector = self.retriever.embedder.embed_query(question)
        first = self.router.route(question, None, vector)  # urgent is decided before anything else
        if first.kind == "urgent":
            return self.composer.urgent(question, first, referrals, contact)
        if len(question) > MAX_QUESTION:
            text = TOO_LONG.format(length=len(question), limit=MAX_QUESTION)
            answer = self.composer.message(question[:200], text, contact)
            return self.composer.with_referral(answer, first.referral, referrals)
        query = self.retrieval_query(question, [clean(h) for h in history])
        retrieval = self.retriever.search(query, vector=vector if query == question else None)
        route = self.router.after_retrieval(first, retrieval)
        if route.kind == "answer":
            answer = self.composer.answer(question, route, retrieval, contact)
        else:
            answer = self.composer.no_answer(question, route, retrieval, contact)
        return self.composer.with_referral(answer, first.referral, referrals)

    def stream(self, question: str, history: Sequence[str] = ()) -> Iterator[Answer]:
        """Answers whose text grows; the last one is final (extractive: just the one)."""
        yield self.ask(question, history)

    def draft(self, text: str) -> Draft:
        """A reply to an incoming e-mail or question, for the helpdesk to check and send."""
        text = clean(text)[:MAX_DRAFT]
        question = extract_question(text)
        contact, referrals = self._reference()
        route = self.router.route(text, None)  # the whole e-mail, and sentence by sentence
        if route.kind == "urgent":
            return self.composer.draft(self.composer.urgent(question, route, referrals, contact))
        if not words(question):
            return self.composer.draft(self.composer.message(question, EMPTY_QUESTION, contact))
        answer = self.ask(question[:MAX_QUESTION])
        if not answer.referral:  # the whole e-mail may touch what its question does not
            answer = self.composer.with_referral(answer, route.referral, referrals)
        return self.composer.draft(answer)

    def refresh(self) -> bool:
        return self.retriever.refresh()


_GREETING = re.compile(
    r"^\s*(beste|hallo|hoi|hey|goedemorgen|goedemiddag|goedenavond|geachte|dag)\b[^\n]*$", re.I
)
_SIGN_OFF = re.compile(
    r"^\s*(met vriendelijke groet|vriendelijke groet|groet(en|jes)?|mvg|alvast bedankt|"
    r"bedankt|dank je|dank u)\b",
    re.I,
)


def extract_question(text: str) -> str:
    """The body of an e-mail without greeting, sign-off and signature."""
    lines = [line.strip() for line in text.replace("\r", "").split("\n")]
    while lines and (not lines[0] or _GREETING.match(lines[0])):
        lines.pop(0)
    body: list[str] = []
    for line in lines:
        if _SIGN_OFF.match(line):
            break
        if line.startswith(">"):
            continue
        body.append(line)
    result = " ".join(line for line in body if line).strip()
    return result or text.strip()


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
