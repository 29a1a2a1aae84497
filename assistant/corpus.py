"""Read and validate the curated corpus: Markdown files with YAML front matter."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import CorpusError, Problem

TYPES = (
    "pagina",
    "boek",
    "artikel",
    "infosheet",
    "publicatie",
    "webinar",
    "app",
    "game",
    "contact",
    "spoed",
)
# Situations an urgent referral ('spoed') document can cover; routing uses the same names.
SITUATIONS = (
    "direct_gevaar",
    "medisch",
    "zelfdoding",
    "zelfbeschadiging",
    "mishandeling",
    "geweld",
    "geweld_in_zorg",
    "seksueel_grensoverschrijdend",
    "uitbuiting",
)
REQUIRED = ("id", "title", "type")
KNOWN_FIELDS = set(REQUIRED) | {
    "url",
    "summary",
    "tags",
    "updated",
    "situaties",
    "niet_citeren",
    "doelgroep",
}
# Who a referral (spoed) document speaks to: everyone, or only people who work in care ("Werk
# je in de zorg? Volg de meldcode ..."), which a parent asking about their own child does not get.
AUDIENCES = ("iedereen", "zorgverleners")
MAX_FILE_BYTES = 1_000_000
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Files curators may keep in corpus/ that are not documents.
IGNORED_NAMES = {"README.md", "LEESMIJ.md"}


# Invisible characters that can rewrite a terminal or reorder text: C0/C1 controls except tab
# and newline, and the bidirectional overrides.
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
# PyYAML's problems in curators' words: (part of the English problem, Dutch explanation).
YAML_PROBLEMS = [
    (
        "mapping values are not allowed",
        "een dubbele punt (:) midden in een waarde, of een verkeerde inspringing; zet de "
        'waarde tussen aanhalingstekens, bijvoorbeeld title: "Hechting: wat is het?"',
    ),
    (
        "could not find expected ':'",
        "deze regel mist de dubbele punt tussen veld en waarde (veld: waarde)",
    ),
    (
        "expected ',' or ']'",
        "een lijst tussen [ en ] wordt niet afgesloten; voeg ] toe of zet de waarde tussen "
        "aanhalingstekens",
    ),
    (
        "expected ',' or '}'",
        "een waarde tussen { en } wordt niet afgesloten; voeg } toe of zet de waarde tussen "
        "aanhalingstekens",
    ),
    ("'\\t'", "een tab; gebruik spaties"),
    (
        "end of stream",
        "een aanhalingsteken wordt niet gesloten; sluit de waarde af met hetzelfde teken",
    ),
    (
        "expected <block end>",
        "de aanhalingstekens of de inspringing kloppen niet; een waarde tussen "
        "aanhalingstekens mag daarna niets meer bevatten en elk veld begint aan het begin "
        "van de regel",
    ),
    ("alias", "een waarde die met * of & begint; zet de waarde tussen aanhalingstekens"),
]


def yaml_problem(exc: yaml.YAMLError) -> tuple[int, str]:
    """(1-based line within the YAML, Dutch reason) for a PyYAML error.

    PyYAML often notices an unclosed quote, bracket or key only on a later line; its
    'context' then marks where the broken value starts, which is the line to fix.
    """
    problem = str(getattr(exc, "problem", "") or "")
    context = str(getattr(exc, "context", "") or "")
    mark = getattr(exc, "problem_mark", None)
    context_mark = getattr(exc, "context_mark", None)
    if context_mark is not None and not context.startswith("while parsing a block"):
        mark = context_mark
    line = mark.line + 1 if mark is not None else 1
    for english, dutch in YAML_PROBLEMS:
        if english in problem:
            return line, dutch
    return line, "controleer de dubbele punten, aanhalingstekens en inspringing"


class NotRegularFileError(OSError):
    """A symlink, folder, pipe or device where a corpus file was expected."""


class TooLargeError(OSError):
    def __init__(self, size: int):
        super().__init__(size)
        self.size = size


def read_regular_file(path: Path) -> bytes:
    """The bytes of a regular file, never following a symlink and never blocking on a pipe.

    The check and the read use one file descriptor, so a file swapped for a symlink after
    the listing is still refused.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFileError(SYMLINK) from exc
        raise
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFileError(NOT_REGULAR)
        if info.st_size > MAX_FILE_BYTES:
            raise TooLargeError(info.st_size)
        return file.read(MAX_FILE_BYTES + 1)


SYMLINK = (
    "dit is een symbolische link; alleen gewone bestanden in de corpusmap worden gelezen. "
    "Kopieer het bestand hierheen of verwijder de link"
)
NOT_REGULAR = "dit is geen gewoon bestand (maar bijvoorbeeld een pipe of apparaat); verwijder het"


