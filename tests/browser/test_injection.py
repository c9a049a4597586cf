"""A paragraph holding `<script>` and `<img onerror>` is shown as text and runs nothing, on the page and in the widget."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser import page_driver
from tests.browser import widget_driver as widget
from tests.conftest import HOSTILE_QUESTION, PAYLOADS

# Starts processes (servers, the CLI, a browser): `make test` runs it, `make quick` leaves it out.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def widget_page(host_sites, server) -> str:
    return host_sites.allowed + host_sites.page("injection.html", f"{server.url}/widget.js", open="true")


def test_page_shows_the_payload_as_text(visit, server):
    page = visit.page
    page.goto(server.url + "/")
    page_driver.ask(page, HOSTILE_QUESTION)
    for payload in PAYLOADS:
        expect(page.get_by_text(payload).filter(visible=True).first).to_be_visible()
    assert page.evaluate("() => window.__pwned") is None
    assert visit.outside(server.url) == []


def test_question_markup_is_shown_as_text_on_the_page(visit, server):
    page = visit.page
    page.goto(server.url + "/")
    page_driver.ask(page, f"{HOSTILE_QUESTION} {PAYLOADS[1]}")
    expect(page.get_by_text(PAYLOADS[1]).filter(visible=True).first).to_be_visible()
    assert page.evaluate("() => window.__pwned") is None


def test_widget_shows_the_payload_as_text(visit, widget_page, server, host_sites):
    page = visit.page
    page.goto(widget_page)
    answer = widget.ask(page, f"{HOSTILE_QUESTION} {PAYLOADS[1]}")
    chat = widget.chat(page)
    expect(chat.locator(".turn.user")).to_contain_text(PAYLOADS[1])
    source = widget.open_source(answer, 1)
    for payload in PAYLOADS:
        expect(source).to_contain_text(payload)
    embed = next(frame for frame in page.frames if frame.url.startswith(f"{server.url}/embed"))
    assert embed.evaluate("() => window.__pwned") is None
    assert embed.evaluate("() => document.querySelectorAll('#log script, #log img').length") == 0
    assert page.evaluate("() => window.__pwned") is None
    visit.screenshot("widget-injection.png")
    assert visit.outside(server.url, host_sites.allowed) == []
