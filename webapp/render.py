"""HTML for answers, sources, contact lines and the urgent banner, built from structured fields.

Everything here escapes its input: corpus text and, above all, what the user typed. The user's
own text is shown as plain text (no Markdown, no links, no images).
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

from assistant.compose import (
    CONVERSATION,
    SOURCES_HEADING,
    SPECIFIC_CLIENT,
    SPECIFIC_FAMILY,
    TYPE_LABELS,
)
from assistant.contact import NO_CONTACT_DETAILS, ContactInfo

# Phone numbers in referral and contact text: the short emergency numbers and Dutch numbers
# with 10 digits (0800/0900 numbers may be shorter). Not part of a web address ("113.nl").
PHONE = re.compile(
    r"(?<![\w./-])(?:112|113|0[89]00[\s-]?\d{4,7}|0(?:[\s-]?\d){9}|\+31(?:[\s-]?\d){9})"
    r"(?![\w-]|\.\w)"
)
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
_CITATION = re.compile(r"\[(\d{1,2})\]")

WARNING_ICON = (
    "<svg aria-hidden='true' focusable='false' width='22' height='22' viewBox='0 0 24 24'>"
    "<path fill='currentColor' d='M12 2 1 21h22L12 2zm1 15h-2v2h2v-2zm0-8h-2v6h2V9z'/></svg>"
)
THUMB_UP = (
    "<svg aria-hidden='true' focusable='false' width='18' height='18' viewBox='0 0 24 24'>"
    "<path fill='currentColor' d='M2 21h4V9H2v12zm20-11a2 2 0 0 0-2-2h-6.3l1-4.6v-.3a1.5 1.5 0 "
    "0 0-.5-1.1L13.2 1 6.6 7.6A2 2 0 0 0 6 9v10a2 2 0 0 0 2 2h9a2 2 0 0 0 1.8-1.2l3-7.1c.1-.2.2"
    "-.5.2-.7v-2z'/></svg>"
)
THUMB_DOWN = THUMB_UP.replace("<path", "<path transform='rotate(180 12 12)'")


def esc(text: str) -> str:
    return html.escape(text or "", quote=True)


def user_text(text: str) -> str:
    """What the user typed, as text: escaped, line breaks kept, nothing rendered."""
    return esc(text).replace("\n", "<br>")


def phone_links(escaped: str) -> str:
    """Turn phone numbers in already-escaped text into tel: links."""

    def link(m: re.Match) -> str:
        digits = re.sub(r"[^\d+]", "", m.group(0))
        return f"<a href='tel:{digits}'>{m.group(0)}</a>"

    return PHONE.sub(link, escaped)


def markdown_lite(text: str, cite_prefix: str | None = None, phones: bool = False) -> str:
    """The few Markdown features composed answers use: paragraphs and bold; citations as links.

    Headings, lists and raw HTML are not rendered: a corpus heading shows at text size.
    """
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    out = []
    for p in paragraphs:
        h = esc(p)
        h = _BOLD.sub(r"<strong>\1</strong>", h)
        if phones:
            h = phone_links(h)
        if cite_prefix is not None:
            h = _CITATION.sub(
                lambda m: (
                    f"<a class='bronlink' href='#bron-{cite_prefix}-{m.group(1)}' "
                    f"data-bron='{cite_prefix}-{m.group(1)}' "
                    f"aria-label='bron {m.group(1)}'>[{m.group(1)}]</a>"
                ),
                h,
            )
        out.append(f"<p>{h.replace(chr(10), '<br>')}</p>")
    return "".join(out)


# -- answers ---------------------------------------------------------------------------------
def answer_body(answer) -> str:
    """The cited statements only: `body` when the Answer has it, else taken from the Markdown."""
    body = getattr(answer, "body", None)
    if body:
        return body
    text = (getattr(answer, "answer", "") or "").split("\n\n---\n\n")[0]
    kept = [p for p in text.split("\n\n") if not p.startswith(SOURCES_HEADING)]
    return "\n\n".join(kept)


def advice(answer) -> str:
    """The advice for a question about one person ("Bespreek de situatie ..."), or ""."""
    text = getattr(answer, "answer", "") or ""
    return next((a for a in (SPECIFIC_CLIENT, SPECIFIC_FAMILY) if a in text), "")


def asks_for_people(answer) -> bool:
    """A reply to "wie ben jij?" or "daar heb ik niks aan": the way to a person matters most."""
    text = getattr(answer, "answer", "") or ""
    return getattr(answer, "kind", "") == "conversation" and any(
        CONVERSATION[k] in text for k in ("over_assistent", "ontevreden")
    )


def about_a_client(answer) -> bool:
    flag = getattr(answer, "specific_client", None)
    if flag is not None:
        return bool(flag)
    return bool(advice(answer))


def contact_short_html(contact: ContactInfo) -> str:
    team = esc(contact.team)
    ways = []
    if contact.phone:
        ways.append(f"bel <a href='{esc(contact.phone_uri)}'>{esc(contact.phone)}</a>")
    if contact.email:
        ways.append(f"mail <a href='{esc(contact.email_uri)}'>{esc(contact.email)}</a>")
    line = f"Vragen? Neem contact op met {team}"
    line = f"{line}: {' of '.join(ways)}." if ways else f"{line}."
    return f"<p class='contact-kort'>{line}</p>"


def contact_full_html(contact: ContactInfo) -> str:
    parts = [f"<div class='contact-blok'><p><strong>Contact met {esc(contact.team)}</strong></p>"]
    if contact.intro:
        parts.append(f"<p>{esc(' '.join(contact.intro))}</p>")
    items = []
    if contact.phone:
        items.append(
            f"<li>Telefoon: <a href='{esc(contact.phone_uri)}'>{esc(contact.phone)}</a></li>"
        )
    if contact.email:
        items.append(
            f"<li>E-mail: <a href='{esc(contact.email_uri)}'>{esc(contact.email)}</a></li>"
        )
    for link in contact.links:
        if link.lower().startswith(("http://", "https://")):
            items.append(
                f"<li><a href='{esc(link)}' target='_blank' rel='noopener'>{esc(link)}</a></li>"
            )
        else:
            items.append(f"<li>{esc(link)}</li>")
    if items:
        parts.append(f"<ul>{''.join(items)}</ul>")
    else:
        parts.append(f"<p>{esc(NO_CONTACT_DETAILS.format(team=contact.team))}</p>")
    parts.append("</div>")
    return "".join(parts)


def sources_html(sources: Iterable, prefix: str, show_path: bool = False) -> str:
    """One list of the cited sources: title and Dutch type; the passage opens on click."""
    sources = list(sources)
    if not sources:
        return ""
    parts = ["<div class='bronnen'><p class='bronnen-kop'>Bronnen</p>"]
    for s in sources:
        n, title, kind = _get(s, "n"), _get(s, "title"), _get(s, "type")
        url, passage, path = _get(s, "url"), _get(s, "passage"), _get(s, "path")
        label = esc(TYPE_LABELS.get(kind, kind or ""))
        link = (
            f"<p><a href='{esc(url)}' target='_blank' rel='noopener'>Open de bron "
            f"<span class='sr-only'>(opent in een nieuw venster)</span></a></p>"
            if url and str(url).lower().startswith(("http://", "https://"))
            else ""
        )
        where = f"<p class='pad'>{esc(path)}</p>" if show_path and path else ""
        # "Artikel: Stef ..." says its type already; "(artikel)" after it would say it twice.
        named = label and str(title or "").lower().startswith(label.lower())
        kind_html = f" <span class='type'>({label})</span>" if label and not named else ""
        quote = _BOLD.sub(r"<strong>\1</strong>", esc(passage))  # referral lines open in bold
        parts.append(
            f"<details class='bron' id='bron-{prefix}-{n}' data-source='{n}'>"
            f"<summary>[{n}] {esc(title)}{kind_html}</summary>"
            f"<blockquote>{quote}</blockquote>{link}{where}</details>"
        )
    parts.append("</div>")
    return "".join(parts)


def _get(obj, name: str):
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


def urgent_banner_html(referrals: list[str]) -> str:
    """The red banner above the chat: referral lines first, numbers as tel: links."""
    if not referrals:
        return ""
    lines = "".join(f"<li>{phone_links(_strip_bold(esc(r)))}</li>" for r in referrals)
    return (
        "<div id='spoed' class='spoed' role='alert' tabindex='-1'>"
        f"<p class='spoed-kop'>{WARNING_ICON}<strong>Spoed: zorg eerst voor veiligheid en haal "
        f"direct hulp.</strong></p><ul>{lines}</ul></div>"
    )


def _strip_bold(escaped: str) -> str:
    return _BOLD.sub(r"\1", escaped)
