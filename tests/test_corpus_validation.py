"""Validation tells a curator the file, the line and what is wrong; nothing is written."""

from __future__ import annotations

import pytest

from assistant.corpus import load_corpus
from assistant.errors import CorpusError

GOOD_FRONT = (
    "---\nid: nieuw\ntitle: Nieuw document\ntype: boek\nurl: ''\n---\n\nTekst van het boek.\n"
)


def write(corpus, name, text, encoding="utf-8"):
    path = corpus / "bronnen" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding=encoding)
    return path


def problems_for(corpus):
    with pytest.raises(CorpusError) as info:
        load_corpus(corpus, corpus.parent, "contact-expertiseteam")
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        (
            "yaml.md",
            "---\nid: x\ntitle: [onaf\ntype: boek\n---\n\nTekst.\n",
            "x.md:3: ongeldige YAML",
        ),
        (
            "geen-titel.md",
            "---\nid: geen-titel\ntype: boek\n---\n\nTekst.\n",
            ":1: ontbrekend veld 'title'",
        ),
        (
            "lege-titel.md",
            "---\nid: lege-titel\ntitle: ''\ntype: boek\n---\n\nTekst.\n",
            ":3: leeg veld 'title'",
        ),
        (
            "type.md",
            "---\nid: type\ntitle: T\ntype: roman\n---\n\nTekst.\n",
            ":4: onbekend type 'roman'",
        ),
        (
            "leeg.md",
            "---\nid: leeg\ntitle: T\ntype: boek\n---\n\n   \n",
            ":6: de tekst onder de front matter is leeg",
        ),
        (
            "url.md",
            "---\nid: url\ntitle: T\ntype: boek\nurl: ftp://x.nl/a\n---\n\nTekst.\n",
            ":5: ongeldige url",
        ),
        ("geen-front.md", "Alleen tekst.\n", ":1: front matter ontbreekt"),
        (
            "niet-citeren.md",
            "---\nid: nc\ntitle: T\ntype: boek\nniet_citeren:\n- Een zin die er niet staat.\n---"
            "\n\nTekst.\n",
            ":5: 'niet_citeren': deze zin staat niet (letterlijk) in de tekst",
        ),
        ("open.md", "---\nid: open\ntitle: T\n", ":1: front matter wordt niet afgesloten"),
        (
            "id.md",
            "---\nid: Mijn Boek\ntitle: T\ntype: boek\n---\n\nTekst.\n",
            ":2: ongeldig id 'Mijn Boek'",
        ),
        (
            "veld.md",
            "---\nid: veld\ntitle: T\ntype: boek\nauteur: X\n---\n\nTekst.\n",
            ":5: onbekend veld 'auteur'",
        ),
        (
            "spoed.md",
            "---\nid: spoed-x\ntitle: T\ntype: spoed\n---\n\nBel 112.\n",
            "een spoeddocument heeft 'situaties' nodig",
        ),
        (
            "doelgroep.md",
            "---\nid: doelgroep\ntitle: T\ntype: spoed\ndoelgroep: ouders\nsituaties:\n"
            "- medisch\n---\n\nBel 112.\n",
            ":5: onbekende doelgroep 'ouders'",
        ),
    ],
)
def test_validation_reports_file_line_and_problem(mini_corpus, name, text, expected):
    write(mini_corpus, name, text)
    problems = problems_for(mini_corpus)
    assert any(
        f"corpus/bronnen/{name.split('.')[0]}" in p and expected.split(":", 2)[-1].strip() in p
        for p in problems
    ), problems
    if expected.startswith(":"):
        assert any(
            p.startswith(f"corpus/bronnen/{name}{expected.split(':')[0]}:{expected.split(':')[1]}")
            for p in problems
        ), problems


def test_validation_reports_a_file_that_is_not_utf8_with_its_line(mini_corpus):
    write(
        mini_corpus,
        "latin.md",
        "---\nid: latin\ntitle: Cliënt\ntype: boek\n---\n\nTekst.\n".encode("latin-1"),
    )
    assert any(
        p.startswith("corpus/bronnen/latin.md:3:") and "UTF-8" in p
        for p in problems_for(mini_corpus)
    )


def test_validation_reports_a_duplicate_id_in_both_places(mini_corpus):
    write(mini_corpus, "dubbel.md", GOOD_FRONT.replace("id: nieuw", "id: veilig"))
    problems = problems_for(mini_corpus)
    assert any("dubbel id 'veilig'" in p and "corpus/pagina/veilig.md" in p for p in problems), (
        problems
    )


def test_validation_reports_a_file_that_is_not_markdown(mini_corpus):
    (mini_corpus / "bronnen").mkdir()
    (mini_corpus / "bronnen" / "notities.docx").write_bytes(b"PK\x03\x04")
    assert any(
        "notities.docx" in p and "geen Markdown-bestand" in p for p in problems_for(mini_corpus)
    )


def test_validation_reports_a_huge_file(mini_corpus):
    write(mini_corpus, "groot.md", GOOD_FRONT + ("Een zin over hechting. " * 250_000))
    assert any("groot.md:1: bestand is te groot" in p for p in problems_for(mini_corpus))


def test_validation_requires_the_contact_document(mini_corpus):
    (mini_corpus / "contact" / "team.md").unlink()
    assert any(
        "geen contactdocument met id 'contact-expertiseteam'" in p
        for p in problems_for(mini_corpus)
    )


def test_validation_lists_every_problem_not_just_the_first(mini_corpus):
    write(mini_corpus, "a.md", "---\nid: a\ntype: boek\n---\n\nTekst.\n")
    write(mini_corpus, "b.md", "---\nid: b\ntitle: T\ntype: film\n---\n\nTekst.\n")
    assert len(problems_for(mini_corpus)) == 2


def test_non_breaking_spaces_are_normalised(mini_corpus):
    write(
        mini_corpus,
        "nbsp.md",
        GOOD_FRONT.replace("Tekst van het boek.", "Tekst\u00a0van het\u00a0 boek."),
    )
    docs = {d.id: d for d in load_corpus(mini_corpus, mini_corpus.parent, "contact-expertiseteam")}
    assert docs["nieuw"].body == "Tekst van het boek."


def test_the_shipped_corpus_is_valid_and_has_every_section_and_resource():
    from conftest import ROOT

    docs = load_corpus(ROOT / "corpus", ROOT, "contact-expertiseteam")
    types = [d.type for d in docs]
    ids = {d.id for d in docs}
    sections = {
        "inleiding",
        "webinar-gehechtheidsproblemen-lvb",
        "wat-is-hechting",
        "veilige-gehechtheid",
        "vermijdende-gehechtheid",
        "ambivalente-gehechtheid",
        "gedesorganiseerde-gehechtheid",
        "therapieboekje-hechting",
        "contact-expertiseteam",
    }
    assert sections <= ids
    assert {
        "hisense-app",
        "jij-en-ik-serious-game",
        "attachment-idd-clinicians-guide",
        "balans-in-beeld",
    } <= ids
    assert {"spoed-112", "spoed-113", "spoed-veilig-thuis"} <= ids
    assert {"webinar", "app", "game", "infosheet", "contact", "spoed"} <= set(types)
    assert sum(t in ("boek", "artikel", "infosheet", "publicatie") for t in types) == 14
    assert all(d.url == "" or d.url.startswith("https://") for d in docs)
    assert all("\u00a0" not in d.body for d in docs)
