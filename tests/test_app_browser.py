"""The real app in a real headless Chromium: what caregivers, helpdesk and curators do."""

from __future__ import annotations

import http.server
import re
import shutil
import threading

import pytest
from app_server import AppServer
from chroma_server import free_port
from conftest import MINI
from web_browser import ask, in_viewport, launch, open_page

pytestmark = pytest.mark.browser

TEAM_PAGE = """---
id: contact-expertiseteam
title: Contact met het expertiseteam hechting
type: contact
---

Kunnen we je helpen?

Wil je meer weten? Net wat jij prettig vindt.

- Telefoon: 030 123 45 67
- E-mail: hechting@example.nl
- Social media: [NOG INVULLEN: kanalen]
"""


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The app over the fixture corpus with the team's phone and e-mail filled in."""
    base = tmp_path_factory.mktemp("web")
    corpus = base / "corpus"
    shutil.copytree(MINI, corpus)
    (corpus / "contact" / "team.md").write_text(TEAM_PAGE, encoding="utf-8")
    server = AppServer(corpus, base / "data").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture()
def page(browser, app):
    pg = open_page(browser, app.url)
    yield pg
    pg.context.close()


def test_an_answer_has_clickable_citations_one_sources_list_and_a_short_contact_line(
    page, output_dir
):
    ask(page, "Wat is hechting?")
    answer = page.locator("#antwoord-0")
    assert "emotionele, affectieve en duurzame band" in answer.inner_text()
    # one short contact line, with tel: and mailto: links, and no placeholder anywhere
    line = answer.locator(".contact-kort")
    assert line.count() == 1
    assert line.locator("a[href='tel:0301234567']").count() == 1
    assert line.locator("a[href='mailto:hechting@example.nl']").count() == 1
    assert "NOG INVULLEN" not in page.locator("body").inner_text()
    assert "Net wat jij prettig vindt" not in answer.inner_text()
    # sources: listed once, titles and type in Dutch, no file paths for caregivers
    assert answer.locator(".bronnen").count() == 1
    assert "(informatie)" in answer.locator(".bronnen summary").first.inner_text()
    assert "corpus/" not in page.locator("#gesprek").inner_text()
    # what a screen reader reads is the text, not raw Markdown
    assert "**" not in page.locator("#gesprek").inner_text()
    assert page.locator("#gesprek [aria-label*='*']").count() == 0
    passage = answer.locator("details.bron blockquote").first
    assert not passage.is_visible()
    answer.locator("a.bronlink").first.click()
    assert passage.is_visible() and "duurzame band" in passage.inner_text()


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_an_urgent_answer_shows_a_red_banner_with_tel_links_in_view(browser, app, size, output_dir):
    page = open_page(browser, app.url, size)
    ask(page, "Wat is hechting?")
    ask(page, "Wat is veilige gehechtheid?")
    ask(page, "Mijn cliënt wil dood. Wat moet ik doen?")
    banner = page.locator("#spoed")
    assert banner.get_attribute("role") == "alert"
    assert "Bel 113" in banner.inner_text()
    assert banner.locator("a[href='tel:113']").count() == 1
    assert banner.locator("a[href='tel:08000113']").count() == 1
    assert in_viewport(page, "#spoed a[href='tel:113']")
    assert in_viewport(page, "#beurt-2 .vraag")  # the urgent answer starts right below it
    top = page.locator("#antwoord-2").bounding_box()["y"]
    assert top < page.viewport_size["height"] * 0.75
    assert banner.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(164, 22, 26)"
    page.screenshot(path=str(output_dir / f"chat-urgent-{size}.png"))
    page.context.close()


