"""The real app in a real headless Chromium: what caregivers, helpdesk and curators do."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def app(mini_app):
    return mini_app


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture()
def page(browser, app):
    context = browser.new_context(viewport={"width": 1200, "height": 1300}, locale="nl-NL")
    pg = context.new_page()
    pg.set_default_timeout(60_000)
    pg.goto(app.url)
    yield pg
    context.close()


def ask(page, question: str) -> None:
    before = page.locator("#gesprek .message-row").count()
    page.locator("#vraag textarea").fill(question)
    page.locator("#verstuur").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#gesprek .message-row').length >= n + 2", arg=before
    )


def test_a_question_gets_an_answer_with_a_source_and_its_passage(page, output_dir):
    ask(page, "Wat is hechting?")
    bot = page.locator("#gesprek .message-row").last
    assert "emotionele, affectieve en duurzame band" in bot.inner_text()
    assert "Contact met het expertiseteam" in bot.inner_text()
    summary = page.locator("#bronnen details summary").first
    assert "[1] Wat is hechting?" in summary.inner_text()
    passage = page.locator("#bronnen details blockquote").first
    assert not passage.is_visible()
    summary.click()
    assert passage.is_visible() and "duurzame band" in passage.inner_text()
    page.screenshot(path=str(output_dir / "chat.png"), full_page=True)


def test_script_in_a_question_is_shown_as_text_and_never_runs(page):
    ask(
        page,
        "<script>window.__xss = 1</script><img src=x onerror='window.__xss=2'> wat is hechting",
    )
    assert page.evaluate("window.__xss === undefined")
    user = page.locator("#gesprek .message-row").nth(-2)
    assert "<script>window.__xss = 1</script>" in user.inner_text()


def test_thumbs_down_is_stored_and_shown_to_curators(page, app):
    ask(page, "Wat doet de HiSense app?")
    page.locator("#toelichting textarea").fill("Te kort antwoord")
    page.locator("#gesprek button[aria-label='Vind ik niet leuk']").last.click()
    page.wait_for_timeout(1500)
    page.get_by_role("tab", name="Redactie").click()
    page.locator("#wachtwoord input").fill(app.password)
    page.locator("#toon-overzicht").click()
    page.wait_for_function(
        "() => document.querySelector('#afgekeurd').innerText.includes('HiSense')"
    )
    table = page.locator("#afgekeurd").inner_text()
    assert "Wat doet de HiSense app?" in table and "Te kort antwoord" in table


def test_curators_see_unanswered_questions_only_with_the_password(page, app):
    ask(page, "Wat is de hoofdstad van Australië?")
    page.get_by_role("tab", name="Redactie").click()
    page.locator("#wachtwoord input").fill("fout")
    page.locator("#toon-overzicht").click()
    page.wait_for_function(
        "() => document.querySelector('#redactie-status').innerText.includes('Onjuist wachtwoord')"
    )
    assert "Australië" not in page.locator("#onbeantwoord").inner_text()
    page.locator("#wachtwoord input").fill(app.password)
    page.locator("#toon-overzicht").click()
    page.wait_for_function(
        "() => document.querySelector('#onbeantwoord').innerText.includes('Australië')"
    )


def test_the_helpdesk_tab_turns_an_email_into_a_draft(page):
    page.get_by_role("tab", name="Helpdesk").click()
    page.locator("#mail textarea").fill(
        "Beste team,\n\nIs er een app die helpt signalen te herkennen?\n\nGroet,\nJan"
    )
    page.locator("#maak-concept").click()
    page.wait_for_function(
        "() => document.querySelector('#concept textarea').value.includes('CONCEPT')"
    )
    draft = page.locator("#concept textarea").input_value()
    assert "HiSense" in draft and "[1]" in draft and "Met vriendelijke groet" in draft
    assert "HiSense app" in page.locator("#concept-bronnen").inner_text()


def test_a_follow_up_question_uses_the_previous_turn(page):
    ask(page, "Wat is veilige gehechtheid?")
    ask(page, "en waarom is dat belangrijk?")
    assert "veilig gehecht" in page.locator("#gesprek .message-row").last.inner_text()
