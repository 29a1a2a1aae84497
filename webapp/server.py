"""One server for everything: the Gradio pages, its named endpoints and the JSON API."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

import gradio as gr
from fastapi import FastAPI

from assistant.errors import AssistantError
from assistant.feedback import FeedbackLog
from assistant.pipeline import Assistant

from .api import BodyLimit, JsonApi
from .chat import ChatPage
from .curator import CuratorPage, LoginGuard
from .helpdesk import HelpdeskPage
from .shared import CSS, LANG, TITLE, UNAVAILABLE, ContactBook

API_DESCRIPTION = (
    "Vragen en concept-antwoorden als JSON, voor helpdesk- en ticketsystemen. "
    '`POST /api/ask` met `{"question": "...", "history": ["..."]}` en '
    '`POST /api/draft` met `{"text": "..."}`. Het antwoord is hetzelfde JSON-object als '
    "dat van de opdrachtregel (`--json`)."
)

# Gradio picks its interface language from the browser; this app is Dutch for everyone.
# Runs before Gradio's own scripts, so its built-in labels ("Kopiëren", ...) are Dutch too.
# A few of Gradio's labels are English whatever the language (the copy button, the upload
# area's name for screen readers): they are translated where they appear.
ENGLISH_LABELS = {
    "Copy": "Kopiëren",
    "Copied": "Gekopieerd",
    "Copied!": "Gekopieerd",
    "Click to upload or drop files": "Kies een bestand of sleep het hierheen",
    "Clear": "Wissen",
}
FORCE_DUTCH = (
    b"<script>(function(){try{"
    b"Object.defineProperty(navigator,'language',{get:function(){return 'nl'}});"
    b"Object.defineProperty(navigator,'languages',{get:function(){return ['nl']}});"
    b"var NL=" + json.dumps(ENGLISH_LABELS).encode() + b";"
    b"function fix(root){if(!root.querySelectorAll)return;"
    b"root.querySelectorAll('[aria-label],[title]').forEach(function(el){"
    b"['aria-label','title'].forEach(function(a){var v=el.getAttribute(a);"
    b"if(v&&NL[v])el.setAttribute(a,NL[v]);});});"
    b"root.querySelectorAll('textarea:not([aria-label])').forEach(function(t){"
    b"var b=t.closest('label');var s=b&&b.querySelector('[data-testid=block-info]');"
    b"if(s&&s.textContent.trim())t.setAttribute('aria-label',s.textContent.trim());});}"
    b"new MutationObserver(function(ms){ms.forEach(function(m){"
    b"if(m.type==='attributes')fix(m.target.parentNode||document);"
    b"else m.addedNodes.forEach(function(n){fix(n.parentNode||n);});});})"
    b".observe(document.documentElement,{subtree:true,childList:true,"
    b"attributes:true,attributeFilter:['aria-label','title']});"
    b"}catch(e){}})();</script>"
)
# Gradio's Dutch translation lacks a few keys; screen readers otherwise hear "common.complete".
GRADIO_DUTCH = gr.I18n(
    nl={
        "common.complete": "Klaar",
        "common.upload": "Uploaden",
        "common.download_all": "Alles downloaden",
        "common.progress": "Voortgang",
        "common.copy": "Kopiëren",
    }
)


class DutchPages:
    """ASGI middleware: every HTML page says lang="nl" and sets the browser language first."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("method") != "GET":
            await self.app(scope, receive, send)
            return
        start: dict | None = None
        chunks: list[bytes] = []

        async def wrapped(message):
            nonlocal start
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                html = headers.get(b"content-type", b"").startswith(b"text/html")
                if html and b"content-encoding" not in headers:
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                body = body.replace(b'lang="en"', f'lang="{LANG}"'.encode(), 1)
                body = body.replace(b"<head>", b"<head>" + FORCE_DUTCH, 1)
                headers = [(k, v) for k, v in start["headers"] if k != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, wrapped)


class WebApp:
    """The caregivers' chat at `/`, the helpdesk at `/helpdesk`, curators at `/redactie`."""

    def __init__(
        self,
        assistant: Assistant,
        feedback: FeedbackLog,
        ingest: Callable[[Callable[[int, int], None]], object],
        curator_password: str | None,
        contacts: ContactBook | None = None,
        guard: LoginGuard | None = None,
    ):
        self.assistant = assistant
        self.contacts = contacts or ContactBook()
        self.chat = ChatPage(assistant, feedback, self.contacts)
        self.helpdesk = HelpdeskPage(assistant, feedback, self.contacts)
        self.curator = CuratorPage(assistant, feedback, ingest, curator_password, guard)
        self.api = JsonApi(assistant, feedback, self.contacts)

    # Named Gradio endpoints for gradio_client: the CLI's JSON as text (gradio_client would
    # take a returned dict with a "path" key for a file to download; sources carry "path").
    def gradio_ask(self, question: str) -> str:
        """The CLI's JSON object for one question, as JSON text."""
        try:
            answer = self.assistant.ask(question or "")
        except AssistantError as exc:
            self.api.unavailable(exc)  # logs the details
            raise gr.Error(UNAVAILABLE) from exc
        self.contacts.update(answer.contact)
        return json.dumps(dataclasses.asdict(answer), ensure_ascii=False)

    def gradio_draft(self, text: str) -> str:
        """The helpdesk draft, the CLI's JSON object, as JSON text."""
        try:
            draft = self.assistant.draft(text or "")
        except AssistantError as exc:
            self.api.unavailable(exc)
            raise gr.Error(UNAVAILABLE) from exc
        return json.dumps(dataclasses.asdict(draft), ensure_ascii=False)

    def blocks(self) -> gr.Blocks:
        with gr.Blocks(title=TITLE) as demo:
            self.chat.build()
            gr.api(self.gradio_ask, api_name="ask")
            gr.api(self.gradio_draft, api_name="draft")
        with demo.route("Helpdesk", "/helpdesk", show_in_navbar=False):
            self.helpdesk.build()
        with demo.route("Redactie", "/redactie", show_in_navbar=False):
            self.curator.build()
        return demo

    def fastapi(self, concurrency: int = 4) -> FastAPI:
        app = FastAPI(
            title=f"{TITLE} API",
            description=API_DESCRIPTION,
            version="1.0",
            docs_url="/docs",
            redoc_url=None,
        )
        self.api.install(app)
        demo = self.blocks()
        demo.queue(default_concurrency_limit=concurrency)
        app = gr.mount_gradio_app(
            app,
            demo,
            path="/",
            footer_links=[],  # no "Gebruik via API" for caregivers; developers use /docs
            css=CSS,
            show_error=False,
            i18n=GRADIO_DUTCH,
        )
        app.add_middleware(DutchPages)
        app.add_middleware(BodyLimit)
        return app