def test_the_question_box_stays_on_screen_as_the_conversation_grows(browser, app):
    """On a phone with the keyboard open (about 420 px left) the box to type in stays visible."""
    context = browser.new_context(viewport={"width": 390, "height": 420}, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(app.url)
    page.wait_for_selector("#vraag textarea")
    questions = ("Wat is hechting?", "Wat is veilige gehechtheid?", "Wat doet de HiSense app?")
    for q in questions * 2:
        ask(page, q)
        assert in_viewport(page, "#vraag textarea") and in_viewport(page, "#verstuur")
    context.close()


def test_each_new_answer_scrolls_into_view_at_its_start(page):
    for q in ("Wat is hechting?", "Wat is veilige gehechtheid?", "Wat doet de HiSense app?"):
        ask(page, q)
    assert in_viewport(page, "#beurt-2 .vraag")
    top = page.locator("#antwoord-2").bounding_box()["y"]
    assert 0 <= top < page.viewport_size["height"] / 2
    # after scrolling up, the next answer still comes into view
    page.mouse.wheel(0, -5000)
    page.wait_for_timeout(300)
    ask(page, "Wat is hechting?")
    assert in_viewport(page, "#beurt-3 .vraag")


def test_feedback_takes_a_comment_after_the_thumb_and_curators_see_it(page, app, output_dir):
    ask(page, "Wat doet de HiSense app?")
    page.locator("#antwoord-0 button[data-duim='neer']").focus()
    page.keyboard.press("Enter")
    thanks = page.locator("#antwoord-0 .bevestiging")
    thanks.wait_for()
    assert "Dank je wel voor je beoordeling" in thanks.inner_text()
    # A keyboard user continues in the comment field, not at the top of the page.
    page.wait_for_function("() => document.activeElement.id === 'toelichting-0'")
    page.locator("#toelichting-0").fill("Te kort antwoord")
    page.locator("#antwoord-0 button[data-verstuur='0']").click()
    page.wait_for_function(
        "() => document.querySelector('#antwoord-0').innerText"
        ".includes('Dank je wel voor je toelichting')"
    )
    confirmation = page.locator("#antwoord-0 .bevestiging")
    assert "Dank je wel voor je toelichting" in confirmation.inner_text()
    # Focus goes on to the next question, not back to the top of the page.
    page.wait_for_function("() => document.activeElement.closest('#vraag') !== null")
    page.wait_for_timeout(5500)
    assert not confirmation.is_visible()  # the confirmation goes away by itself

    page.goto(app.url + "redactie")
    page.locator("#wachtwoord input").fill(app.password)
    page.locator("#toon-overzicht").click()
    page.wait_for_function(
        "() => document.querySelector('#afgekeurd').innerText.includes('HiSense')"
    )
    table = page.locator("#afgekeurd").inner_text()
    assert "Wat doet de HiSense app?" in table and "Te kort antwoord" in table
    assert "hisense-app" in table  # the sources that were given
    assert "helpt" in table.lower()  # the answer that was given


def test_curators_see_chat_and_helpdesk_questions_in_local_time_on_a_phone(
    browser, app, output_dir
):
    chat = open_page(browser, app.url)
    ask(chat, "Wat is de hoofdstad van Australië?")
    chat.context.close()
    desk = open_page(browser, app.url + "helpdesk")
    desk.locator("#mail textarea").fill(
        "Beste team,\n\nHoe laat vertrekt de trein naar Parijs?\n\nGroet"
    )
    desk.locator("#maak-concept").click()
    desk.wait_for_function("() => document.querySelector('#concept textarea').value.length > 0")
    desk.context.close()

    page = open_page(browser, app.url + "redactie", "phone")
    page.locator("#wachtwoord input").fill("fout")
    page.locator("#toon-overzicht").click()
    page.wait_for_function(
        "() => document.querySelector('#redactie-status').innerText.includes('Onjuist wachtwoord')"
    )
    assert "Australië" not in page.locator("#onbeantwoord").inner_text()
    page.locator("#wachtwoord input").fill(app.password)
    page.locator("#toon-overzicht").click()
    page.wait_for_function(
        "() => document.querySelector('#onbeantwoord').innerText.includes('Parijs')"
    )
    table = page.locator("#onbeantwoord").inner_text()
    assert "Australië" in table and "chat" in table and "helpdesk" in table
    assert re.search(r"\d{2}-\d{2}-\d{4} \d{2}:\d{2}", table)  # local time, not raw UTC
    assert "+00:00" not in table and "T" not in re.findall(r"\d{2}:\d{2}\S*", table)[0]
    assert "stukken ingebed" not in page.locator("#redactie-status").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(output_dir / "redactie-phone.png"), full_page=True)
    page.context.close()


