"""The curator view, at `/redactie`: the index, unanswered questions, down-rated answers.

Protected by the curator password, with a growing lockout per client against guessing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import gradio as gr

from assistant.compose import TYPE_LABELS
from assistant.contact import parse_contact, placeholder_warning
from assistant.errors import AssistantError, CorpusError
from assistant.feedback import FeedbackLog
from assistant.pipeline import Assistant

from . import render
from .shared import TITLE, client_key

log = logging.getLogger(__name__)

LOCAL_TIME = ZoneInfo("Europe/Amsterdam")
DISABLED = "De redactiefuncties staan uit. Stel een wachtwoord in met HECHTING_CURATOR_PASSWORD."
WRONG = "Onjuist wachtwoord. Er is niets getoond of gewijzigd."
LOCKED = (
    "Te veel onjuiste pogingen. Probeer het over {seconds} seconden opnieuw. "
    "Er is niets getoond of gewijzigd."
)
BUSY = "Er wordt al opnieuw geïndexeerd. Wacht tot dat klaar is."
CHANNELS = {"chat": "chat", "helpdesk": "helpdesk (e-mail)", "api": "API"}


class LoginGuard:
    """Failed password tries per client: a few are free, then a lockout that doubles each time.

    Clients are identified by address but logged only as a short keyed hash, never the
    password and never the address itself.
    """

    def __init__(
        self,
        free_tries: int = 3,
        first_lockout: float = 2.0,
        max_lockout: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.free_tries = free_tries
        self.first_lockout = first_lockout
        self.max_lockout = max_lockout
        self.clock = clock
        self._failures: dict[str, int] = {}
        self._locked_until: dict[str, float] = {}
        self._lock = threading.Lock()
        self._salt = os.urandom(16)

    def pseudonym(self, client: str) -> str:
        return hashlib.sha256(self._salt + client.encode()).hexdigest()[:10]

    def wait_seconds(self, client: str) -> float:
        """Seconds until this client may try again (0 when it may try now)."""
        with self._lock:
            return max(0.0, self._locked_until.get(client, 0.0) - self.clock())

    def failed(self, client: str) -> float:
        """Record a failed try; returns the lockout it earned (0 for the first free tries)."""
        with self._lock:
            n = self._failures.get(client, 0) + 1
            self._failures[client] = n
            lockout = 0.0
            if n >= self.free_tries:
                lockout = min(self.max_lockout, self.first_lockout * 2 ** (n - self.free_tries))
                self._locked_until[client] = self.clock() + lockout
            if len(self._failures) > 10_000:  # bound memory under a spray of addresses
                self._failures.pop(next(iter(self._failures)))
        log.warning(
            "curator login failed: client %s, %d failed tries, locked for %.0f s",
            self.pseudonym(client),
            n,
            lockout,
        )
        return lockout

    def succeeded(self, client: str) -> None:
        with self._lock:
            self._failures.pop(client, None)
            self._locked_until.pop(client, None)


@dataclass
class Overview:
    status: str
    documents: str
    unanswered: str
    disliked: str


def local_time(iso: str) -> str:
    """An ISO-8601 UTC time as curators read it: Europe/Amsterdam, day-month-year hour:minute."""
    if not iso:
        return ""
    try:
        moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return iso
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TIME).strftime("%d-%m-%Y %H:%M")


def table(
    caption: str,
    headers: list[str],
    rows: list[list[str]],
    empty: str,
    elem_id: str,
    widths: list[int] | None = None,
) -> str:
    """A table that fits its container; on a phone each row becomes a card (see CSS)."""
    if not rows:
        return (
            f"<div id='{elem_id}'><p class='tabel-kop'><strong>{render.esc(caption)}</strong></p>"
            f"<p>{render.esc(empty)}</p></div>"
        )
    head = "".join(f"<th scope='col'>{render.esc(h)}</th>" for h in headers)
    cols = "".join(f"<col style='width:{w}%'>" for w in widths or [])
    body = "".join(
        "<tr>"
        + "".join(
            f"<td data-kop='{render.esc(h)}'>{render.esc(str(v))}</td>"
            for h, v in zip(headers, row, strict=False)
        )
        + "</tr>"
        for row in rows
    )
    return (
        f"<div id='{elem_id}'><table class='tabel'><caption>{render.esc(caption)}</caption>"
        f"<colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>"
    )


class CuratorPage:
    def __init__(
        self,
        assistant: Assistant,
        feedback: FeedbackLog,
        ingest: Callable[[Callable[[int, int], None]], object],
        password: str | None,
        guard: LoginGuard | None = None,
    ):
        self.assistant = assistant
        self.feedback = feedback
        self.ingest_fn = ingest
        self.password = password
        self.guard = guard or LoginGuard()
        self._ingest_lock = threading.Lock()

    def refusal(self, password: str, client: str) -> str | None:
        """None when the password is right; otherwise the Dutch reason."""
        if not self.password:
            return DISABLED
        wait = self.guard.wait_seconds(client)
        if wait > 0:
            return LOCKED.format(seconds=int(wait) + 1)
        if not hmac.compare_digest((password or "").encode(), self.password.encode()):
            lockout = self.guard.failed(client)
            return LOCKED.format(seconds=int(lockout) + 1) if lockout else WRONG
        self.guard.succeeded(client)
        return None

    # -- what curators see ----------------------------------------------------------------------
    def _contact_warning(self) -> str:
        """The same warning as `ingest.py --check` while the team's contact page still holds
        [NOG INVULLEN] values (users then see the team's name without a number)."""
        doc = self.assistant.retriever.document(self.assistant.contact_id)
        if doc is None:
            return ""
        info = parse_contact(doc.text, doc.title)
        return placeholder_warning(info, getattr(doc, "path", "") or "de contactpagina") or ""

    def overview(self, status: str = "") -> Overview:
        documents = self.assistant.retriever.documents()
        docs = [
            [d.title, TYPE_LABELS.get(d.type, d.type), d.chunks, local_time(d.ingested_at), d.path]
            for d in documents
        ]
        unanswered = [
            [
                c.question,
                CHANNELS.get(getattr(c, "channel", "chat"), c.channel),
                c.count,
                local_time(c.last),
            ]
            for c in self.feedback.unanswered()
        ]
        disliked = [
            [
                r.question,
                plain(r.answer) or "(niet bewaard)",
                ", ".join(r.sources),
                r.comment,
                local_time(r.given_at),
            ]
            for r in self.feedback.disliked()
        ]
        info = self.assistant.retriever.snapshot.info
        when = local_time(str(info.get("ingested_at", ""))) or "onbekend"
        summary = (
            f"De index bevat {len(docs)} documenten (bijgewerkt op {when}). "
            f"{_count(len(unanswered), 'vraag', 'vragen')} zonder antwoord, "
            f"{_count(len(disliked), 'antwoord', 'antwoorden')} met een duim omlaag."
        )
        warning = self._contact_warning()
        return Overview(
            "\n\n".join(x for x in (status, warning, summary) if x),
            table(
                "Documenten in de index",
                ["titel", "type", "stukken", "geïndexeerd", "bestand"],
                docs,
                "De index is leeg.",
                "documenten",
                [30, 12, 9, 19, 30],
            ),
            table(
                "Vragen zonder antwoord",
                ["vraag", "kanaal", "aantal", "laatst"],
                unanswered,
                "Er zijn geen vragen zonder antwoord.",
                "onbeantwoord-tabel",
                [55, 15, 10, 20],
            ),
            table(
                "Antwoorden met een duim omlaag",
                ["vraag", "gegeven antwoord", "bronnen", "toelichting", "wanneer"],
                disliked,
                "Er zijn geen negatief beoordeelde antwoorden.",
                "afgekeurd-tabel",
                [20, 42, 12, 14, 12],
            ),
        )

    def show(self, password: str, request: gr.Request):
        refusal = self.refusal(password, client_key(request))
        if refusal:
            return refusal, "", "", ""
        o = self.overview()
        return o.status, o.documents, o.unanswered, o.disliked

    def reingest(self, password: str, request: gr.Request, progress=gr.Progress()):
        refusal = self.refusal(password, client_key(request))
        if refusal:
            return refusal, gr.skip(), gr.skip(), gr.skip()
        if not self._ingest_lock.acquire(blocking=False):
            return BUSY, gr.skip(), gr.skip(), gr.skip()
        try:

            def step(done: int, total: int) -> None:
                progress((done, total), desc="Bezig met indexeren", unit="stukken")

            report = self.ingest_fn(step)
            self.assistant.refresh()
            status = index_status(report)
        except CorpusError as exc:
            lines = "\n".join(f"- `{p}`" for p in exc.problems)
            status = f"De corpus bevat fouten; de oude index blijft in gebruik.\n\n{lines}"
        except AssistantError as exc:
            log.error("re-index failed: %s: %s %s", type(exc).__name__, exc, exc.details)
            status = f"Her-indexeren is mislukt; de oude index blijft in gebruik. {exc}"
        finally:
            self._ingest_lock.release()
        o = self.overview(status)
        return o.status, o.documents, o.unanswered, o.disliked

    def build(self) -> None:
        gr.HTML(
            f"<header class='kop'><h1>{TITLE}: redactie</h1><p>Overzicht van de index, van "
            "vragen zonder antwoord en van antwoorden met een duim omlaag.</p></header>"
        )
        password = gr.Textbox(label="Wachtwoord", type="password", elem_id="wachtwoord")
        with gr.Row():
            # Looking is what curators do most; re-indexing is the heavier, rarer action.
            show = gr.Button(
                "Toon overzicht", variant="primary", elem_id="toon-overzicht", min_width=140
            )
            rebuild = gr.Button(
                "Controleer en her-indexeer",
                variant="secondary",
                elem_id="herindexeer",
                min_width=140,
            )
        status = gr.Markdown(elem_id="redactie-status")
        unanswered = gr.HTML(elem_id="onbeantwoord", apply_default_css=False)
        disliked = gr.HTML(elem_id="afgekeurd", apply_default_css=False)
        docs = gr.HTML(elem_id="index-documenten", apply_default_css=False)
        outputs = [status, docs, unanswered, disliked]
        show.click(self.show, [password], outputs, api_visibility="private")
        password.submit(self.show, [password], outputs, api_visibility="private")
        rebuild.click(self.reingest, [password], outputs, api_visibility="private")


def index_status(report) -> str:
    """A plain Dutch sentence about what a re-index did."""
    counts = [
        (len(getattr(report, "added", [])), "toegevoegd"),
        (len(getattr(report, "changed", [])), "gewijzigd"),
        (len(getattr(report, "removed", [])), "verwijderd"),
    ]
    parts = [f"{n} {'document' if n == 1 else 'documenten'} {what}" for n, what in counts if n]
    if not parts:
        return "De index is bijgewerkt: er was niets gewijzigd."
    return "De index is bijgewerkt: " + ", ".join(parts) + "."


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def plain(markdown: str) -> str:
    """An answer as text: bold markers removed."""
    return re.sub(r"\*\*(.+?)\*\*", r"\1", markdown or "")
