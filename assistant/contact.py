"""The expertise team's contact details, read from the contact document in the corpus.

The contact page (corpus/contact/expertiseteam.md) is curated text: an intro and a list of
`- Label: value` lines. Values that still read `[NOG INVULLEN ...]` are placeholders; they are
never shown to users. Until a curator fills them in, the short line names the team only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PLACEHOLDER = re.compile(r"\[\s*NOG INVULLEN[^\]]*\]", re.IGNORECASE)
_ITEM = re.compile(r"^\s*[-*]\s*(?P<label>[^:]{1,40}):\s*(?P<value>.*\S)?\s*$")
_URL = re.compile(r"https?://[^\s<>(),\]]+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_CONTACT_PREFIX = re.compile(r"^\s*contact\s+met\s+", re.IGNORECASE)
_HEADING = re.compile(r"^\s*(#+\s*|\*\*)(?P<text>.*?)(\*\*)?\s*$")

# Which list label holds which value. Curators write these labels; lower case, no accents.
PHONE_LABELS = ("telefoon", "tel", "telefoonnummer", "bellen")
EMAIL_LABELS = ("e-mail", "email", "mail", "e-mailadres")
LINK_LABELS = ("social media", "website", "web", "links", "internet")

DEFAULT_TEAM = "het expertiseteam hechting"
# While every way to reach the team is still a placeholder.
NO_CONTACT_DETAILS = "Vraag je leidinggevende of je zorgaanbieder hoe je {team} bereikt."


@dataclass
class ContactInfo:
    """How to reach the expertise team; placeholder values are kept out of every text."""

    team: str = DEFAULT_TEAM
    phone: str = ""
    email: str = ""
    links: list[str] = field(default_factory=list)
    intro: list[str] = field(default_factory=list)  # the page's opening sentences
    placeholders: list[str] = field(default_factory=list)  # labels still to be filled in

    @property
    def has_placeholders(self) -> bool:
        return bool(self.placeholders)

    @property
    def phone_uri(self) -> str:
        """`tel:` target: digits only, a leading + kept."""
        digits = re.sub(r"[^\d+]", "", self.phone)
        return f"tel:{digits}" if digits else ""

    @property
    def email_uri(self) -> str:
        return f"mailto:{self.email}" if self.email else ""

    def short_text(self) -> str:
        """One line under every answer: the team, and its number and address once filled in."""
        ways = []
        if self.phone:
            ways.append(f"bel {self.phone}")
        if self.email:
            ways.append(f"mail {self.email}")
        line = f"Vragen? Neem contact op met {self.team}"
        return f"{line}: {' of '.join(ways)}." if ways else f"{line}."

    def full_text(self) -> str:
        """The whole block (refusals, questions about a client, drafts), without placeholders."""
        lines = [f"Contact met {self.team}", ""]
        if self.intro:
            lines += [" ".join(self.intro), ""]
        if self.phone:
            lines.append(f"- Telefoon: {self.phone}")
        if self.email:
            lines.append(f"- E-mail: {self.email}")
        for link in self.links:
            lines.append(f"- Online: {link}")
        if not (self.phone or self.email or self.links):
            lines.append(NO_CONTACT_DETAILS.format(team=self.team))
        return "\n".join(lines).strip()


def parse_contact(text: str, title: str = "") -> ContactInfo:
    """Parse the contact document's text (front matter removed) and its title.

    `text` may also be an Answer's `contact` field: the block the composer appends, which starts
    with the page title as a bold heading.
    """
    info = ContactInfo()
    heading = title
    intro: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line == "---":
            continue
        item = _ITEM.match(line)
        if item:
            _take(info, item.group("label").strip(), (item.group("value") or "").strip())
            continue
        m = _HEADING.match(line)
        if m and (line.startswith("#") or (line.startswith("**") and line.endswith("**"))):
            heading = heading or m.group("text").strip()
            continue
        intro.append(line)
    if heading:
        team = _CONTACT_PREFIX.sub("", heading).strip().rstrip(".")
        if team:
            info.team = team if team.lower().startswith(("het ", "de ")) else f"het {team}"
    # The opening question and the first sentence about reaching the team; the rest is
    # promotional text that every answer would repeat.
    info.intro = [PLACEHOLDER.sub("", s).strip() for s in intro[:1] if not PLACEHOLDER.search(s)]
    return info


def _take(info: ContactInfo, label: str, value: str) -> None:
    key = label.lower()
    if PLACEHOLDER.search(value) or not value:
        if any(key.startswith(k) for k in (*PHONE_LABELS, *EMAIL_LABELS, *LINK_LABELS)):
            info.placeholders.append(label)
        return
    if key in PHONE_LABELS:
        info.phone = value
    elif key in EMAIL_LABELS:
        found = _EMAIL.search(value)
        info.email = found.group(0) if found else value
    elif key in LINK_LABELS:
        info.links += _URL.findall(value) or [v.strip() for v in value.split(",") if v.strip()]


def without_placeholders(text: str) -> str:
    """Drop the lines that still hold a [NOG INVULLEN ...] placeholder."""
    return "\n".join(line for line in text.split("\n") if not PLACEHOLDER.search(line))


def placeholder_warning(info: ContactInfo, path: str) -> str | None:
    """The curator's warning for `ingest.py --check`, or None when everything is filled in."""
    if not info.has_placeholders:
        return None
    labels = ", ".join(info.placeholders)
    return (
        f"Let op: {path} bevat nog plaatshouders ([NOG INVULLEN]) bij: {labels}. "
        "Gebruikers zien daarom alleen de naam van het team, zonder telefoonnummer of e-mail. "
        "Vul de gegevens in en her-indexeer."
    )
