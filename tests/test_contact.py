"""The expertise team's contact details, parsed from the corpus; placeholders never shown."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import ROOT

from assistant.contact import parse_contact, placeholder_warning

SEED = (ROOT / "corpus" / "contact" / "expertiseteam.md").read_text(encoding="utf-8")
FILLED = """Kunnen we je helpen?

Wil je meer weten over onze expertise? Net wat jij prettig vindt.

- Telefoon: 030 123 45 67
- E-mail: hechting@example.nl
- Social media: https://example.nl/hechting, https://social.example/@hechting
"""


def body(text: str) -> str:
    return text.split("---", 2)[2] if text.startswith("---") else text


def test_the_seed_contact_page_is_all_placeholders_and_none_reach_the_user():
    info = parse_contact(body(SEED), "Contact met het expertiseteam hechting")
    assert info.team == "het expertiseteam hechting"
    assert info.placeholders == ["Telefoon", "E-mail", "Social media"]
    assert (info.phone, info.email, info.links) == ("", "", [])
    for text in (info.short_text(), info.full_text()):
        assert "NOG INVULLEN" not in text and "[" not in text
    assert info.short_text() == "Vragen? Neem contact op met het expertiseteam hechting."


def test_filled_in_values_give_tel_and_mailto_targets_and_links():
    info = parse_contact(FILLED, "Contact met het expertiseteam hechting")
    assert not info.has_placeholders
    assert info.phone == "030 123 45 67" and info.phone_uri == "tel:0301234567"
    assert info.email_uri == "mailto:hechting@example.nl"
    assert info.links == ["https://example.nl/hechting", "https://social.example/@hechting"]
    assert "bel 030 123 45 67 of mail hechting@example.nl" in info.short_text()
    assert "Net wat jij prettig vindt" not in info.full_text()  # no promotional text


def test_an_answers_contact_block_parses_to_the_same_details():
    block = "**Contact met het expertiseteam hechting**\n\n" + FILLED
    info = parse_contact(block)
    assert info.team == "het expertiseteam hechting" and info.phone == "030 123 45 67"


@pytest.mark.parametrize("filled, warned", [(SEED, True), (FILLED, False)])
def test_placeholder_warning_names_the_file_and_the_fields(filled, warned):
    info = parse_contact(body(filled))
    warning = placeholder_warning(info, "corpus/contact/expertiseteam.md")
    assert (warning is not None) == warned
    if warned:
        assert "corpus/contact/expertiseteam.md" in warning and "Telefoon" in warning


def test_ingest_check_warns_in_dutch_about_placeholders_and_still_succeeds():
    result = subprocess.run(
        [sys.executable, "ingest.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"},
        timeout=120,
    )
    assert result.returncode == 0
    assert "De corpus is in orde" in result.stdout
    assert "plaatshouders" in result.stderr and "expertiseteam.md" in result.stderr


def test_a_question_about_reaching_the_team_never_shows_a_placeholder(seed_assistant):
    """The seed contact page still holds [NOG INVULLEN] values: neither the answer's sentences
    nor its contact block may show them, in the chat text, the CLI or a helpdesk draft."""
    answer = seed_assistant.ask("Hoe kan ik het expertiseteam bereiken?")
    assert "contact-expertiseteam" in [s.id for s in answer.sources]
    assert "NOG INVULLEN" not in answer.answer
    assert "leidinggevende" in answer.contact  # how to reach the team until it is filled in
    draft = seed_assistant.draft(
        "Beste helpdesk,\n\nHoe kan ik jullie het beste bereiken?\n\nGroet,\nMarja"
    )
    assert "NOG INVULLEN" not in draft.text
    assert "Reageer dan gerust op deze e-mail." in draft.text