def test_reindexing_reports_in_plain_dutch_and_refreshes_the_tables(browser, app):
    page = open_page(browser, app.url + "redactie")
    page.locator("#wachtwoord input").fill(app.password)
    page.locator("#herindexeer").click()
    page.wait_for_function(
        "() => document.querySelector('#redactie-status').innerText.includes('De index is bijgewerkt')"
    )
    assert "Wat is hechting?" in page.locator("#index-documenten").inner_text()
    page.context.close()


def test_the_helpdesk_page_gives_an_editable_draft_beside_its_sources(browser, app):
    page = open_page(browser, app.url + "helpdesk")
    page.locator("#mail textarea").fill(
        "Beste team,\n\nIs er een app die helpt signalen te herkennen?\n\nGroet,\nJan"
    )
    page.locator("#maak-concept").click()
    page.wait_for_function(
        "() => document.querySelector('#concept textarea').value.includes('CONCEPT')"
    )
    draft = page.locator("#concept textarea")
    text = draft.input_value()
    assert "HiSense" in text and "[1]" in text and "Met vriendelijke groet" in text
    assert "NOG INVULLEN" not in text and "030 123 45 67" in text  # the full contact block
    assert "HiSense app" in page.locator("#concept-bronnen").inner_text()
    draft.fill(text + "\nAangepast door de helpdesk.")
    assert draft.input_value().endswith("Aangepast door de helpdesk.")
    assert page.locator("#concept button[aria-label]").count() >= 1  # the copy button
    page.context.close()


def test_the_helpdesk_accepts_an_eml_file(browser, app, tmp_path):
    eml = tmp_path / "vraag.eml"
    eml.write_text(
        "From: a@example.nl\nTo: b@example.nl\nSubject: Vraag over een app\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Beste team,\n\nIs er een app die helpt signalen te herkennen?\n\nGroet\n",
        encoding="utf-8",
    )
    page = open_page(browser, app.url + "helpdesk")
    page.locator("#eml input[type=file]").set_input_files(str(eml))
    page.wait_for_timeout(1500)
    page.locator("#maak-concept").click()
    page.wait_for_function(
        "() => document.querySelector('#concept textarea').value.includes('HiSense')"
    )
    page.context.close()


def test_an_example_question_is_asked_as_soon_as_it_is_chosen(page):
    page.get_by_role("button", name="Is er een app die helpt signalen te herkennen?").click()
    page.wait_for_function(
        "() => document.querySelectorAll('#gesprek .beurt .antwoord:not([aria-busy])').length > 0"
    )
    assert "HiSense" in page.locator("#antwoord-0").inner_text()
    assert page.locator("#vraag textarea").input_value() == ""  # sent, as if typed


def test_the_helpdesk_speaks_dutch_to_screen_readers_too(browser, app):
    """Gradio names its copy button and upload area in English whatever the language, and its
    Dutch translation lacks the status "complete": all of it reaches the page in Dutch."""
    page = open_page(browser, app.url + "helpdesk", locale="en-US")
    page.locator("#mail textarea").fill("Is er een app die helpt signalen te herkennen?")
    page.locator("#maak-concept").click()
    page.wait_for_function(
        "() => document.querySelector('#concept textarea').value.includes('CONCEPT')"
    )
    page.wait_for_timeout(500)
    names = page.evaluate(
        "() => [...document.querySelectorAll('[aria-label], [title]')]"
        ".map(e => (e.getAttribute('aria-label') || '') + ' ' + (e.getAttribute('title') || ''))"
    )
    spoken = " ".join(names) + page.evaluate("() => document.body.textContent")
    for english in ("Copy", "Click to upload", "common.", "drop files"):
        assert english not in spoken, english
    assert page.locator("#concept textarea").get_attribute("aria-label")  # a name of its own
    page.context.close()


def test_caregivers_see_no_helpdesk_curator_or_api_links(page, app):
    text = page.locator("body").inner_text()
    for hidden in ("Helpdesk", "Redactie", "API", "Gradio"):
        assert hidden not in text
    assert page.locator("a[href*='view=api']").count() == 0


