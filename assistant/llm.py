"""Optional fluent answers from a chat model, shown only as far as every sentence is verified.

The model (any OpenAI-compatible endpoint through langchain-openai, imported lazily) sees only
the retrieved passages, numbered, and the instructions below. Its answer is split into
sentences; each is checked against the passages it cites (assistant/verify.py) before it is
shown. Urgent routing and refusals happen before and without the model (assistant/pipeline.py);
the sources list and the contact block are added by the assistant. When the model fails, times
out, or too little of its answer survives, the extractive answer is shown instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Protocol

from .compose import Answer, Composer
from .errors import LLMError
from .retrieval import DocumentInfo, Passage, Retrieval
from .routing import Route
from .settings import Settings
from .verify import ClaimStream, Verdict, Verifier, parse_claims

log = logging.getLogger(__name__)

# -- prompts (the model's instructions are Dutch, like its answer) --------------------------
SYSTEM_PROMPT = """\
Je bent de hechtingsassistent. Je beantwoordt vragen van begeleiders in de gehandicaptenzorg \
over hechting.

Regels:
- Gebruik alleen de genummerde bronteksten die je krijgt. Gebruik geen eigen kennis.
- Schrijf in eenvoudig Nederlands (taalniveau B1): korte zinnen en gewone woorden.
- Zet achter elke zin het nummer van de brontekst waar die zin op steunt, tussen vierkante \
haken, zoals [2]. Steunt een zin op twee bronteksten, schrijf dan [1][3].
- Noem geen getallen, telefoonnummers, websites of namen die niet in de bronteksten staan.
- Staat het antwoord niet in de bronteksten? Schrijf dan alleen: Dat staat niet in mijn \
informatie.
- Schrijf hooguit zes zinnen. Geen kopjes, geen opsommingen, geen bronnenlijst en geen \
contactgegevens: die voegt de assistent zelf toe."""
PASSAGE_TEMPLATE = "[{n}] {title}\n{text}"
USER_TEMPLATE = "Bronteksten:\n\n{passages}\n\n{context}Vraag: {question}"
CONTEXT_TEMPLATE = "Eerdere vraag in dit gesprek: {previous}\n\n"
# Passages scoring below this share of the best one are not given to the model
# (the extractive composer ignores them for the same reason).
MIN_RELATIVE_SCORE = 0.35


class ChatModel(Protocol):
    def complete(self, messages: list[tuple[str, str]]) -> str: ...

    def stream(self, messages: list[tuple[str, str]]) -> Iterator[str]: ...


class OpenAIChat:
    """An OpenAI-compatible endpoint (Ollama, vLLM, llama.cpp server, hosted) via langchain."""

    def __init__(self, url: str, model: str, api_key: str | None = None, timeout: float = 30.0):
        self.url = url
        self.model = model
        self.api_key = api_key
        self.timeout = timeout
        self._client = None

    @property
    def client(self):
        if self._client is None:
            try:
                from langchain_openai import ChatOpenAI
            except ImportError as exc:  # pragma: no cover - declared dependency
                raise LLMError(
                    "langchain-openai ontbreekt; installeer het met "
                    "'.venv/bin/pip install langchain-openai'."
                ) from exc
            self._client = ChatOpenAI(
                base_url=self.url,
                model=self.model,
                api_key=self.api_key or "not-needed",  # local servers ignore it
                timeout=self.timeout,
                max_retries=0,
                temperature=0,
            )
        return self._client

    def complete(self, messages: list[tuple[str, str]]) -> str:
        try:
            return _text(self.client.invoke(messages).content)
        except LLMError:
            raise
        except Exception as exc:  # noqa: BLE001 - any client failure means: fall back
            raise LLMError(f"Het taalmodel gaf geen antwoord ({type(exc).__name__}).") from exc

    def stream(self, messages: list[tuple[str, str]]) -> Iterator[str]:
        # The timeout bounds the time spent waiting for the model, not the time the caller
        # spends verifying sentences between chunks.
        waited = 0.0
        try:
            chunks = iter(self.client.stream(messages))
            while True:
                started = time.monotonic()
                chunk = next(chunks, None)
                waited += time.monotonic() - started
                if chunk is None:
                    return
                if waited > self.timeout:
                    raise LLMError("Het taalmodel deed er te lang over.")
                yield _text(chunk.content)
        except LLMError:
            raise
        except Exception as exc:  # noqa: BLE001 - any client failure means: fall back
            raise LLMError(f"Het taalmodel gaf geen antwoord ({type(exc).__name__}).") from exc


def _text(content) -> str:
    if isinstance(content, str):
        return content
    return "".join(
        part.get("text", "") if isinstance(part, dict) else str(part) for part in content
    )


def _fallback(fallback: Callable[[], Answer], dropped: int) -> Answer:
    answer = fallback()
    answer.dropped = dropped
    return answer


def make_chat(settings: Settings) -> ChatModel | None:
    """The configured chat model, or None when no URL is set (extractive answers)."""
    if not settings.llm_url.strip():
        return None
    return OpenAIChat(
        settings.llm_url.strip(), settings.llm_model, settings.llm_api_key, settings.llm_timeout
    )


def given_passages(retrieval: Retrieval) -> list[Passage]:
    if not retrieval.passages:
        return []
    top = retrieval.passages[0].score or 1.0
    return [p for p in retrieval.passages if p.score >= MIN_RELATIVE_SCORE * top]


def build_messages(
    question: str, passages: Sequence[Passage], history: Sequence[str] = ()
) -> list[tuple[str, str]]:
    numbered = "\n\n".join(
        PASSAGE_TEMPLATE.format(n=n, title=p.title, text=p.text.strip())
        for n, p in enumerate(passages, start=1)
    )
    context = CONTEXT_TEMPLATE.format(previous=history[-1]) if history else ""
    user = USER_TEMPLATE.format(passages=numbered, context=context, question=question)
    return [("system", SYSTEM_PROMPT), ("human", user)]


class Writer:
    """Turns a chat model's answer into verified, cited Answer objects."""

    def __init__(
        self, chat: ChatModel, verifier: Verifier, composer: Composer, min_kept: float = 0.5
    ):
        self.chat = chat
        self.verifier = verifier
        self.composer = composer
        self.min_kept = min_kept

    def answer(
        self,
        question: str,
        route: Route,
        retrieval: Retrieval,
        contact: DocumentInfo | None,
        history: Sequence[str],
        fallback: Callable[[], Answer],
    ) -> Answer:
        """The whole answer at once (non-streaming request); `fallback()` gives the extractive
        answer."""
        passages = given_passages(retrieval)
        check = self.verifier.over([p.text for p in passages], [p.title for p in passages])
        try:
            text = self.chat.complete(build_messages(question, passages, history))
            verdicts = [check.check(c) for c in parse_claims(text)]
        except LLMError as exc:
            log.warning("llm failed, extractive answer shown: %s", exc)
            return _fallback(fallback, 0)
        return self._final(question, route, contact, passages, verdicts, fallback)

    def stream(
        self,
        question: str,
        route: Route,
        retrieval: Retrieval,
        contact: DocumentInfo | None,
        history: Sequence[str],
        fallback: Callable[[], Answer],
    ) -> Iterator[Answer]:
        """Answers that grow by one verified sentence at a time; the last one is final."""
        passages = given_passages(retrieval)
        check = self.verifier.over([p.text for p in passages], [p.title for p in passages])
        verdicts: list[Verdict] = []
        claims = ClaimStream()
        try:
            for chunk in self.chat.stream(build_messages(question, passages, history)):
                for claim in claims.feed(chunk):
                    if self._add(check.check(claim), verdicts):
                        yield self._render(question, route, contact, passages, verdicts)
            for claim in claims.finish():
                if self._add(check.check(claim), verdicts):
                    yield self._render(question, route, contact, passages, verdicts)
        except LLMError as exc:
            log.warning("llm failed, extractive answer shown: %s", exc)
            yield _fallback(fallback, 0)
            return
        yield self._final(question, route, contact, passages, verdicts, fallback)

    @staticmethod
    def _add(verdict: Verdict, verdicts: list[Verdict]) -> bool:
        verdicts.append(verdict)
        if not verdict.kept:
            log.info("generated sentence dropped: %s", verdict.reason)
        return verdict.kept

    def _final(self, question, route, contact, passages, verdicts, fallback) -> Answer:
        kept = sum(v.kept for v in verdicts)
        dropped = len(verdicts) - kept
        if kept == 0 or kept < self.min_kept * len(verdicts):
            log.info("too little verified (%d of %d), extractive answer shown", kept, len(verdicts))
            return _fallback(fallback, dropped)
        return self._render(question, route, contact, passages, verdicts)

    def _render(self, question, route, contact, passages, verdicts) -> Answer:
        kept = [v for v in verdicts if v.kept]
        parts = [
            (v.claim.paragraph, v.claim.text, [(passages[n - 1], v.evidence[n]) for n in v.cites])
            for v in kept
        ]
        return self.composer.generated(
            question, route, parts, contact, dropped=len(verdicts) - len(kept)
        )
