"""Read an incoming e-mail as a person does: who writes, how, and what they ask.

The message itself is parsed by the standard library (`email`, policy.default: MIME parts,
quoted-printable, charsets). Earlier messages quoted below a reply are cut off by the maintained
reply parser `mail-parser-reply` (Outlook "Van:/Verzonden:" blocks, English headers, separators)
plus the Dutch reply headers it misses: its Dutch pattern only knows "Op <datum> <naam> schreef:",
while Gmail, Thunderbird and Apple Mail write "Op <datum> schreef <naam> <adres>:" and
"... heeft <naam> het volgende geschreven:". Greeting and signature are found with the short,
closed lists of Dutch letter openings and closings below; the rest is the body.
"""

from __future__ import annotations

import email
import html
import importlib.util
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

from .text import STOPWORDS, fold, words

# -- the closed lists (each with its reason) --------------------------------------------------
# Dutch letter openings: a first line that starts with one of these is the greeting.
GREETINGS = (
    r"beste|geachte|hallo|hoi|hey|hee|dag|goedemorgen|goedemiddag|goedenavond|lieve|"
    r"hello|hi|l\.s\.|ls|aan"
)
# Dutch letter closings: the signature starts at the last of these near the end.
CLOSINGS = (
    r"met (vriendelijke|hartelijke|warme|beste) groet(en)?|vriendelijke groet(en)?|"
    r"hartelijke groet(en)?|hartelijk dank|groet(en|jes)?|gr\.?|mvg|m\.v\.g\.?|liefs|"
    r"hoogachtend|alvast (heel )?(hartelijk |erg |enorm )?(bedankt|dank)|bedankt|"
    r"dank (je|u|jullie)( wel)?|dankjewel|dankuwel|veel dank|dank alvast|met dank|"
    r"warme groet(en)?|thanks|thx|merci|kind regards|regards"
)
# Dutch reply headers that mail-parser-reply misses (see the module docstring).
DUTCH_REPLY_HEADER = re.compile(
    r"^[ \t>]*(?:Op\s[^\n]{0,160}?(?:\n[^\n]{0,120}?)?"
    r"(?:schreef|het volgende geschreven)[^\n]{0,160}?:[ \t]*$"
    r"|-{2,}\s*(?:Oorspronkelijk|Origineel|Doorgestuurd)\s+bericht\s*-{0,}.*$)",
    re.M | re.I,
)
# The register. The sender's way of addressing us decides: "u/uw" is formal; "jij/jou/jouw",
# "jullie" and an inverted "kun je / weet je" informal. A bare "je" is not counted: Dutch uses it
# for "one" ("hoe je een band opbouwt"). Without such pronouns the opening and closing decide.
FORMAL = {"u", "uw", "uwe"}
INFORMAL = {"jij", "jou", "jouw", "jullie", "julie"}
INFORMAL_INVERSION = re.compile(
    r"\b(kun|kan|weet|heb|ben|wil|zou|mag|ken|vind|denk|wist|had|kon|zie|snap) je\b"
)
FORMAL_LETTER = re.compile(
    r"^\s*(geachte|goedendag|hoogachtend|(met )?(vriendelijke|hartelijke) groet)"
    r"|^\s*(mevr\.?|mevrouw|dhr\.?|de heer|meneer)\s|^\s*beste (meneer|mevrouw|heer)\b",
    re.M,
)
INFORMAL_LETTER = re.compile(r"^\s*(hoi|hey|hee|hallo|hai|groetjes|groet|liefs|doei|xx)\b", re.M)
# Who writes, from the sender's self-description; the first matching role wins, most specific
# first (a grandparent also writes "mijn dochter"; a parent may mention the child's teacher).
ROLES: list[tuple[str, re.Pattern[str]]] = [
    ("pleegouder", re.compile(r"\bpleeg(moeder|vader|ouders?|gezin|kind|kinderen|zoon|dochter)\b")),
    (
        "familie",
        re.compile(
            r"\bklein(zoon|zoontje|dochter|dochtertje|kind|kinderen)\b|"
            r"\b(ik ben|als) (de |zijn |haar )?(oma|opa)\b|\b(oma|opa) van\b"
        ),
    ),
    (
        "ouder",
        re.compile(
            r"\b(mijn|onze|m'n|ons) (zoon|zoontje|dochter|dochtertje|kind|kinderen|kindje|"
            r"stief(zoon|dochter|kind)|adoptie(zoon|dochter|kind))\b|"
            r"\b(ik ben|als) (de )?(moeder|vader|ouder|mama|papa)\b"
        ),
    ),
    (
        "familie",
        re.compile(
            r"\b(mijn|onze|m'n) (broer|broertje|zus|zusje|zuster|neef|neefje|nicht|nichtje|oom|tante|moeder|"
            r"vader|schoonzoon|schoondochter|zwager|schoonzus|familielid)\b|"
            r"\b(zus|broer|tante|oom|nicht|neef) van\b"
        ),
    ),
    (
        "leerkracht",
        re.compile(
            r"\b(leerkracht|docent|onderwijsassistent|leerlingen|leerling|ib'er|"
            r"intern begeleider)\b|\bin mijn (klas|groep)\b"
        ),
    ),
    ("student", re.compile(r"\b(student|studente|scriptie|afstudeer\w*|ik studeer)\b")),
    (
        "professional",
        re.compile(
            r"\b(mijn|onze|m'n|een|de) (client|clienten|cliente|bewoner|bewoners|bewoonster|"
            r"pupil|pupillen|collega|collega's|jongere|jongeren|deelnemer)\b|"
            r"\bik (werk|ben werkzaam|begeleid)\b|\bop (de|mijn|onze) (groep|woongroep|afdeling)\b|"
            r"\b(ons|mijn) team\b|\b(begeleider|begeleidster|woonbegeleider|jobcoach|mentor|"
            r"gedragsdeskundige|orthopedagoog|psycholoog|verpleegkundige|verzorgende|groepsleider|"
            r"teamleider|zorgcoordinator|jeugdhulpverlener|pb'er|coach|maatschappelijk werker)\b"
        ),
    ),
]
# Roles that get the same advice as a parent, and those that work with the person.
FAMILY_ROLES = {"ouder", "pleegouder", "familie"}
# Requests without a question mark ("Ik zoek iets om te lezen over ..."): the Dutch frames that
# ask for information, and the verb-first form of a yes/no question ("kennen jullie ...").
REQUEST = re.compile(
    r"\b(ik|wij|we) (zoek|zoeken|ben op zoek|zijn op zoek)\b|"
    r"\bvra(ag|gen) (me|mij|ons|ik me|wij ons|we ons) (\w+ )?af\b|"
    r"\b(wil|willen|zou|zouden) (ik |we |wij )?(graag |ook |nog )*(iets |wat |meer )?"
    r"(weten|lezen|leren|informatie|tips|advies|horen|hebben) (over|hoe|wat|of|waarom|welke|wanneer)\b|"
    r"\b(wil|willen|zou|zouden) (ik |we |wij )?(graag |ook |nog )*(meer )?weten\b|"
    r"\b(ben|zijn) (erg |heel )?benieuwd\b|\b(heb|hebben) behoefte aan\b|"
    r"\b(mijn|onze) (hulp)?vraag is\b|"
    r":\s*(hoe|wat|waarom|welke|wanneer|waar|wie|kan|kun|moet|mag|is|zijn)\b|"
    r"^(en |ook |verder |daarnaast )?(graag (informatie|tips|advies)|(kunt|kent|weet|heeft|hebt|"
    r"bent|zou|wilt) u|(kun|ken|weet|heb|ben|zou|wil) je|(kunnen|kennen|weten|hebben|zijn|zouden|"
    r"willen) jullie|(is|zijn|bestaat|bestaan) er)\b"
)
# Sentences end at . ! ? unless the word before is one of these Dutch abbreviations.
ABBREVIATIONS = {
    "bijv",
    "bv",
    "o.a",
    "i.p.v",
    "ipv",
    "e.d",
    "enz",
    "etc",
    "mevr",
    "dhr",
    "nr",
    "tel",
    "ca",
    "evt",
    "m.b.t",
    "mbt",
    "t.a.v",
    "z.s.m",
    "a.u.b",
    "svp",
    "o.b.v",
    "n.a.v",
}
# Quoted speech ("ben jij er morgen ook?") is the story, not the sender asking or addressing us.
QUOTED_SPEECH = re.compile(r"\"[^\"\n]{0,200}\"|“[^”\n]{0,200}”|„[^”\"\n]{0,200}[”\"]")
_NAME_TOKEN = re.compile(r"^[A-ZÀ-Ý][a-zà-ÿ'-]+(-[A-ZÀ-Ý][a-zà-ÿ'-]+)?$|^([A-Z]\.)+$")
_TITLE_WORDS = {"mevr.", "mevr", "mevrouw", "mw.", "dhr.", "dhr", "meneer", "heer", "fam.", "fam"}
# Academic and professional titles before a name ("drs. J. Verbeek"): never part of a greeting.
_DEGREES = {"drs", "dr", "ir", "ing", "mr", "prof", "bc", "ds", "mgr"}
# How children and parents address teachers and nurses ("juf Anke"): greet by the name itself.
_FIRST_NAME_TITLES = {"juf", "juffrouw", "meester", "meneer-meester", "zuster", "broeder"}
_NAME_PARTICLES = {"van", "de", "der", "den", "ter", "ten", "te", "het", "'t", "vd", "v.d.", "la"}
_JOB_LINE = re.compile(r"\d|@|https?:|www\.|\b(tel|telefoon|mobiel|mob)\b", re.I)
PHONE = re.compile(r"(?<![\w-])(?:\+\d{2}[\s-]?|0)(?:\d[\s-]?){8,10}(?!\w)")
EMAIL_ADDRESS = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
POSTCODE = re.compile(r"\b\d{4}\s?[A-Z]{2}\b")
STREET = re.compile(
    r"\b[A-Z][\w'-]*(?:straat|laan|weg|plein|gracht|kade|singel|dreef|hof|pad|steeg|dijk|markt)"
    r"\s+\d+\s?[a-zA-Z]?\b"
)
URL = re.compile(r"https?://\S+|www\.\S+")
MAX_TEXT = 20000  # characters of message text read (a quoted history can be long)


