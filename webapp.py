"""The Gradio app: chat for caregivers, drafts for the helpdesk, overview for curators.

Wiring only: every answer comes from assistant.Assistant; the model and index are loaded
once and shared by all sessions.
"""

from __future__ import annotations

import dataclasses
import hmac
import html
import json
import logging
import threading
from collections.abc import Callable

import gradio as gr

from assistant.compose import TYPE_LABELS, Answer, Source
from assistant.errors import AssistantError, CorpusError
from assistant.feedback import FeedbackLog
from assistant.pipeline import MAX_QUESTION, Assistant, clean

log = logging.getLogger(__name__)

TITLE = "Hechtingsassistent"
INTRO = (
    "Stel een vraag over hechting bij mensen met een beperking. Het antwoord komt uit onze "
    "informatie en bronnen, met de bron erbij. Twijfel je, of gaat het om een cliënt? "
    "Neem contact op met het expertiseteam."
)
EXAMPLES = [
    "Wat is hechting?",
    "Mijn cliënt verhuist, wat betekent dat voor zijn hechting?",
    "Is er een app die helpt signalen te herkennen?",
    "Wat doet een vermijdend gehecht kind bij stress?",
]
URGENT_BADGE = "🚨 **Spoed**\n\n"
ERROR_MESSAGE = "Er ging iets mis bij het zoeken. Probeer het zo nog eens. {detail}"
CURATOR_DISABLED = (
    "De redactiefuncties staan uit. Stel een wachtwoord in met HECHTING_CURATOR_PASSWORD."
)
CURATOR_WRONG = "Onjuist wachtwoord. Er is niets getoond of gewijzigd."
CSS = """
.gradio-container {max-width: 1100px !important; margin: auto;}
#bronnen details {border: 1px solid var(--border-color-primary); border-radius: 8px;
  padding: 6px 10px; margin: 6px 0;}
#bronnen summary {cursor: pointer; font-weight: 600;}
"""


def sources_html(sources: list[Source]) -> str:
    """An expandable panel per cited source; all corpus text is escaped."""
    if not sources:
        return "<p><em>Geen bronnen bij dit antwoord.</em></p>"
    parts = ["<div class='bronnen'><p><strong>Bronnen bij het laatste antwoord</strong></p>"]
    for s in sources:
        label = html.escape(TYPE_LABELS.get(s.type, s.type))
        link = (
            f"<p><a href='{html.escape(s.url, quote=True)}' target='_blank' rel='noopener'>"
            f"Open de bron</a></p>"
            if s.url
            else ""
        )
        parts.append(
            f"<details data-source='{s.n}'><summary>[{s.n}] {html.escape(s.title)} ({label})"
            f"</summary><blockquote>{html.escape(s.passage)}</blockquote>{link}"
            f"<p><small>{html.escape(s.path)}</small></p></details>"
        )
    parts.append("</div>")
    return "".join(parts)


def display_answer(answer: Answer) -> str:
    return URGENT_BADGE + answer.answer if answer.kind == "urgent" else answer.answer


@dataclasses.dataclass
class Turn:
    question: str
    kind: str
    sources: list[str]


