"""Pieces every page shares: Dutch texts, the style sheet, the team's contact details."""

from __future__ import annotations

import logging
import threading

from assistant.contact import ContactInfo, parse_contact

log = logging.getLogger(__name__)

TITLE = "Hechtingsassistent"
# Shown instead of any error detail; the details go to the log.
UNAVAILABLE = (
    "De assistent kan op dit moment niet in de informatie zoeken. Probeer het over een paar "
    "minuten opnieuw."
)
LANG = "nl"

# Contrast: every text/background pair below is at least 4.5:1 (WCAG AA).
CSS = """
:root, .dark {
  --hechting-accent: #1d4f91;        /* 8.6:1 on white */
  --hechting-accent-hover: #163d70;
  --hechting-muted: #4a4f57;         /* 8.2:1 on white */
  --hechting-urgent: #a4161a;        /* 7.0:1 with white */
}
.gradio-container {max-width: 900px !important; margin: auto; overflow: clip !important; font-family: system-ui, "DejaVu Sans", Arial, sans-serif !important;}
.gradio-container, .gradio-container * {font-family: system-ui, "DejaVu Sans", Arial, sans-serif;}
textarea::placeholder, input::placeholder {color: var(--hechting-muted) !important; opacity: 1 !important;}
button.primary, .primary > button, button.lg.primary, button.md.primary, button.sm.primary {
  background: var(--hechting-accent) !important; color: #fff !important;
  border-color: var(--hechting-accent) !important;}
button.primary:hover {background: var(--hechting-accent-hover) !important;}
button.secondary {color: #1f2328 !important;}
.gradio-container a {color: var(--hechting-accent);}
.gesprek a, .contact-blok a, .bronnen a {text-decoration: underline;}
.gradio-container .or, .gradio-container .wrap .or, [data-testid="block-label"], .upload-text
  {color: var(--hechting-muted) !important; opacity: 1 !important;}
.gradio-container :focus-visible, .gesprek :focus-visible {
  outline: 3px solid #111 !important; outline-offset: 2px !important;
  box-shadow: 0 0 0 5px #fff !important;}
.tab-wrapper button[aria-selected="true"], button[role="tab"][aria-selected="true"] {
  color: var(--hechting-accent) !important; border-color: var(--hechting-accent) !important;}
.sr-only {position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0,0,0,0); white-space: nowrap; border: 0;}
footer, .nav-holder {display: none !important;}
.kop h1 {font-size: 1.6rem; margin: 0 0 .25rem 0;}
.kop p {margin: 0; color: var(--hechting-muted);}

/* the conversation */
.gesprek {font-size: 1rem; line-height: 1.5;}
.gesprek .leeg {color: var(--hechting-muted);}
.beurt {margin: 0 0 1.25rem 0; scroll-margin-top: 8px;}
.vraag {background: #eef2f7; border-radius: 10px; padding: .5rem .9rem; margin: 0 0 .5rem auto;
  max-width: 85%; width: fit-content; white-space: pre-wrap; overflow-wrap: anywhere;}
.vraag p {margin: 0;}
.antwoord {border: 1px solid #c9ced6; border-radius: 10px; padding: .6rem .9rem; overflow-wrap: anywhere;}
.antwoord p {margin: .4rem 0;}
.antwoord strong {font-weight: 700;}
.antwoord.urgent {border: 2px solid var(--hechting-urgent);}
.antwoord.fout {border-color: #8a6d00; background: #fffbe6;}
.verwijzing {border-left: 4px solid var(--hechting-urgent); background: #fdecec; padding: .4rem .7rem;
  margin: .4rem 0;}
.verwijzing.zacht {border-left-color: var(--hechting-accent); background: #eef2f7;}
#invoer {position: sticky; bottom: 0; z-index: 10; background: var(--background-fill-primary, #fff);
  padding: .4rem 0; box-shadow: 0 -2px 6px rgba(0, 0, 0, .08);}
.advies {border-left: 4px solid #5b6b7f; background: #f3f5f8; padding: .4rem .7rem; margin: .4rem 0;}
.bronlink {font-size: .85em; text-decoration: underline;}
.bronnen {margin-top: .6rem; border-top: 1px solid #dde1e6; padding-top: .4rem;}
.bronnen-kop {font-weight: 700; margin: .2rem 0 !important;}
details.bron {border: 1px solid #c9ced6; border-radius: 8px; padding: 4px 10px; margin: 6px 0;}
details.bron summary {cursor: pointer; font-weight: 600;}
details.bron .type {font-weight: 400; color: var(--hechting-muted);}
details.bron blockquote {margin: .4rem 0; padding-left: .7rem; border-left: 3px solid #c9ced6;}
details.bron .pad {font-size: .85em; color: var(--hechting-muted);}
.contact-kort {font-size: .95em; color: #1f2328; border-top: 1px solid #dde1e6; padding-top: .4rem;}
.contact-blok {border-top: 1px solid #dde1e6; margin-top: .5rem; padding-top: .3rem;}
.beoordeling {display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .4rem;}
.duimen {display: inline-flex; gap: .5rem; flex-wrap: nowrap;}  /* Ja and Nee stay together */
.beoordeling button, .toelichting button {display: inline-flex; gap: .3rem; align-items: center;
  border: 1px solid #6b7280; border-radius: 6px; background: #fff; color: #1f2328;
  padding: .25rem .6rem; cursor: pointer; font: inherit;}
.beoordeling button:hover, .toelichting button:hover {background: #eef2f7;}
.toelichting {margin-top: .4rem;}
.toelichting label {display: block; font-size: .95em;}
.toelichting textarea {width: 100%; box-sizing: border-box; min-height: 3.2em; font: inherit;
  border: 1px solid #6b7280; border-radius: 6px; padding: .3rem .5rem; margin: .25rem 0;}
.bevestiging {color: #14532d; font-weight: 600; animation: verdwijn 5s forwards;}
.beoordeeld {color: var(--hechting-muted); font-size: 0.9em; margin: 0.25em 0;}
/* disappears at once (no fading text with too little contrast) */
@keyframes verdwijn {0%, 99% {visibility: visible;} 100% {visibility: hidden;}}
.spoed {background: var(--hechting-urgent); color: #fff; border-radius: 10px; padding: .7rem 1rem;
  margin: 0 0 1rem 0; scroll-margin-top: 8px; position: sticky; top: 0; z-index: 5;}
.spoed a {color: #fff !important; font-weight: 700; text-decoration: underline;}
.spoed-kop {display: flex; gap: .5rem; align-items: center; margin: 0 0 .3rem 0;}
.spoed ul {margin: 0; padding-left: 1.2rem;}
.spoed li {margin: .25rem 0;}

/* curator tables: fit the width, stack into cards on a phone */
.tabel {width: 100%; border-collapse: collapse; table-layout: fixed; font-size: .95em;}
.tabel th, .tabel td {border-bottom: 1px solid #dde1e6; padding: .35rem .4rem; text-align: left;
  vertical-align: top; overflow-wrap: anywhere;}
.tabel caption {text-align: left; font-weight: 700; padding: .3rem 0;}
@media (max-width: 640px) {
  .tabel, .tabel tbody, .tabel tr, .tabel td {display: block; width: 100%;}
  .tabel thead {position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0,0,0,0);}
  .tabel caption {display: block;}
  .tabel tr {border: 1px solid #c9ced6; border-radius: 8px; margin: .5rem 0; padding: .3rem .5rem;
    box-sizing: border-box;}
  .tabel td {border: 0; padding: .15rem 0; box-sizing: border-box;}
  .tabel td::before {content: attr(data-kop) ": "; font-weight: 700;}
}
@media (max-width: 640px) {
  .gradio-container {padding: 0 6px !important;}
  .vraag {max-width: 100%;}
}
"""


class ContactBook:
    """The team's contact details as last read from the index.

    Kept so that an error message can still name the team when the store is down.
    """

    def __init__(self, contact: ContactInfo | None = None):
        self._contact = contact or ContactInfo()
        self._lock = threading.Lock()

    @property
    def current(self) -> ContactInfo:
        return self._contact

    def update(self, block: str) -> ContactInfo:
        """Parse an Answer's contact block; keep the last good one if it is empty."""
        if block and block.strip():
            try:
                info = parse_contact(block)
            except Exception:  # noqa: BLE001 - a malformed block must not cost an answer
                log.exception("could not parse the contact block")
                return self._contact
            with self._lock:
                self._contact = info
        return self._contact


def client_key(request) -> str:
    """The client's address for per-client limits (never logged as such)."""
    client = getattr(request, "client", None)
    host = getattr(client, "host", None) if client is not None else None
    return str(host or "onbekend")
