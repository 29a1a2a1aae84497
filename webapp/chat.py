"""The chat for caregivers, at `/`.

The conversation is one HTML element rendered from the turns kept in the session state, so
every answer is built from the Answer's fields (kind, body, sources, referral, contact) and
the user's own text is only ever shown as text.
"""

from __future__ import annotations

import dataclasses
import logging

import gradio as gr

from assistant.contact import without_placeholders
from assistant.errors import AssistantError
from assistant.feedback import FeedbackLog
from assistant.pipeline import MAX_QUESTION, Assistant, clean

from . import render
from .shared import TITLE, UNAVAILABLE, ContactBook

log = logging.getLogger(__name__)

INTRO = (
    "Stel een vraag over hechting bij mensen met een beperking. Het antwoord komt uit onze "
    "informatie en bronnen, met de bron erbij."
)
EXAMPLES = [
    "Wat is hechting?",
    "Mijn cliënt verhuist, wat betekent dat voor zijn hechting?",
    "Is er een app die helpt signalen te herkennen?",
    "Wat doet een vermijdend gehecht kind bij stress?",
]
EMPTY = "Stel hieronder je vraag over hechting. Het antwoord verschijnt hier."
SEARCHING = "Ik zoek het antwoord in onze informatie…"
THANKS_RATING = "Dank je wel voor je beoordeling."
THANKS_COMMENT = "Dank je wel voor je toelichting."
COMMENT_EMPTY = "Typ eerst een toelichting, of laat het veld leeg als je niets wilt toevoegen."
FEEDBACK_FAILED = "Je beoordeling kon niet worden opgeslagen. Probeer het later nog eens."

# Runs in the browser: citations open their source, thumbs and comments go to Python,
# and each new answer scrolls into view at its start, below the (pinned) urgent banner.
CONVERSATION_JS = """
element.addEventListener('click', (e) => {
  const thumb = e.target.closest('button[data-duim]');
  if (thumb) {
    // Keyboard users continue in the comment field that appears after a thumb.
    element.dataset.focusNa = 'toelichting-' + thumb.dataset.turn;
    trigger('rate', {turn: Number(thumb.dataset.turn), liked: thumb.dataset.duim === 'op'});
    return;
  }
  const send = e.target.closest('button[data-verstuur]');
  if (send) {
    const box = element.querySelector('#toelichting-' + send.dataset.verstuur);
    element.dataset.focusNa = 'vraag';  // on to the next question (the thanks is a status)
    trigger('comment', {turn: Number(send.dataset.verstuur), comment: box ? box.value : ''});
    return;
  }
  const cite = e.target.closest('a[data-bron]');
  if (cite) {
    e.preventDefault();
    const d = element.querySelector('#bron-' + cite.dataset.bron);
    if (d) { d.open = true; d.scrollIntoView({block: 'nearest'}); d.querySelector('summary').focus(); }
  }
});
watch('value', () => {
  const want = element.dataset.focusNa;
  const next = want && (want === 'vraag'
    ? document.querySelector('#vraag textarea')
    : element.querySelector('#' + want));
  if (next) { delete element.dataset.focusNa; next.focus(); }
  const root = element.querySelector('.gesprek');
  if (!root) return;
  const mark = root.dataset.nieuw || '';
  if (!mark || element.dataset.gezien === mark) return;
  element.dataset.gezien = mark;
  const target = element.querySelector('#beurt-' + root.dataset.beurt);
  const banner = element.querySelector('#spoed');
  if (!target) return;
  // The banner stays pinned at the top; the new turn starts just below it.
  target.style.scrollMarginTop = (banner ? banner.offsetHeight + 16 : 8) + 'px';
  target.scrollIntoView({block: 'start'});
  if (banner && root.dataset.spoed === '1' && banner.getBoundingClientRect().top < 0) {
    banner.scrollIntoView({block: 'start'});  // never leave the referral out of sight
  }
});
"""


