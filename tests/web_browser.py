"""Shared helpers for the browser tests: one headless Chromium, the two screen sizes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def launch(playwright):
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("chromium is missing: .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def open_page(browser, url: str, size: str = "desktop", locale: str = "nl-NL"):
    context = browser.new_context(viewport=SIZES[size], locale=locale)
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(url)
    page.wait_for_selector("#vraag textarea, #mail textarea, #wachtwoord input")
    return page


def ask(page, question: str) -> None:
    before = page.locator("#gesprek .beurt .antwoord:not([aria-busy])").count()
    page.locator("#vraag textarea").fill(question)
    page.locator("#verstuur").click()
    page.wait_for_function(
        "n => document.querySelectorAll('#gesprek .beurt .antwoord:not([aria-busy])').length > n",
        arg=before,
    )
    page.wait_for_timeout(300)  # let the scroll into view settle


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    size = page.viewport_size
    return (
        box is not None
        and box["y"] >= 0
        and box["y"] + box["height"] <= size["height"]
        and box["x"] >= 0
        and box["x"] + box["width"] <= size["width"]
    )