class WebApp:
    def __init__(
        self,
        assistant: Assistant,
        feedback: FeedbackLog,
        ingest: Callable[[Callable[[int, int], None]], str],
        curator_password: str | None,
    ):
        self.assistant = assistant
        self.feedback = feedback
        self.ingest_fn = ingest
        self.password = curator_password
        self._ingest_lock = threading.Lock()

    # -- chat ---------------------------------------------------------------------------------
    def respond(self, message: str, history: list, turns: list):
        history = list(history or [])
        turns = list(turns or [])
        question = clean(message)
        if not question:
            return history, "", gr.skip(), turns
        if len(question) > MAX_QUESTION:
            gr.Warning(f"Je vraag is te lang. Houd het bij hooguit {MAX_QUESTION} tekens.")
        previous = [t["question"] for t in turns][-1:]
        try:
            answer = self.assistant.ask(question, history=previous)
        except AssistantError as exc:
            history += [
                {"role": "user", "content": html.escape(question[:MAX_QUESTION])},
                {"role": "assistant", "content": ERROR_MESSAGE.format(detail=str(exc))},
            ]
            return history, "", gr.skip(), turns
        self._log(answer, "chat")
        history += [
            {"role": "user", "content": html.escape(question[:MAX_QUESTION])},
            {"role": "assistant", "content": display_answer(answer)},
        ]
        turns.append(
            dataclasses.asdict(Turn(question, answer.kind, [s.id for s in answer.sources]))
        )
        return history, "", sources_html(answer.sources), turns

    def like(self, turns: list, comment: str, data: gr.LikeData):
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn_no = int(index) // 2
        if not turns or turn_no >= len(turns):
            return gr.skip()
        turn = turns[turn_no]
        liked = data.liked is True or data.liked == "Like"
        self.feedback.record_feedback(
            turn["question"], turn["kind"], turn["sources"], liked, comment or ""
        )
        gr.Info("Dank je wel voor je beoordeling.")
        return ""

    def _log(self, answer: Answer, channel: str) -> None:
        try:
            self.feedback.record_question(
                answer.question, answer.kind, [s.id for s in answer.sources], channel
            )
        except Exception:  # noqa: BLE001 - logging must never cost the user an answer
            log.exception("could not record the question")

    # -- helpdesk -----------------------------------------------------------------------------
    def draft(self, text: str):
        if not clean(text):
            return "", "<p><em>Plak eerst een vraag of e-mail.</em></p>"
        try:
            draft = self.assistant.draft(text)
        except AssistantError as exc:
            return ERROR_MESSAGE.format(detail=str(exc)), ""
        return draft.text, sources_html(draft.sources)

    # -- API ----------------------------------------------------------------------------------
    # Both return JSON text, exactly the CLI's `--json` line. (gradio_client would take any
    # returned dict with a "path" key for a file to download, and sources carry "path".)
    def api_ask(self, question: str) -> str:
        """The CLI's JSON object for one question, as JSON text."""
        try:
            answer = self.assistant.ask(question or "")
        except AssistantError as exc:
            raise gr.Error(str(exc)) from exc
        self._log(answer, "api")
        return json.dumps(dataclasses.asdict(answer), ensure_ascii=False)

    def api_draft(self, text: str) -> str:
        """The helpdesk draft: {"draft", "kind", "sources"} as JSON text."""
        try:
            draft = self.assistant.draft(text or "")
        except AssistantError as exc:
            raise gr.Error(str(exc)) from exc
        out = {
            "draft": draft.text,
            "kind": draft.kind,
            "sources": [dataclasses.asdict(s) for s in draft.sources],
        }
        return json.dumps(out, ensure_ascii=False)

    # -- curators -----------------------------------------------------------------------------
    def _allowed(self, password: str) -> str | None:
        if not self.password:
            return CURATOR_DISABLED
        if not hmac.compare_digest((password or "").encode(), self.password.encode()):
            return CURATOR_WRONG
        return None

    def overview(self, password: str):
        refusal = self._allowed(password)
        if refusal:
            return refusal, [], [], []
        docs = [
            [d.title, TYPE_LABELS.get(d.type, d.type), d.chunks, d.ingested_at, d.path]
            for d in self.assistant.retriever.documents()
        ]
        unanswered = [[c.question, c.count, c.last] for c in self.feedback.unanswered()]
        disliked = [[c.question, c.count, c.last, c.comment] for c in self.feedback.disliked()]
        info = self.assistant.retriever.snapshot.info
        status = (
            f"Index: {len(docs)} documenten, laatste ingest {info.get('ingested_at', 'onbekend')}. "
            f"{len(unanswered)} onbeantwoorde vragen, {len(disliked)} negatief beoordeelde antwoorden."
        )
        return status, docs, unanswered, disliked

    def reingest(self, password: str, progress=gr.Progress()):
        refusal = self._allowed(password)
        if refusal:
            return refusal
        if not self._ingest_lock.acquire(blocking=False):
            return "Er loopt al een ingest. Wacht tot die klaar is."
        try:

            def step(done: int, total: int) -> None:
                progress((done, total), desc="Inbedden", unit="stukken")

            summary = self.ingest_fn(step)
            self.assistant.refresh()
            return f"Klaar: {summary}. De assistent gebruikt nu de nieuwe index."
        except CorpusError as exc:
            lines = "\n".join(f"- `{p}`" for p in exc.problems)
            return f"De corpus bevat fouten; de oude index blijft in gebruik.\n\n{lines}"
        except AssistantError as exc:
            return f"Ingest mislukt; de oude index blijft in gebruik. {exc}"
        finally:
            self._ingest_lock.release()

    # -- layout -------------------------------------------------------------------------------
    def build(self) -> gr.Blocks:
        with gr.Blocks(title=TITLE) as demo:
            gr.Markdown(f"# {TITLE}\n{INTRO}")
            with gr.Tabs():
                with gr.Tab("Chat", id="chat"):
                    turns = gr.State([])
                    chatbot = gr.Chatbot(
                        label="Gesprek",
                        height=480,
                        elem_id="gesprek",
                        placeholder="Stel hieronder je vraag over hechting.",
                        feedback_options=("Like", "Dislike"),
                        buttons=["copy"],
                    )
                    with gr.Row():
                        box = gr.Textbox(
                            label="Je vraag",
                            placeholder="Bijvoorbeeld: wat doet een vermijdend gehecht kind bij stress?",
                            scale=8,
                            max_lines=6,
                            elem_id="vraag",
                            autofocus=True,
                        )
                        send = gr.Button("Verstuur", variant="primary", scale=1, elem_id="verstuur")
                    gr.Examples(EXAMPLES, inputs=box, label="Voorbeeldvragen")
                    sources = gr.HTML(elem_id="bronnen")
                    comment = gr.Textbox(
                        label="Toelichting bij je duim omhoog of omlaag (optioneel, geen namen)",
                        max_lines=2,
                        elem_id="toelichting",
                    )
                    for trigger in (box.submit, send.click):
                        trigger(
                            self.respond,
                            [box, chatbot, turns],
                            [chatbot, box, sources, turns],
                            api_name="ui_respond",
                            api_visibility="private",
                        )
                    chatbot.like(
                        self.like,
                        [turns, comment],
                        [comment],
                        api_name="ui_like",
                        api_visibility="private",
                    )

                with gr.Tab("Helpdesk", id="helpdesk"):
                    gr.Markdown(
                        "Plak een binnengekomen vraag of e-mail. Je krijgt een concept om te controleren."
                    )
                    mail = gr.Textbox(label="Vraag of e-mail", lines=8, elem_id="mail")
                    make = gr.Button("Maak concept", variant="primary", elem_id="maak-concept")
                    draft = gr.Textbox(
                        label="Concept-antwoord", lines=16, buttons=["copy"], elem_id="concept"
                    )
                    draft_sources = gr.HTML(elem_id="concept-bronnen")
                    make.click(
                        self.draft,
                        [mail],
                        [draft, draft_sources],
                        api_name="ui_draft",
                        api_visibility="private",
                    )

                with gr.Tab("Redactie", id="redactie"):
                    gr.Markdown(
                        "Voor de redactie: overzicht van de index en van vragen die de assistent niet kon beantwoorden."
                    )
                    password = gr.Textbox(label="Wachtwoord", type="password", elem_id="wachtwoord")
                    with gr.Row():
                        show = gr.Button("Toon overzicht", elem_id="toon-overzicht")
                        rebuild = gr.Button(
                            "Controleer en her-indexeer", variant="primary", elem_id="herindexeer"
                        )
                    status = gr.Markdown(elem_id="redactie-status")
                    docs = gr.Dataframe(
                        headers=["titel", "type", "stukken", "geïndexeerd", "bestand"],
                        label="Documenten in de index",
                        interactive=False,
                    )
                    unanswered = gr.Dataframe(
                        headers=["vraag", "aantal", "laatst"],
                        label="Niet beantwoorde vragen",
                        interactive=False,
                        elem_id="onbeantwoord",
                    )
                    disliked = gr.Dataframe(
                        headers=["vraag", "aantal", "laatst", "toelichting"],
                        label="Negatief beoordeelde antwoorden",
                        interactive=False,
                        elem_id="afgekeurd",
                    )
                    show.click(
                        self.overview,
                        [password],
                        [status, docs, unanswered, disliked],
                        api_name="ui_overview",
                        api_visibility="private",
                    )
                    rebuild.click(
                        self.reingest,
                        [password],
                        [status],
                        api_name="ui_reingest",
                        api_visibility="private",
                    )

            gr.api(self.api_ask, api_name="ask")
            gr.api(self.api_draft, api_name="draft")
        return demo