@dataclass
class Email:
    greeting: str
    body: str
    signature: str
    sender_name: str  # the name to greet, "" when the sender gave none
    formal: bool
    role: str  # "ouder" | "familie" | "professional" | "onbekend"
    questions: list[str] = field(default_factory=list)
    context: str = ""  # the story around the questions
    leads: list[str] = field(default_factory=list)  # per question: the sentence it leans on
    subject: str = ""
    quoted: str = ""  # earlier messages quoted below the reply
    personal: list[str] = field(default_factory=list)  # strings that must never reach a reply

    @property
    def text(self) -> str:
        """Everything the sender wrote in this message (not the quoted history)."""
        return "\n\n".join(p for p in (self.greeting, self.body, self.signature) if p)


# -- reading ------------------------------------------------------------------------------
def read_email(raw: str | bytes) -> Email:
    """Parse plain text or a complete .eml source into an Email."""
    subject, from_name, from_header, text = "", "", "", raw
    if is_eml(raw):
        message = (
            email.message_from_bytes(raw, policy=policy.default)
            if isinstance(raw, bytes)
            else email.message_from_string(raw, policy=policy.default)
        )
        subject = str(message.get("Subject", "") or "")
        from_name = _display_name(message)
        from_header = str(message.get("From", "") or "")
        text = _body_text(message)
    elif isinstance(raw, bytes):
        text = raw.decode("utf-8", errors="replace")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")[:MAX_TEXT]
    reply, quoted = split_quoted(text)
    greeting, body, signature = split_parts(reply)
    name = signature_name(signature) or from_name
    # A closing in the body's last line ("Groet, Marja") leaves the name in the signature part.
    paragraphs = [_sentences(p) for p in re.split(r"\n\s*\n", body)]
    story = [x for p in paragraphs for x in p]
    paragraph_of = [n for n, p in enumerate(paragraphs) for _ in p]
    questions, context, leads = find_questions(story, paragraph_of)
    everything = f"{greeting}\n{body}\n{signature}"
    mail = Email(
        greeting=greeting,
        body=body,
        signature=signature,
        sender_name=name,
        formal=is_formal(everything),
        role=role_of(f"{body}\n{signature}"),
        questions=questions,
        context=context,
        leads=leads,
        subject=subject,
        quoted=quoted,
    )
    mail.personal = personal_data(f"{subject}\n{everything}\n{from_header}", name)
    return mail


