"""The helpdesk page, at `/helpdesk`: an incoming e-mail becomes a draft reply to check."""

from __future__ import annotations

import email
import email.policy
import html as html_lib
import logging
import re
from pathlib import Path

import gradio as gr

from assistant.compose import CONTACT_HEADING
from assistant.contact import without_placeholders
from assistant.errors import AssistantError
from assistant.feedback import FeedbackLog
from assistant.mail import read_email
from assistant.pipeline import Assistant, clean

from . import render
from .shared import TITLE, UNAVAILABLE, ContactBook

log = logging.getLogger(__name__)

INTRO = (
    "Plak een binnengekomen vraag of e-mail, of kies een .eml-bestand. Je krijgt een concept-"
    "antwoord met de bronnen ernaast. Controleer het concept voordat je het verstuurt."
)
NOTHING = "Plak eerst een vraag of e-mail, of kies een .eml-bestand."
BAD_FILE = "Dit bestand kon ik niet lezen. Kies een e-mail die je als .eml hebt opgeslagen."
NO_SOURCES = "<p><em>Er zijn geen bronnen bij dit concept.</em></p>"
MAX_EML_BYTES = 2_000_000
SIGN_OFF = "Met vriendelijke groet"
_TAGS = re.compile(r"<[^>]+>")


def eml_text(path: str | Path) -> str:
    """Subject and plain-text body of a saved e-mail (.eml)."""
    data = Path(path).read_bytes()[:MAX_EML_BYTES]
    message = email.message_from_bytes(data, policy=email.policy.default)
    part = message.get_body(preferencelist=("plain", "html"))
    body = part.get_content() if part is not None else ""
    if part is not None and part.get_content_type() == "text/html":
        body = html_lib.unescape(_TAGS.sub(" ", body))
    subject = str(message.get("subject") or "").strip()
    return f"{subject}\n\n{body}".strip() if subject else str(body).strip()


class HelpdeskPage:
    def __init__(self, assistant: Assistant, feedback: FeedbackLog, contacts: ContactBook):
        self.assistant = assistant
        self.feedback = feedback
        self.contacts = contacts

    def draft(self, text: str, upload):
        text = text or ""
        if upload:
            try:
                text = eml_text(getattr(upload, "name", upload))
            except Exception as exc:  # noqa: BLE001 - any unreadable file gets the same answer
                log.warning("could not read an uploaded e-mail: %s", type(exc).__name__)
                return gr.skip(), f"<p>{render.esc(BAD_FILE)}</p>"
        if not clean(text):
            return "", f"<p>{render.esc(NOTHING)}</p>"
        try:
            draft = self.assistant.draft(text)
        except Exception as exc:  # noqa: BLE001 - a Dutch sentence, details to the log
            if isinstance(exc, AssistantError):
                log.error("draft failed: %s: %s %s", type(exc).__name__, exc, exc.details)
            else:
                log.exception("draft failed unexpectedly")
            contact = render.contact_full_html(self.contacts.current)
            return "", f"<p>{render.esc(UNAVAILABLE)}</p>{contact}"
        self._log(text, draft)
        sources = render.sources_html(draft.sources, "concept") or NO_SOURCES
        return self.with_contact_block(draft.text), sources

    def with_contact_block(self, text: str) -> str:
        """The draft with the team's full contact block as parsed (no placeholders or promotion)."""
        start = text.find(CONTACT_HEADING)
        end = text.find(SIGN_OFF, start) if start >= 0 else -1
        if start >= 0 and end > start:
            contact = self.contacts.update(text[start:end])
            return f"{text[:start]}{contact.full_text()}\n\n{text[end:]}"
        return without_placeholders(text)

    def _log(self, text: str, draft) -> None:
        questions = draft.questions or [read_email(clean(text)).body]
        try:
            self.feedback.record_question(
                " / ".join(questions)[:2000],
                draft.kind,
                [s.id for s in draft.sources],
                channel="helpdesk",
                answer=draft.text,
            )
        except Exception:  # noqa: BLE001
            log.exception("could not record the helpdesk question")

    def build(self) -> None:
        gr.HTML(
            f"<header class='kop'><h1>{TITLE}: helpdesk</h1><p>{render.esc(INTRO)}</p></header>"
        )
        mail = gr.Textbox(label="Vraag of e-mail", lines=8, elem_id="mail")
        upload = gr.File(
            label="Of kies een e-mail (.eml)",
            file_types=[".eml"],
            type="filepath",
            height=120,
            elem_id="eml",
        )
        make = gr.Button("Maak concept", variant="primary", elem_id="maak-concept")
        with gr.Row():
            draft = gr.Textbox(
                label="Concept-antwoord (je kunt het hier aanpassen)",
                lines=18,
                interactive=True,
                buttons=["copy"],
                elem_id="concept",
                scale=3,
            )
            with gr.Column(scale=2):
                sources = gr.HTML(
                    "<p><em>De bronnen bij het concept verschijnen hier.</em></p>",
                    elem_id="concept-bronnen",
                    apply_default_css=False,
                )
        make.click(
            self.draft,
            [mail, upload],
            [draft, sources],
            api_visibility="private",
        )
