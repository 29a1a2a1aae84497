"""How the chat shows answers: built from the Answer's fields, contact placeholders never shown."""

from __future__ import annotations

import pytest
from conftest import make_settings

from assistant.feedback import FeedbackLog
from assistant.pipeline import Assistant, build_ingestor
from webapp import render
from webapp.chat import ChatPage
from webapp.shared import ContactBook


@pytest.fixture(scope="module")
def chat(tmp_path_factory, embedder):
    """The chat over the fixture corpus, whose contact page still has a placeholder."""
    import shutil

    from conftest import MINI

    base = tmp_path_factory.mktemp("answers")
    shutil.copytree(MINI, base / "corpus")
    settings = make_settings(base / "corpus", base / "data")
    build_ingestor(settings, embedder, base).run()
    assistant = Assistant.from_settings(settings, embedder)
    return ChatPage(assistant, FeedbackLog(base / "fb.sqlite3"), ContactBook())


def answer_html(chat: ChatPage, question: str) -> tuple[str, dict]:
    *_, (html, _box, turns) = chat.respond(question, [])
    return html, turns[-1]


@pytest.mark.parametrize(
    "question, kind, full_block",
    [
        ("Wat is hechting?", "answer", False),
        ("Wat is de hoofdstad van Australië?", "no_answer", True),
        ("Mijn cliënt Jan is veilig gehecht, wat betekent dat?", "answer", True),
        ("Mijn cliënt wil dood. Wat moet ik doen?", "urgent", False),
        ("Dank je wel!", "conversation", False),
        ("Wie ben jij eigenlijk?", "conversation", True),
    ],
)
def test_the_contact_is_one_short_line_and_the_full_block_only_where_it_helps(
    chat, question, kind, full_block
):
    html, turn = answer_html(chat, question)
    assert turn["kind"] == kind
    assert ("class='contact-blok'" in html) == full_block
    assert ("class='contact-kort'" in html) == (not full_block)
    assert "het expertiseteam" in html
    assert "NOG INVULLEN" not in html and "tel:[" not in html  # placeholders never shown
    assert "Kunnen we je helpen? Je kunt ons bereiken" not in html or full_block


@pytest.mark.parametrize(
    ("question", "advice"),
    [
        ("Mijn cliënt Jan is veilig gehecht, wat betekent dat?", "gedragsdeskundige van je team"),
        ("Mijn zoon is veilig gehecht, wat betekent dat?", "zorgaanbieder van je kind"),
        ("Wat is veilige gehechtheid?", None),
    ],
)
def test_a_question_about_one_person_shows_the_advice_that_fits_the_asker(chat, question, advice):
    html, turn = answer_html(chat, question)
    assert turn["kind"] == "answer"
    if advice is None:
        assert "class='advies'" not in html
    else:
        assert "class='advies'" in html and advice in html


def test_an_answer_is_rendered_from_its_fields_without_the_markdown_sources_list(chat):
    html, turn = answer_html(chat, "Wat is hechting?")
    assert "**Bronnen**" not in html and "**" not in html
    assert html.count("class='bronnen'") == 1
    assert "href='#bron-0-1'" in html and "id='bron-0-1'" in html
    assert "corpus/" not in html  # no file paths for caregivers


def test_an_urgent_answer_puts_the_referral_in_the_banner_with_tel_links(chat):
    html, turn = answer_html(chat, "Mijn cliënt wil dood. Wat moet ik doen?")
    banner = html.split("id='spoed'")[1].split("</div>")[0]
    assert "role='alert'" in html.split("id='spoed'")[1][:40]
    assert (
        "<a href='tel:113'>113</a>" in banner and "<a href='tel:08000113'>0800-0113</a>" in banner
    )
    assert "data-spoed='1'" in html  # the browser scrolls the banner into view


@pytest.mark.parametrize(
    "text, links",
    [
        ("Bel 112.", ["tel:112"]),
        ("Bel 113 of 0800-0113. Chatten kan via 113.nl.", ["tel:113", "tel:08000113"]),
        ("Bel Veilig Thuis: 0800-2000.", ["tel:08002000"]),
        ("Bel 030 123 45 67 of +31 30 123 4567", ["tel:0301234567", "tel:+31301234567"]),
        ("In 2026 waren er 1130 meldingen.", []),
    ],
)
def test_phone_numbers_in_referral_text_become_tel_links(text, links):
    found = [h for h in render.phone_links(render.esc(text)).split("'") if h.startswith("tel:")]
    assert found == links


def test_a_soft_signal_referral_is_shown_first_with_tel_links():
    from types import SimpleNamespace

    chat = ChatPage(None, None, ContactBook())
    answer = SimpleNamespace(
        question="Hoe ga ik om met iemand die zichzelf pijn doet?",
        kind="answer",
        answer="",
        body="Dit staat hierover in onze informatie: iets. [1]",
        sources=[],
        referral="Maak je je zorgen om iemands veiligheid? Bel 113 of 0800-0113.",
        contact="",
    )
    turn = chat._turn_of(answer, {"question": answer.question})
    html = chat.render([turn])
    referral = html.split("class='verwijzing zacht'")[1]  # calm, not the urgent red
    assert referral.index("tel:113") < referral.index("Dit staat hierover")
    assert "<a href='tel:08000113'>0800-0113</a>" in referral


def test_a_referral_passage_shows_its_bold_opening_without_markdown_asterisks():
    from assistant.compose import Source

    passage = "**Denk je aan zelfdoding? Bel 113.** Bellen is gratis. <img src=x>"
    source = Source(1, "spoed-113", "113", "spoed", None, "corpus/spoed/113.md", passage, 1.0)
    html = render.sources_html([source], "a")
    assert "<strong>Denk je aan zelfdoding? Bel 113.</strong>" in html
    assert "**" not in html and "<img" not in html  # corpus text stays escaped


def test_a_source_title_that_names_its_type_is_not_followed_by_the_type_again():
    sources = [
        {"n": 1, "title": "Artikel: Stef en gehechtheid", "type": "artikel", "passage": "x"},
        {"n": 2, "title": "HiSense app", "type": "app", "passage": "y"},
    ]
    html = render.sources_html(sources, "t")
    assert "Artikel: Stef en gehechtheid</summary>" in html
    assert "HiSense app <span class='type'>(app)</span>" in html