_HEADER_LINE = re.compile(r"^[A-Za-z][A-Za-z0-9-]*:[ \t]")


def is_eml(raw: str | bytes) -> bool:
    """True for a message source: header lines, including From or MIME ones, before a blank line."""
    head = raw[:4000].decode("utf-8", "replace") if isinstance(raw, bytes) else raw[:4000]
    head = head.lstrip("\ufeff").replace("\r\n", "\n")
    block = head.split("\n\n", 1)[0].split("\n")
    if not block or not _HEADER_LINE.match(block[0]):
        return False
    names = {line.split(":", 1)[0].lower() for line in block if _HEADER_LINE.match(line)}
    return bool(names & {"from", "mime-version", "content-type", "message-id", "received"}) and (
        len(names) >= 2
    )


def _display_name(message: EmailMessage) -> str:
    try:
        addresses = message["From"].addresses if message["From"] else ()
    except (AttributeError, TypeError, IndexError):
        return ""
    for address in addresses:
        name = (address.display_name or "").strip().strip('"')
        last, comma, first = name.partition(",")
        if comma and first.strip():  # Outlook's "Yilmaz, Burak"
            name = f"{first.strip()} {last.strip()}"
        if name and looks_like_name(name):
            return name
    return ""


def _body_text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    try:
        content = part.get_content()
    except (LookupError, UnicodeError):  # an unknown charset: decode leniently
        payload = part.get_payload(decode=True) or b""
        content = payload.decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        content = html_to_text(content)
    return content


