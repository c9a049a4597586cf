"""Open the source in a real browser: from an answer's [1] on the page and in the widget, the whole
document opens in a new tab at the cited paragraph, its used sentences marked; a PDF's original at its page."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.browser import page_driver
from tests.live_server import LiveServer, running_server

# Starts processes (servers, the CLI, a browser, Chromium printing, a Ray cluster): `make quick` leaves it out.
pytestmark = pytest.mark.slow

QUESTION = "What approval do first-class train tickets need?"


@pytest.fixture(scope="module")
def mixed_server(mixed_data_dir, mixed_corpus) -> Iterator[LiveServer]:
    with running_server(mixed_data_dir, "--corpus", str(mixed_corpus), "--rate-limit", "0") as live:
        yield live


def check_source_tab(tab, server: LiveServer) -> None:
    """The new tab shows handbook.pdf scrolled to paragraph 3 (page 2), the quoted sentence marked."""
    tab.wait_for_load_state()
    assert re.match(rf"^{re.escape(server.url)}/source/handbook\.pdf\?paragraph=3&mark=[\d,-]+#p-3$", tab.url), tab.url
    cited = tab.locator("#p-3")
    expect(cited).to_have_class("cited")
    expect(cited).to_be_in_viewport()
    assert tab.evaluate("window.scrollY") > 0  # scrolled there: the document is taller than the window
    expect(cited.locator("mark").first).to_contain_text("department head")
    expect(tab.locator("section")).to_have_count(4)  # the whole document, not just the paragraph
    expect(tab.locator("#p-1")).to_contain_text("twelve euros")


def test_the_page_opens_the_cited_document_at_its_paragraph_and_the_pdf_at_its_page(visit, mixed_server):
    page = visit.page
    page.set_viewport_size({"width": 1100, "height": 400})  # short: the cited paragraph must be scrolled to
    page.goto(mixed_server.url + "/")
    page_driver.ask(page, QUESTION)
    opened = page.locator("details[open]:has(mark)").filter(visible=True).first
    expect(opened.locator("summary")).to_contain_text("p. 2")
    original = opened.get_by_role("link", name="the PDF at this page")
    assert original.get_attribute("href") == "/original/handbook.pdf#page=2"
    pdf = page.request.get(mixed_server.url + "/original/handbook.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body().startswith(b"%PDF")
    with page.context.expect_page() as new_tab:
        opened.get_by_role("link", name="open the document").click()
    check_source_tab(new_tab.value, mixed_server)


def test_the_widget_opens_the_cited_document_at_its_paragraph(visit, mixed_server):
    page = visit.page
    page.set_viewport_size({"width": 1100, "height": 400})
    page.goto(mixed_server.url + "/embed")
    page.locator("#question").fill(QUESTION)
    page.locator("#send").click()
    answer = page.locator(".turn.assistant:not(.loading)").first
    answer.get_by_role("button", name="[1]").first.click()
    source = answer.locator('.source[data-n="1"]')
    expect(source).to_contain_text("handbook.pdf, p. 2")
    assert source.get_by_role("link", name="the PDF at this page").get_attribute("href") == "/original/handbook.pdf#page=2"
    with page.context.expect_page() as new_tab:
        source.get_by_role("link", name="open the document").click()
    check_source_tab(new_tab.value, mixed_server)
