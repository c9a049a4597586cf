"""The chat page at `/` in a real browser: ask, see `[1]`, click it, read the highlighted source."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import page_driver

# Starts processes (servers, the CLI, a browser): `make test` runs it, `make quick` leaves it out.
pytestmark = pytest.mark.slow


def test_clicking_a_marker_opens_the_cited_paragraph_with_the_quote_marked(visit, server, gold):
    page = visit.page
    page.goto(server.url + "/")
    page_driver.ask(page, gold["question"])

    # The paragraph cited as [1], shown open with the sentences used marked.
    opened = page.locator("details[open]:has(mark)").filter(visible=True).first
    expect(opened.locator("summary")).to_have_text(re.compile(r"^\s*\[?1\]?\s"))
    source = page.locator(f"[id='{opened.get_attribute('id')}']")
    expect(source).to_contain_text(gold["answer"])
    # Fold it away, as a reader might; [1] must bring it back.
    source.locator("summary").click()
    expect(source).not_to_have_attribute("open", "")

    page_driver.marker(page, 1).click()
    expect(source).to_have_attribute("open", "")
    expect(source.locator("mark").first).to_be_visible()
    expect(source.locator("mark").first).to_be_in_viewport()
    visit.screenshot("page.png")

    assert visit.outside(server.url) == []


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 390, "height": 760}, is_mobile=True, has_touch=True)
    context.set_default_timeout(30_000)
    yield context.new_page()
    context.close()


def _ask_and_wait(page, question: str, complete: str = ".cw-sources"):
    answers = page.locator("#cw-chat .cw-answer")
    before = answers.count()
    box = page.get_by_role("textbox").first
    box.fill(question)
    box.press("Enter")
    answer = answers.nth(before)
    answer.locator(complete).wait_for()
    return answer


def test_on_a_phone_a_new_answer_scrolls_into_view_though_a_source_is_open(phone, server):
    phone.goto(server.url + "/")
    _ask_and_wait(phone, "When was the defense treaty signed?")
    page_driver.marker(phone, 1).click()  # opens the paragraph under the answer: the chat leaves its end
    answer = _ask_and_wait(phone, "What does the alliance do for the economy?")
    # Without the page's follow, this answer lay wholly below the chat's visible part (0 px shown);
    # with it, the answer's first line comes to the top of the chat box once its sources are in.
    # (The newest answer is looked up each time: Gradio replaces the element as it re-renders.)
    starts_at_top = """() => { const a = [...document.querySelectorAll('#cw-chat .cw-answer')].pop();
                               const box = a.closest('.bubble-wrap').getBoundingClientRect();
                               return Math.abs(a.getBoundingClientRect().top - box.top) < 40; }"""
    phone.wait_for_function(starts_at_top, timeout=5_000)
    expect(answer).to_be_in_viewport(ratio=0.3)


def test_a_notice_is_offered_no_votes_or_retry(phone, server):
    phone.goto(server.url + "/")
    _ask_and_wait(phone, "When was the defense treaty signed?")
    box = phone.get_by_role("textbox").first
    # Over the length limit: the text box's maxlength is taken off, as a script could.
    box.evaluate("e => e.removeAttribute('maxlength')")
    box.fill("x" * 1001)
    box.press("Enter")
    expect(phone.locator("#cw-chat .cw-notice")).to_contain_text("1000")
    notice_buttons = phone.locator("#cw-chat .message-row:has(.cw-notice) + .message-buttons")
    expect(notice_buttons).to_be_hidden()
    answer_buttons = phone.locator("#cw-chat .message-row:has(.cw-answer:not(.cw-notice)) + .message-buttons")
    expect(answer_buttons.get_by_role("button", name="Like", exact=True)).to_be_visible()