class _TextOfHtml(HTMLParser):
    BLOCKS = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "blockquote", "table"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("style", "script", "head"):
            self.skip += 1
        if tag == "blockquote":  # a quoted earlier message
            self.quote += 1
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("style", "script", "head"):
            self.skip = max(0, self.skip - 1)
        if tag == "blockquote":
            self.quote = max(0, self.quote - 1)
        if tag in self.BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append("> " + data if self.quote else data)


def html_to_text(source: str) -> str:
    parser = _TextOfHtml()
    parser.feed(source)
    text = html.unescape("".join(parser.parts))
    return re.sub(r"\n{3,}", "\n\n", text)


def split_quoted(text: str) -> tuple[str, str]:
    """(the new message, the quoted earlier messages)."""
    from mailparser_reply import EmailReplyParser

    reply = text
    m = DUTCH_REPLY_HEADER.search(reply)
    if m and m.start() > 0:
        reply = reply[: m.start()]
    parsed = EmailReplyParser(languages=["nl", "en"]).read(reply)
    if len(parsed.replies) > 1:
        # The parser strips every line; find its second reply's first header line in our text.
        header = parsed.replies[1].headers.split("\n", 1)[0].strip()
        at = reply.find(header) if header else -1
        if at > 0:
            reply = reply[:at]
    lines = reply.rstrip().split("\n")
    # A trailing block of '>' lines is a quote that no header announced.
    while lines and (lines[-1].lstrip().startswith(">") or not lines[-1].strip()):
        lines.pop()
    new = "\n".join(line for line in lines if not line.lstrip().startswith(">"))
    return new.strip(), text[len(reply) :].strip()