@dataclass(frozen=True)
class Document:
    id: str
    title: str
    type: str
    path: str  # relative to the project root, e.g. corpus/bronnen/x.md
    body: str
    url: str = ""
    summary: str = ""
    tags: tuple[str, ...] = ()
    updated: str = ""
    situations: tuple[str, ...] = field(default=())
    # Sentences of the body that are never quoted as an answer (a page's opening hook, a
    # rhetorical question); curators list them under `niet_citeren`.
    not_quoted: tuple[str, ...] = field(default=())
    audience: str = "iedereen"  # `doelgroep`, one of AUDIENCES

    @property
    def content_hash(self) -> str:
        parts = [self.id, self.title, self.type, self.url, self.summary, "|".join(self.tags)]
        parts += [self.path, "|".join(self.situations), self.body]
        if self.not_quoted:
            parts.append("|".join(self.not_quoted))
        if self.audience != "iedereen":
            parts.append(self.audience)
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def normalise_text(text: str) -> str:
    """Unicode NFC, non-breaking and odd spaces to plain spaces, trailing blanks trimmed."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00a0", " ").replace("\u202f", " ").replace("\u2007", " ")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _field_line(front_lines: list[str], key: str) -> int:
    """1-based line number of `key:` in the file (front matter starts at line 2)."""
    for i, line in enumerate(front_lines):
        if re.match(rf"^{re.escape(key)}\s*:", line):
            return i + 2
    return 1


def parse_document(path: Path, rel: str) -> tuple[Document | None, list[Problem]]:
    """Parse one file; returns the document or the problems found in it."""
    problems: list[Problem] = []

    def bad(line: int, message: str) -> tuple[None, list[Problem]]:
        problems.append(Problem(rel, line, message))
        return None, problems

    try:
        raw = read_regular_file(path)
    except NotRegularFileError as exc:
        return bad(1, str(exc))
    except TooLargeError as exc:
        return bad(
            1,
            f"bestand is te groot ({exc.size // 1000} kB, maximaal {MAX_FILE_BYTES // 1000} kB); "
            "splits het op in kleinere documenten",
        )
    except OSError:
        return bad(1, "bestand is niet (meer) leesbaar; is het verplaatst of verwijderd?")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return bad(line, "bestand is geen geldige UTF-8-tekst; sla het op als UTF-8")
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    lines = text.split("\n")
    for number, line in enumerate(lines, 1):
        if found := CONTROL_CHARS.search(line):
            problems.append(
                Problem(
                    rel,
                    number,
                    f"deze regel bevat een onzichtbaar stuurteken (U+{ord(found.group()):04X}); "
                    "verwijder het (vaak meegekomen bij kopiëren en plakken)",
                )
            )
    if problems:
        return None, problems
    if not lines or lines[0].strip() != "---":
        return bad(1, "front matter ontbreekt: begin het bestand met een regel '---'")
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() == "---")
    except StopIteration:
        return bad(1, "front matter wordt niet afgesloten: voeg een regel '---' toe na de velden")
    front_lines = lines[1:end]
    try:
        meta = yaml.safe_load("\n".join(front_lines)) or {}
    except yaml.YAMLError as exc:
        line, reason = yaml_problem(exc)
        return bad(line + 1, f"ongeldige YAML in de front matter: {reason}")
    if not isinstance(meta, dict):
        return bad(2, "front matter moet bestaan uit velden als 'title: ...'")

    for key in REQUIRED:
        value = meta.get(key)
        if key not in meta:
            problems.append(Problem(rel, 1, f"ontbrekend veld '{key}'"))
        elif value is None or not str(value).strip():
            problems.append(Problem(rel, _field_line(front_lines, key), f"leeg veld '{key}'"))
    for key in meta:
        if key not in KNOWN_FIELDS:
            problems.append(
                Problem(
                    rel,
                    _field_line(front_lines, str(key)),
                    f"onbekend veld '{key}' (toegestaan: {', '.join(sorted(KNOWN_FIELDS))})",
                )
            )
    doc_id = str(meta.get("id") or "").strip()
    if doc_id and not ID_PATTERN.match(doc_id):
        problems.append(
            Problem(
                rel,
                _field_line(front_lines, "id"),
                f"ongeldig id '{doc_id}': gebruik kleine letters, cijfers en streepjes",
            )
        )
    doc_type = str(meta.get("type") or "").strip()
    if doc_type and doc_type not in TYPES:
        problems.append(
            Problem(
                rel,
                _field_line(front_lines, "type"),
                f"onbekend type '{doc_type}' (kies uit: {', '.join(TYPES)})",
            )
        )
    url = meta.get("url") or ""
    if not isinstance(url, str) or (url and not re.match(r"^https?://\S+$", url.strip())):
        problems.append(
            Problem(
                rel,
                _field_line(front_lines, "url"),
                f"ongeldige url '{url}': moet beginnen met http:// of https:// (of leeg zijn)",
            )
        )
    tags = meta.get("tags") or []
    if isinstance(tags, str):
        tags = [t.strip() for t in tags.split(",")]
    if not isinstance(tags, list):
        problems.append(
            Problem(rel, _field_line(front_lines, "tags"), "'tags' moet een lijst zijn")
        )
        tags = []
    situations = meta.get("situaties") or []
    if doc_type == "spoed":
        if not isinstance(situations, list) or not situations:
            problems.append(
                Problem(
                    rel,
                    _field_line(front_lines, "situaties"),
                    f"een spoeddocument heeft 'situaties' nodig (uit: {', '.join(SITUATIONS)})",
                )
            )
            situations = []
        for s in situations:
            if s not in SITUATIONS:
                problems.append(
                    Problem(
                        rel,
                        _field_line(front_lines, "situaties"),
                        f"onbekende situatie '{s}' (kies uit: {', '.join(SITUATIONS)})",
                    )
                )
    audience = str(meta.get("doelgroep") or "iedereen").strip()
    if audience not in AUDIENCES:
        problems.append(
            Problem(
                rel,
                _field_line(front_lines, "doelgroep"),
                f"onbekende doelgroep '{audience}' (kies uit: {', '.join(AUDIENCES)})",
            )
        )
    body = normalise_text("\n".join(lines[end + 1 :]))
    if not body:
        problems.append(Problem(rel, end + 2, "de tekst onder de front matter is leeg"))
    not_quoted = meta.get("niet_citeren") or []
    if not isinstance(not_quoted, list) or not all(isinstance(x, str) for x in not_quoted):
        problems.append(
            Problem(
                rel,
                _field_line(front_lines, "niet_citeren"),
                "'niet_citeren' moet een lijst van zinnen uit de tekst zijn",
            )
        )
        not_quoted = []
    not_quoted = [normalise_text(x) for x in not_quoted if x.strip()]
    for sentence in not_quoted:
        if body and sentence not in body:
            problems.append(
                Problem(
                    rel,
                    _field_line(front_lines, "niet_citeren"),
                    f"'niet_citeren': deze zin staat niet (letterlijk) in de tekst: '{sentence}'",
                )
            )
    if problems:
        return None, problems
    return (
        Document(
            id=doc_id,
            title=normalise_text(str(meta["title"])),
            type=doc_type,
            path=rel,
            body=body,
            url=url.strip(),
            summary=normalise_text(str(meta.get("summary") or "")),
            tags=tuple(normalise_text(str(t)) for t in tags if str(t).strip()),
            updated=str(meta.get("updated") or ""),
            situations=tuple(str(s) for s in situations),
            not_quoted=tuple(not_quoted),
            audience=audience,
        ),
        [],
    )


def load_corpus(
    corpus_dir: Path, root: Path | None = None, contact_id: str | None = None
) -> list[Document]:
    """Read every document under corpus_dir; raise CorpusError listing all problems."""
    corpus_dir = Path(corpus_dir)
    root = Path(root) if root is not None else corpus_dir.resolve().parent
    if not corpus_dir.is_dir():
        raise CorpusError([Problem(str(corpus_dir), 0, "de corpusmap bestaat niet")])
    documents: list[Document] = []
    problems: list[Problem] = []
    real_root = corpus_dir.resolve()
    for path in _entries(corpus_dir):
        rel = _relative(path, root)
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            problems.append(Problem(rel, 0, SYMLINK))
            continue
        if not stat.S_ISREG(info.st_mode):
            problems.append(Problem(rel, 0, NOT_REGULAR))
            continue
        if path.name in IGNORED_NAMES:
            continue
        if not path.resolve().is_relative_to(real_root):
            problems.append(Problem(rel, 0, "dit bestand ligt buiten de corpusmap; verplaats het"))
            continue
        if path.suffix.lower() != ".md":
            problems.append(
                Problem(rel, 0, "geen Markdown-bestand (.md); verplaats of verwijder het")
            )
            continue
        doc, found = parse_document(path, rel)
        problems.extend(found)
        if doc is not None:
            documents.append(doc)
    seen: dict[str, str] = {}
    for doc in documents:
        if doc.id in seen:
            problems.append(
                Problem(doc.path, 2, f"dubbel id '{doc.id}' (ook gebruikt in {seen[doc.id]})")
            )
        else:
            seen[doc.id] = doc.path
    if not problems and not documents:
        problems.append(Problem(_relative(corpus_dir, root), 0, "de corpus bevat geen documenten"))
    if not problems and contact_id and contact_id not in seen:
        problems.append(
            Problem(
                _relative(corpus_dir, root),
                0,
                f"er is geen contactdocument met id '{contact_id}'; elk antwoord verwijst ernaar",
            )
        )
    if problems:
        raise CorpusError(problems)
    return documents


def _entries(corpus_dir: Path) -> list[Path]:
    """Every non-hidden entry under corpus_dir except real folders; links are not followed."""
    found: list[Path] = []
    for folder, dirs, files in os.walk(corpus_dir, followlinks=False):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in list(dirs):
            if os.path.islink(os.path.join(folder, name)):
                dirs.remove(name)
                found.append(Path(folder, name))
        found += [Path(folder, name) for name in files if not name.startswith(".")]
    return sorted(found)


def _relative(path: Path, root: Path) -> str:
    """The path as the curator sees it (links are not followed), relative to the project."""
    try:
        return Path(os.path.abspath(path)).relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return path.as_posix()