def test_the_app_is_dutch_in_an_english_browser(browser, app):
    page = open_page(browser, app.url, locale="en-US")
    assert page.evaluate("document.documentElement.lang") == "nl"
    ask(page, "Wat is hechting?")
    labels = page.evaluate(
        "() => [...document.querySelectorAll('[aria-label], button, [title], textarea[placeholder]')]"
        ".map(e => [e.getAttribute('aria-label'), e.getAttribute('title'), e.innerText,"
        " e.getAttribute('placeholder')].join(' '))"
    )
    everything = " ".join(labels) + page.locator("body").inner_text()
    for english in (
        "Copy",
        "Clear",
        "Like",
        "Dislike",
        "Use via API",
        "More tabs",
        "Submit",
        "Loading",
    ):
        assert english not in everything, english
    page.context.close()


def test_script_in_a_question_is_shown_as_text_and_never_runs(page):
    ask(
        page,
        "<script>window.__xss = 1</script><img src=x onerror='window.__xss=2'> wat is hechting",
    )
    assert page.evaluate("window.__xss === undefined")
    assert "<script>window.__xss = 1</script>" in page.locator("#beurt-0 .vraag").inner_text()


@pytest.fixture()
def tracker():
    """A local web server that counts every request: an image or link that loads shows up."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()


def test_markdown_images_and_links_a_user_types_are_shown_as_text_and_never_load(page, tracker):
    base, hits = tracker
    typed = f"![foto]({base}/pixel.png) [klik]({base}/link) wat is hechting"
    ask(page, typed)
    page.wait_for_timeout(1000)
    question = page.locator("#beurt-0 .vraag")
    assert question.locator("img, a").count() == 0
    assert typed in question.inner_text()
    assert hits == []


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_screenshots_of_every_page(browser, app, size, output_dir):
    page = open_page(browser, app.url, size)
    ask(page, "Wat is hechting?")
    page.screenshot(path=str(output_dir / f"chat-{size}.png"), full_page=True)
    page.goto(app.url + "helpdesk")
    page.locator("#mail textarea").fill("Beste team,\n\nWat is hechting?\n\nGroet")
    page.locator("#maak-concept").click()
    page.wait_for_function("() => document.querySelector('#concept textarea').value.length > 0")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(output_dir / f"helpdesk-{size}.png"), full_page=True)
    page.goto(app.url + "redactie")
    page.locator("#wachtwoord input").fill(app.password)
    page.locator("#toon-overzicht").click()
    page.wait_for_function("() => document.querySelector('#index-documenten').innerText.length > 0")
    page.screenshot(path=str(output_dir / f"redactie-{size}.png"), full_page=True)
    page.context.close()


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    page.wait_for_timeout(800)  # let Gradio's "busy" dimming of updated outputs fade out
    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_axe_finds_no_serious_violations_on_chat_helpdesk_and_curator_pages(browser, app, size):
    page = open_page(browser, app.url, size)
    ask(page, "Wat is hechting?")
    page.locator("#antwoord-0 button[data-duim='op']").click()
    page.locator("#toelichting-0").wait_for()
    ask(page, "Mijn cliënt wil dood. Wat moet ik doen?")
    found = {"chat": serious_violations(page)}
    page.goto(app.url + "helpdesk")
    page.locator("#mail textarea").fill("Beste team,\n\nWat is hechting?\n\nGroet")
    page.locator("#maak-concept").click()
    page.wait_for_function("() => document.querySelector('#concept textarea').value.length > 0")
    found["helpdesk"] = serious_violations(page)
    page.goto(app.url + "redactie")
    page.locator("#wachtwoord input").fill(app.password)
    page.locator("#toon-overzicht").click()
    page.wait_for_function("() => document.querySelector('#index-documenten').innerText.length > 0")
    found["redactie"] = serious_violations(page)
    page.context.close()
    assert found == {"chat": [], "helpdesk": [], "redactie": []}


def test_focus_is_clearly_visible(page):
    page.locator("#vraag textarea").focus()
    page.keyboard.press("Tab")
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    assert outline[0] != "none" and outline[1] >= 2