_GREETING = re.compile(rf"^\s*(?:{GREETINGS})\b", re.I)
# "Super bedankt alvast!", "Heel hartelijke groet": a closing may open with an intensifier.
_INTENSIFIER = r"(?:(?:super|heel|erg|enorm|echt|reuze|hartstikke)\s+){0,2}"
_CLOSING = re.compile(rf"^\s*{_INTENSIFIER}(?:{CLOSINGS})\b[\s,.!]*", re.I)
_INLINE_CLOSING = re.compile(rf"(?<=[.!?])\s+((?:{CLOSINGS})\b[\s,]+[^.!?]{{1,40}})$", re.I)


_RULE = re.compile(r"^\s*[-_=*~]{5,}\s*$")


def split_parts(text: str) -> tuple[str, str, str]:
    """(greeting, body, signature) of the new message."""
    lines = [line.rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    greeting = ""
    if lines and _GREETING.match(lines[0]):
        first = lines[0].strip()
        head, comma, rest = first.partition(",")
        whole = len(first) <= 60 and (first.endswith((",", ":", "!")) or not comma)
        if not whole and comma and rest.strip():  # "Hallo, ik heb een vraag ..." on one line
            greeting, lines[0] = head.strip() + ",", rest.strip()
        elif whole:
            greeting = first
            lines.pop(0)
    last_question = max((i for i, x in enumerate(lines) if "?" in x), default=-1)
    # A separator line after the last question starts a footer (a disclaimer, an office's
    # details): the signature is above it.
    footer = next((i for i in range(last_question + 1, len(lines)) if _RULE.match(lines[i])), None)
    if footer is not None:
        lines = lines[:footer]
    signature_at = None
    for i in range(len(lines) - 1, last_question, -1):
        line = lines[i].strip()
        after = [x for x in lines[i + 1 :] if x.strip()]
        if len(after) > 8:
            break
        if line and _CLOSING.match(line) and len(line) <= 60:
            signature_at = i
            break
    if signature_at is None and lines:  # a closing at the end of the last line
        m = _INLINE_CLOSING.search(lines[-1])
        if m and m.start() > 0:
            lines[-1:] = [lines[-1][: m.start()].rstrip(), m.group(1)]
            signature_at = len(lines) - 1
    if signature_at is None:  # no closing: a last short block of name-like lines
        blocks = "\n".join(lines).strip().split("\n\n")
        if len(blocks) > 1 and looks_like_name(blocks[-1].strip().split("\n")[0]):
            signature = blocks[-1].strip()
            return greeting, "\n\n".join(blocks[:-1]).strip(), signature
        return greeting, "\n".join(lines).strip(), ""
    body = "\n".join(lines[:signature_at]).strip()
    signature = "\n".join(lines[signature_at:]).strip()
    return greeting, body, signature


def signature_name(signature: str) -> str:
    """The sender's name from the signature: the first name-like line after the closing."""
    if not signature:
        return ""
    lines = [line.strip() for line in signature.split("\n") if line.strip()]
    first = _CLOSING.sub("", lines[0]).strip(" ,.-")
    first = re.sub(r"^(van|namens)\s+", "", first, flags=re.I)  # "Groeten van Fleur"
    candidates = ([first] if first else []) + lines[1:4]
    for line in candidates:
        line = _called_name(line)
        line = re.split(r"[(,|/–]| - ", line)[0].strip()
        if looks_like_name(line):
            return line
    return ""


# Initials with the name someone goes by in brackets: "J. (Jan) Bos", "mevrouw A. (Annelies) Smit".
_CALLED_NAME = re.compile(r"\b((?:[A-Z]\.\s*)+)\(([A-Z][a-zà-ÿ]+(?:-[A-Z][a-zà-ÿ]+)?)\)\s*")


def _called_name(line: str) -> str:
    """The called name in place of the initials; with a title ("mevrouw", "dhr.") the initials
    stay, so that the greeting is "mevrouw Smit", as the sender signs."""
    titled = any(t.lower() in _TITLE_WORDS for t in line.split())
    return _CALLED_NAME.sub(lambda m: m.group(1) if titled else m.group(2) + " ", line)


def looks_like_name(text: str) -> bool:
    if " en " in text or " & " in text:  # "Hans en Ria de Wit"
        return all(looks_like_name(part) for part in re.split(r" en | & ", text, maxsplit=1))
    tokens = text.split()
    if not 1 <= len(tokens) <= 5 or _JOB_LINE.search(text):
        return False
    names = [t for t in tokens if t.lower() not in _NAME_PARTICLES]
    if len(names) == 1 and names[0].capitalize() in first_names():  # "groetjes lisa"
        return names[0].lower() not in common_words()
    titles = _TITLE_WORDS | _FIRST_NAME_TITLES | {f"{d}." for d in _DEGREES}
    if not names or not all(_NAME_TOKEN.match(t) or t.lower() in titles for t in names):
        return False
    # "Vriendelijke Groet" or "Team Wonen" are not names: a name has a token that is no word.
    return not all(t.lower() in STOPWORDS or t.lower() in common_words() for t in names)


_TITLES = {
    "mevr": "mevrouw",
    "mevrouw": "mevrouw",
    "mw": "mevrouw",
    "dhr": "meneer",
    "meneer": "meneer",
    "heer": "meneer",
    "fam": "familie",
    "familie": "familie",
}


def greeting_name(name: str) -> str:
    """The name to greet: the first name ("Marja" for "Marja de Vries"); "mevrouw Bakker" for
    "mevr. J. Bakker"; nothing for initials alone ("W. Brouwer"), whose gender we do not know."""
    if " en " in name or " & " in name:  # "Hans en Ria de Wit" -> "Hans en Ria"
        names = [greeting_name(part) for part in re.split(r" en | & ", name, maxsplit=1)]
        return " en ".join(names) if all(names) else ""
    tokens = name.replace(",", " ").split()
    if tokens and tokens[0].lower() == "de" and len(tokens) > 1:  # "de heer Jansen"
        tokens = tokens[1:]
    tokens = [t for t in tokens if t.lower().rstrip(".") not in _DEGREES]
    if len(tokens) > 1 and tokens[0].lower() in _FIRST_NAME_TITLES:  # "juf Anke" -> "Anke"
        tokens = tokens[1:]
    if not tokens:
        return ""
    title = _TITLES.get(tokens[0].lower().rstrip("."))
    rest = [t for t in tokens[1:] if not re.match(r"^([A-Za-z]\.)+$", t)]
    if title:
        if not rest:
            return ""
        rest[0] = rest[0][:1].upper() + rest[0][1:]  # "meneer De Boer": no first name before it
        return f"{title} {' '.join(rest)}"
    if re.match(r"^([A-Za-z]\.)+$", tokens[0]):
        return ""
    return tokens[0][:1].upper() + tokens[0][1:]


def is_formal(text: str) -> bool:
    folded = fold(QUOTED_SPEECH.sub("", text))
    tokens = words(folded)
    formal = sum(1 for t in tokens if t in FORMAL)
    informal = sum(1 for t in tokens if t in INFORMAL) + len(INFORMAL_INVERSION.findall(folded))
    if formal or informal:
        return formal > informal
    return len(FORMAL_LETTER.findall(folded)) > len(INFORMAL_LETTER.findall(folded))


def role_of(text: str) -> str:
    folded = fold(QUOTED_SPEECH.sub("", text))
    for role, pattern in ROLES:
        if pattern.search(folded):
            return role
    return "onbekend"


# -- questions ----------------------------------------------------------------------------
def _sentences(body: str) -> list[str]:
    """Sentences of the body; paragraphs are joined first (mail clients wrap lines)."""
    out: list[str] = []
    for paragraph in re.split(r"\n\s*\n", body):
        lines = [line.strip(" \t-*•") for line in paragraph.split("\n") if line.strip()]
        text = " ".join(lines)
        # Protect quoted speech: a "?" inside quotes does not end the sender's sentence.
        quotes = QUOTED_SPEECH.findall(text)
        for n, q in enumerate(quotes):
            text = text.replace(q, f"\x00{n}\x00", 1)
        start = 0
        found: list[str] = []
        for m in re.finditer(r"[.!?]+(?=\s|$)", text):
            before = re.findall(r"[\w.]+$", text[start : m.start()])
            if m.group(0) == "." and before and before[0].lower().rstrip(".") in ABBREVIATIONS:
                continue
            found.append(text[start : m.end()].strip())
            start = m.end()
        found.append(text[start:].strip())
        for sentence in found:
            for n, q in enumerate(quotes):
                sentence = sentence.replace(f"\x00{n}\x00", q)
            out.append(sentence)
    return [s for s in out if s]


def has_content(sentence: str) -> bool:
    """A sentence that names a topic, not just "Kunt u mij helpen?"."""
    return any(w not in STOPWORDS and len(w) > 2 for w in words(sentence))


def find_questions(
    story: list[str], paragraph_of: list[int] | None = None
) -> tuple[list[str], str, list[str]]:
    """(the questions asked, the rest of the story, each question's lead). A question without
    a topic of its own ("Wat betekent dat?", "Kunt u mij helpen?") is read together with the
    sentence before it; a request without a topic and without a question mark ("Graag hoor ik
    van u.") is none. A question that points back ("met zo'n kind") gets the story sentences
    before it in its paragraph as its lead: context for the search, not part of the question."""
    paragraph_of = paragraph_of or [0] * len(story)
    questions: list[str] = []
    leads: list[str] = []
    context: list[str] = []
    for i, sentence in enumerate(story):
        lead = ""
        own = QUOTED_SPEECH.sub("", sentence)
        mark = own.rstrip().endswith("?")
        if not mark and not REQUEST.search(fold(own.strip())):
            context.append(sentence)
            continue
        if not _topical(own) or (_refers_back(own) and _topic_words(own) <= 2):
            if (
                questions
                and i > 0
                and story[i - 1] == questions[-1].split(" ")[-1]
                or (questions and questions[-1].endswith(story[i - 1]))
            ):
                if _topical(own):  # "Wat is X? Gaat dat ook over Y?" asks one thing
                    questions[-1] = f"{questions[-1]} {sentence}"
                continue
            if i == 0 or not mark:
                if not _topical(own):
                    continue
            else:
                before = story[i - 1]
                if context and context[-1] == before:
                    context.pop()
                # The lead: the story of the paragraph up to this question.
                story_before = [
                    story[j]
                    for j in range(i - 1)
                    if paragraph_of[j] == paragraph_of[i] and story[j] in context
                ]
                sentence, lead = f"{before} {sentence}", " ".join([*story_before, before])
        if not _topical(sentence):
            continue
        if not lead and POINTS_BACK.search(fold(own)):
            before = [
                story[j]
                for j in range(i)
                if paragraph_of[j] == paragraph_of[i] and story[j] in context
            ]
            lead = " ".join(before)
        questions.append(sentence)
        leads.append(lead)
    return questions, " ".join(context), leads


def asks_something(text: str) -> bool:
    """The text asks a question or for information ("Wat betekent dat?", "Ik zoek iets over
    ..."), rather than only telling what happens ("Hij ligt op de grond en reageert niet!")."""
    return bool(find_questions(_sentences(text))[0])


# Words that point back to the story ("met zo'n kind", "heeft dit ...").
POINTS_BACK = re.compile(r"\b(zo'n|zulke|zulk|dit|deze|dat|daar\w*|hier\w+|zoiets)\b")
_BACK_REFERENCE = re.compile(
    r"\b(dat|dit|die|daar|daarvan|daarmee|hiervan|hiermee|zo'n|zoiets|het)\b"
)


def _refers_back(sentence: str) -> bool:
    return bool(_BACK_REFERENCE.search(fold(sentence)))


def _topic_words(sentence: str) -> int:
    return sum(1 for w in words(sentence) if w not in STOPWORDS and w not in _META and len(w) > 2)


# Words that carry no topic in a question to the helpdesk ("helpen", "reageren").
_META = {
    "helpen",
    "help",
    "reageren",
    "antwoord",
    "antwoorden",
    "terug",
    "mail",
    "email",
    "e-mail",
    "mailen",
    "bellen",
    "contact",
    "uitleggen",
    "vertellen",
    "zeggen",
    "mee",
    "denken",
    "meedenken",
    "nodig",
    "hulp",
    "situatie",
    "verder",
    "moet",
    "doen",
    "hoor",
    "ontvang",
    "ontvangen",
    "reactie",
    "fijn",
    "snel",
    "mogelijk",
    "laten",
    "weten",
    "precies",
    "nou",
    "eens",
    "zeker",
    "alsjeblieft",
    "iets",
    "wat",
    "geven",
    "aanraden",
    "delen",
}


def _topical(sentence: str) -> bool:
    return any(w not in STOPWORDS and w not in _META and len(w) > 2 for w in words(sentence))


# -- personal data ------------------------------------------------------------------------
@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Dutch first names from the maintained lists of `deduce` (de-identification of Dutch text)."""
    return frozenset(_deduce_list("names/lst_first_name")) - _deduce_exceptions()


@lru_cache(maxsize=1)
def place_names() -> frozenset[str]:
    """Dutch towns and municipalities from `deduce`: where someone lives identifies them."""
    return frozenset(
        _deduce_list("locations/lst_placename/lst_residence")
        + _deduce_list("locations/lst_placename/lst_municipality")
    )


@lru_cache(maxsize=1)
def common_words() -> frozenset[str]:
    return frozenset(w.lower() for w in _deduce_list("whitelist/lst_common_word"))


def _deduce_list(name: str, file: str = "items.txt") -> list[str]:
    """A lookup list shipped with `deduce`, read without importing the package (its import
    loads all of its lookup structures and configures the root logger)."""
    spec = importlib.util.find_spec("deduce")
    if spec is None or not spec.submodule_search_locations:
        return []
    path = Path(spec.submodule_search_locations[0]) / "data" / "lookup" / "src" / name / file
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


@lru_cache(maxsize=1)
def _deduce_exceptions() -> frozenset[str]:
    return frozenset(_deduce_list_exceptions("names/lst_first_name"))


def _deduce_list_exceptions(name: str) -> list[str]:
    return _deduce_list(name, "exceptions.txt")


# A capitalised word right after one of these is a person's name ("mijn zoon Daan").
_NAME_CUE = re.compile(
    r"\b(?:zoon|zoontje|dochter|dochtertje|kind|pleegzoon|pleegdochter|pleegkind|broer|broertje|"
    r"zus|zusje|neef|nicht|kleinzoon|kleindochter|client|cliënt|cliente|cliënte|bewoner|"
    r"bewoonster|leerling|pupil|collega|begeleider|begeleidster|jongen|meisje|man|vrouw|"
    r"meneer|mevrouw|mevr\.|dhr\.|heet|genaamd|naam is)[ \t]+((?:[A-Z][\w'-]+)(?:[ \t]+(?:(?:van|de|der|den)[ \t]+)?[A-Z][\w'-]+)?)"
)


def personal_data(text: str, sender: str) -> list[str]:
    """Strings of the e-mail that identify someone: numbers, addresses, names."""
    found: list[str] = []
    for rx in (PHONE, EMAIL_ADDRESS, POSTCODE, STREET, URL):
        found += [m.group(0).strip() for m in rx.finditer(text)]
    found += [m.group(1) for m in _NAME_CUE.finditer(text)]
    names = first_names() | place_names()
    common = common_words()
    for sentence in re.split(r"(?<=[.!?\n])\s*", text):
        tokens = re.findall(r"[\w'-]+", sentence)
        for n, token in enumerate(tokens):
            if n == 0 and token.lower() in STOPWORDS:
                continue
            if token in names and token.lower() not in common and token.lower() not in STOPWORDS:
                found.append(token)
    if sender:
        found += [t for t in sender.split() if t.lower() not in _NAME_PARTICLES and len(t) > 2]
    # Names split into their parts, so "Daan de Vries" also removes a lone "Daan".
    parts: list[str] = []
    for item in found:
        parts.append(item)
        if " " in item and not any(ch.isdigit() for ch in item):
            parts += [t for t in item.split() if t.lower() not in _NAME_PARTICLES and len(t) > 2]
    return sorted(dict.fromkeys(p for p in parts if p), key=len, reverse=True)