@dataclasses.dataclass
class Turn:
    """One question and its answer, as the session keeps it (stored as a dict in gr.State)."""

    question: str
    kind: str = "wacht"  # answer | no_answer | urgent | conversation | fout | wacht
    body: str = ""
    sources: list = dataclasses.field(default_factory=list)
    referral: str = ""
    referral_lines: str = ""  # an urgent answer's referrals (in the banner while it is newest)
    full_contact: bool = False
    advice: str = ""  # about one person: discuss it with the team (or, for a parent, the carers)
    rating: str = ""  # "op" | "neer"
    feedback_id: int | None = None
    comment_sent: bool = False
    notice: str = ""  # a confirmation shown once


class ChatPage:
    def __init__(self, assistant: Assistant, feedback: FeedbackLog, contacts: ContactBook):
        self.assistant = assistant
        self.feedback = feedback
        self.contacts = contacts

    # -- rendering ----------------------------------------------------------------------------
    def render(self, turns: list[dict], scroll: bool = True) -> str:
        contact = self.contacts.current
        # The banner holds the referral lines of the newest answer while it is urgent; it is
        # sticky, so it must not stay over every later answer (half a phone screen).
        referrals: list[str] = []
        if turns and turns[-1]["kind"] == "urgent":
            referrals = [
                s["passage"]
                for s in turns[-1]["sources"]
                if s.get("passage") and s.get("type") == "spoed"
            ]
        parts = []
        if not turns:
            parts.append(f"<p class='leeg'>{render.esc(EMPTY)}</p>")
        for i, t in enumerate(turns):
            parts.append(self._turn_html(i, t, contact, latest=i == len(turns) - 1))
        last = len(turns) - 1
        mark = f"{last}-{turns[-1]['kind']}" if turns and scroll else ""
        urgent_now = bool(turns) and turns[-1]["kind"] == "urgent"
        return (
            f"<div class='gesprek' data-nieuw='{mark}' data-beurt='{last}' "
            f"data-spoed='{1 if urgent_now else 0}'>"
            f"{render.urgent_banner_html(referrals)}"
            f"<h2 class='sr-only'>Gesprek</h2>{''.join(parts)}</div>"
        )

    def _turn_html(self, i: int, t: dict, contact, latest: bool = True) -> str:
        question = f"<div class='vraag'><span class='sr-only'>Jouw vraag: </span>{render.user_text(t['question'])}</div>"
        if t["kind"] == "wacht":
            answer = f"<div class='antwoord' aria-busy='true'><p>{render.esc(SEARCHING)}</p></div>"
            return f"<section class='beurt' id='beurt-{i}' aria-label='Vraag {i + 1}'>{question}{answer}</section>"
        pieces = ["<span class='sr-only'>Antwoord: </span>"]
        if t["kind"] == "urgent" and not latest and t.get("referral_lines"):
            # An earlier urgent answer keeps its referral lines once the banner has moved on.
            pieces.append(
                f"<div class='verwijzing'>"
                f"{render.markdown_lite(t['referral_lines'], phones=True)}</div>"
            )
        if t.get("referral"):
            # A line on top of an ordinary answer (a general question on abuse, or an unsure
            # classifier): first and with its numbers, but calm; red is for urgent answers.
            pieces.append(
                f"<div class='verwijzing zacht'>"
                f"{render.markdown_lite(t['referral'], phones=True)}</div>"
            )
        pieces.append(
            render.markdown_lite(t["body"], cite_prefix=str(i), phones=t["kind"] == "urgent")
        )
        pieces.append(render.sources_html(t["sources"], str(i)))
        if t.get("advice"):
            pieces.append(f"<p class='advies'>{render.esc(t['advice'])}</p>")
        if t.get("full_contact"):
            pieces.append(render.contact_full_html(contact))
        else:
            pieces.append(render.contact_short_html(contact))
        if t["kind"] != "fout":
            pieces.append(self._feedback_html(i, t))
        return (
            f"<section class='beurt' id='beurt-{i}' aria-label='Vraag {i + 1}'>{question}"
            f"<div class='antwoord {render.esc(t['kind'])}' id='antwoord-{i}'>{''.join(pieces)}</div></section>"
        )

    @staticmethod
    def _feedback_html(i: int, t: dict) -> str:
        notice = (
            f"<p class='bevestiging' role='status'>{render.esc(t['notice'])}</p>"
            if t.get("notice")
            else ""
        )
        if not t.get("rating"):
            return (
                f"<div class='beoordeling' role='group' aria-label='Beoordeel dit antwoord'>"
                f"<span>Was dit antwoord nuttig?</span>"
                f"<span class='duimen'>"
                f"<button type='button' data-duim='op' data-turn='{i}'>{render.THUMB_UP}Ja</button>"
                f"<button type='button' data-duim='neer' data-turn='{i}'>{render.THUMB_DOWN}Nee</button>"
                f"</span></div>{notice}"
            )
        # What was given stays visible (a quiet line); the thank-you itself is shown once.
        given = "nuttig" if t["rating"] == "op" else "niet nuttig"
        done = f"Je hebt dit antwoord beoordeeld als {given}"
        if t.get("comment_sent"):
            return notice or f"<p class='beoordeeld'>{render.esc(done)}, met een toelichting.</p>"
        return (
            f"{notice or f'<p class=beoordeeld>{render.esc(done)}.</p>'}<div class='toelichting'>"
            f"<label for='toelichting-{i}'>Wil je iets toelichten? (optioneel, geen namen)</label>"
            f"<textarea id='toelichting-{i}' rows='2' maxlength='1000'></textarea>"
            f"<button type='button' data-verstuur='{i}'>Verstuur toelichting</button></div>"
        )

    # -- events ------------------------------------------------------------------------------
    def respond(self, message: str, turns: list):
        turns = [dict(t) for t in (turns or [])]
        question = clean(message)
        if not question:
            yield gr.skip(), gr.skip(), gr.skip()
            return
        previous = [t["question"] for t in turns if t["kind"] != "fout"][-1:]
        turns.append(dataclasses.asdict(Turn(question=question[:MAX_QUESTION])))
        yield self.render(turns), "", turns
        try:
            final = None
            for answer in self._answers(question, previous):
                final = answer
                turns[-1] = self._turn_of(answer, turns[-1])
                yield self.render(turns), "", turns
            if final is not None:
                self._log(final)
        except Exception as exc:  # noqa: BLE001 - the user gets a Dutch sentence, never a trace
            if isinstance(exc, AssistantError):
                log.error("chat answer failed: %s: %s %s", type(exc).__name__, exc, exc.details)
            else:
                log.exception("chat answer failed unexpectedly")
            turns[-1].update(kind="fout", body=UNAVAILABLE, sources=[], full_contact=True)
            yield self.render(turns), "", turns

    def _answers(self, question: str, previous: list[str]):
        stream = getattr(self.assistant, "stream", None)
        if callable(stream):
            yield from stream(question, history=previous)
        else:
            yield self.assistant.ask(question, history=previous)

    def _turn_of(self, answer, turn: dict) -> dict:
        self.contacts.update(getattr(answer, "contact", ""))
        kind = getattr(answer, "kind", "answer")
        body = render.answer_body(answer)
        if kind == "urgent":
            # The referral lines are in the banner; the answer keeps the lead and the advice.
            referral_texts = {s.passage for s in answer.sources if s.type == "spoed"}
            paragraphs = body.split("\n\n")
            moved = [p for p in paragraphs if any(r and r in p for r in referral_texts)]
            body = "\n\n".join(p for p in paragraphs if p not in moved)
            turn = {**turn, "referral_lines": "\n\n".join(moved)}
        return {
            **turn,
            "kind": kind,
            "body": without_placeholders(body),
            "sources": [dataclasses.asdict(s) for s in getattr(answer, "sources", [])],
            "referral": getattr(answer, "referral", "") or "",
            "full_contact": kind == "no_answer"
            or render.about_a_client(answer)
            or render.asks_for_people(answer),
            "advice": render.advice(answer),
        }

    def _log(self, answer) -> None:
        try:
            self.feedback.record_question(
                answer.question,
                answer.kind,
                [s.id for s in answer.sources],
                channel="chat",
                answer=render.answer_body(answer),
            )
        except Exception:  # noqa: BLE001 - logging must never cost the user an answer
            log.exception("could not record the question")

    def rate(self, turns: list, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        turns = [dict(t) for t in (turns or [])]
        i = _index(data.get("turn"), turns)
        if i is None or turns[i].get("rating") or turns[i]["kind"] in ("wacht", "fout"):
            return gr.skip(), gr.skip()
        t = turns[i]
        liked = bool(data.get("liked"))
        try:
            t["feedback_id"] = self.feedback.record_feedback(
                t["question"],
                t["kind"],
                [s["id"] for s in t["sources"]],
                liked,
                "",
                answer=t["body"],
            )
            t["rating"] = "op" if liked else "neer"
            t["notice"] = THANKS_RATING
        except Exception:  # noqa: BLE001
            log.exception("could not record feedback")
            t["notice"] = FEEDBACK_FAILED
        html = self.render(turns, scroll=False)
        t["notice"] = ""  # shown once
        return html, turns

    def comment(self, turns: list, evt: gr.EventData):
        data = getattr(evt, "_data", None) or {}
        turns = [dict(t) for t in (turns or [])]
        i = _index(data.get("turn"), turns)
        if i is None or not turns[i].get("rating") or turns[i].get("comment_sent"):
            return gr.skip(), gr.skip()
        t = turns[i]
        text = clean(str(data.get("comment") or ""))[:1000]
        if not text:
            t["notice"] = COMMENT_EMPTY
        else:
            try:
                if t.get("feedback_id") is not None:
                    self.feedback.add_comment(t["feedback_id"], text)
                t["comment_sent"] = True
                t["notice"] = THANKS_COMMENT
            except Exception:  # noqa: BLE001
                log.exception("could not record the comment")
                t["notice"] = FEEDBACK_FAILED
        html = self.render(turns, scroll=False)
        t["notice"] = ""
        return html, turns

    # -- layout -------------------------------------------------------------------------------
    def build(self) -> None:
        """The page's components and events, inside the current Blocks/route context."""
        gr.HTML(
            f"<header class='kop'><h1>{TITLE}</h1><p>{render.esc(INTRO)}</p></header>",
            elem_id="kop",
        )
        turns = gr.State([])
        conversation = gr.HTML(
            self.render([]),
            elem_id="gesprek",
            js_on_load=CONVERSATION_JS,
            apply_default_css=False,
        )
        # The input stays at the bottom of the screen while the conversation grows above it.
        with gr.Row(equal_height=True, elem_id="invoer"):
            box = gr.Textbox(
                label="Je vraag",
                placeholder="Bijvoorbeeld: wat doet een vermijdend gehecht kind bij stress?",
                scale=8,
                lines=1,
                max_lines=6,
                elem_id="vraag",
                autofocus=True,
            )
            send = gr.Button("Verstuur", variant="primary", scale=1, elem_id="verstuur")
        examples = gr.Examples(EXAMPLES, inputs=box, label="Voorbeeldvragen")
        # An example question is asked as soon as it is chosen, as if typed and sent.
        for trigger in (box.submit, send.click, examples.load_input_event.then):
            trigger(
                self.respond,
                [box, turns],
                [conversation, box, turns],
                api_visibility="private",
                show_progress="hidden",
                concurrency_id="chat",
            )
        conversation.rate(
            self.rate,
            [turns],
            [conversation, turns],
            api_visibility="private",
            show_progress="hidden",
        )
        conversation.comment(
            self.comment,
            [turns],
            [conversation, turns],
            api_visibility="private",
            show_progress="hidden",
        )


def _index(value, turns: list) -> int | None:
    try:
        i = int(value)
    except (TypeError, ValueError):
        return None
    return i if 0 <= i < len(turns) else None
