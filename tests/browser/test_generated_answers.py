"""A generated answer in real Chromium: the page and the widget show the LLM's draft while it
writes (a scripted LLM on loopback, slowed so the draft can be seen), then only what the check
kept, with its sources."""

from __future__ import annotations

from dataclasses import replace

import pytest
from playwright.sync_api import expect

from tests.browser import page_driver
from tests.live_server import running_server
from tests.scripted_llm import mixed_reply, scripted_llm

# Starts processes (servers, the CLI, a browser, Chromium printing, a Ray cluster): `make quick` leaves it out.
pytestmark = pytest.mark.slow

TREATY = "When was the defense treaty signed?"


def record_texts(page, selector: str) -> None:
    """Keep every text an element matching ``selector`` shows, in ``window.shownTexts``: a draft
    sentence is on screen for a moment only, and a busy machine may poll past it."""
    page.evaluate(
        """selector => {
            window.shownTexts = [];
            new MutationObserver(() => document.querySelectorAll(selector).forEach(e => window.shownTexts.push(e.textContent)))
                .observe(document.body, {subtree: true, childList: true, characterData: true});
        }""",
        selector,
    )


def shown(page) -> str:
    return " | ".join(page.evaluate("window.shownTexts"))


@pytest.fixture(scope="module")
def generating_server(served_data_dir):
    with scripted_llm(lambda request: replace(mixed_reply(request), pause=0.4)) as llm, running_server(
        served_data_dir, "--llm-url", llm.url, "--llm-timeout", "30", "--rate-limit", "0"
    ) as server:
        yield server


def test_the_widget_shows_the_draft_then_only_the_checked_answer(visit, generating_server):
    page = visit.page
    page.goto(f"{generating_server.url}/embed")
    page.locator("#question").fill(TREATY)
    record_texts(page, ".turn.assistant.loading")
    page.locator("#send").click()
    answer = page.locator(".turn.assistant:not(.loading)").first
    answer.wait_for()
    assert "Moon" in shown(page), "the unchecked draft was shown as it arrived"
    expect(answer.get_by_role("button", name="[1]")).to_be_visible()
    assert "Moon" not in answer.inner_text() and "[9]" not in answer.inner_text()


def test_the_page_shows_the_draft_dimmed_then_only_the_checked_answer(visit, generating_server):
    page = visit.page
    page.goto(generating_server.url)
    box = page.get_by_role("textbox").first
    box.fill(TREATY)
    record_texts(page, ".cw-draft")
    box.press("Enter")
    page_driver.marker(page).wait_for()
    assert "Moon" in shown(page), "the unchecked draft was shown, dimmed, as it arrived"
    answer = page.locator(".cw-answer").last
    expect(answer.locator(".cw-sources")).to_have_count(1)
    assert "Moon" not in answer.inner_text()
