"""The plain JSON HTTP API: `POST /api/ask` and `POST /api/draft`, the CLI's JSON over HTTP.

Bad requests get a 4xx with a Dutch message; errors never show a traceback or internals.
"""

from __future__ import annotations

import dataclasses
import logging

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant.errors import AssistantError
from assistant.feedback import FeedbackLog
from assistant.pipeline import Assistant

from .shared import UNAVAILABLE, ContactBook

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000
MAX_QUESTION_CHARS = 20_000
MAX_DRAFT_CHARS = 200_000
MAX_HISTORY = 20
UNEXPECTED = "Er ging onverwacht iets mis. Probeer het opnieuw of neem contact op met de beheerder."
TOO_LARGE = "De aanvraag is te groot (hooguit 1 MB)."
NOT_JSON = 'De aanvraag is geen geldige JSON. Stuur een JSON-object, bijvoorbeeld {"question": "Wat is hechting?"}.'
FIELD_NAMES = {"question": "question", "history": "history", "text": "text"}


class AskRequest(BaseModel):
    question: str = Field(
        ..., max_length=MAX_QUESTION_CHARS, description="De vraag, in het Nederlands."
    )
    history: list[str] = Field(
        default_factory=list,
        max_length=MAX_HISTORY,
        description="Eerdere vragen in hetzelfde gesprek (optioneel), oudste eerst.",
    )


class DraftRequest(BaseModel):
    text: str = Field(
        ..., max_length=MAX_DRAFT_CHARS, description="De binnengekomen vraag of e-mail."
    )


def valid_text(text: str) -> str:
    """Text that can be encoded: lone surrogates and the like become '?'."""
    return text.encode("utf-8", "replace").decode("utf-8")


def dutch_validation_message(errors: list[dict]) -> str:
    messages = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p != "body"]
        name = loc[0] if loc else ""
        kind = error.get("type", "")
        ctx = error.get("ctx") or {}
        if kind == "json_invalid":
            messages.append(NOT_JSON)
        elif kind == "missing" and name:
            messages.append(f"Het veld '{name}' ontbreekt.")
        elif kind == "missing" or kind in ("model_attributes_type", "dict_type"):
            messages.append(
                "Stuur een JSON-object met de velden uit de documentatie (/docs), "
                'bijvoorbeeld {"question": "Wat is hechting?"}.'
            )
        elif "unicode" in kind:
            messages.append(f"Het veld '{name}' bevat tekens die geen geldige tekst (UTF-8) zijn.")
        elif kind == "string_type":
            messages.append(f"Het veld '{'.'.join(loc)}' moet tekst zijn.")
        elif kind == "list_type":
            messages.append(f"Het veld '{name}' moet een lijst met teksten zijn.")
        elif kind == "string_too_long":
            messages.append(
                f"Het veld '{name}' is te lang (hooguit {ctx.get('max_length')} tekens)."
            )
        elif kind == "too_long":
            messages.append(
                f"Het veld '{name}' heeft te veel items (hooguit {ctx.get('max_length')})."
            )
        else:
            messages.append(f"Het veld '{'.'.join(loc) or 'body'}' is ongeldig.")
    return " ".join(dict.fromkeys(messages)) or NOT_JSON


def _use_post():
    return JSONResponse({"detail": "Gebruik POST met een JSON-object; zie /docs."}, status_code=405)


class JsonApi:
    def __init__(self, assistant: Assistant, feedback: FeedbackLog, contacts: ContactBook):
        self.assistant = assistant
        self.feedback = feedback
        self.contacts = contacts

    def unavailable(self, exc: Exception) -> JSONResponse:
        if isinstance(exc, AssistantError):
            log.error("API request failed: %s: %s", type(exc).__name__, exc)
            detail, status = UNAVAILABLE, 503
        else:
            log.exception("API request failed unexpectedly")
            detail, status = UNEXPECTED, 500
        return JSONResponse(
            {"detail": detail, "contact": self.contacts.current.short_text()}, status_code=status
        )

    def ask(self, request: AskRequest):
        question = valid_text(request.question)
        history = [valid_text(h) for h in request.history]
        try:
            answer = self.assistant.ask(question, history=history[-1:])
        except Exception as exc:  # noqa: BLE001 - translated to a Dutch message
            return self.unavailable(exc)
        self.contacts.update(answer.contact)
        try:
            self.feedback.record_question(
                answer.question, answer.kind, [s.id for s in answer.sources], channel="api"
            )
        except Exception:  # noqa: BLE001
            log.exception("could not record the question")
        return dataclasses.asdict(answer)

    def draft(self, request: DraftRequest):
        try:
            draft = self.assistant.draft(valid_text(request.text))
        except Exception as exc:  # noqa: BLE001
            return self.unavailable(exc)
        return dataclasses.asdict(draft)

    def router(self) -> APIRouter:
        router = APIRouter(prefix="/api", tags=["hechtingsassistent"])
        router.add_api_route(
            "/ask",
            self.ask,
            methods=["POST"],
            summary="Stel een vraag",
            description="Het antwoord als JSON, precies zoals `python -m assistant ask --json`.",
        )
        router.add_api_route(
            "/draft",
            self.draft,
            methods=["POST"],
            summary="Maak een concept-antwoord op een e-mail",
            description="Het concept als JSON, precies zoals `python -m assistant draft --json`.",
        )
        for path in ("/ask", "/draft"):
            router.add_api_route(path, _use_post, methods=["GET"], include_in_schema=False)
        return router

    def install(self, app: FastAPI) -> None:
        app.include_router(self.router())

        @app.exception_handler(RequestValidationError)
        async def _invalid(request: Request, exc: RequestValidationError):
            return JSONResponse(
                {"detail": dutch_validation_message(list(exc.errors()))}, status_code=422
            )

        @app.exception_handler(StarletteHTTPException)
        async def _http(request: Request, exc: StarletteHTTPException):
            detail = {
                404: "Deze pagina of dit adres bestaat niet.",
                405: "Gebruik POST met een JSON-object; zie /docs.",
            }.get(exc.status_code, str(exc.detail))
            return JSONResponse({"detail": detail}, status_code=exc.status_code)


class BodyLimit:
    """ASGI middleware: refuse an /api request body over the limit before it is read."""

    def __init__(self, app, limit: int = MAX_BODY_BYTES):
        self.app = app
        self.limit = limit

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            headers = dict(scope.get("headers") or [])
            size = headers.get(b"content-length", b"")
            if size.isdigit() and int(size) > self.limit:
                response = JSONResponse({"detail": TOO_LARGE}, status_code=413)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
