"""The chat page at `/` in a real browser: ask, see `[1]`, click it, read the highlighted source."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser import page_driver


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
