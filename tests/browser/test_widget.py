"""The widget on an intranet page of another origin: answers with citations where allowed, nothing where not."""

from __future__ import annotations

import json
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.browser import widget_driver as widget
from tests.live_server import LiveServer, running_server

# Starts processes (servers, the CLI, a browser): `make test` runs it, `make quick` leaves it out.
pytestmark = pytest.mark.slow

ACCENT = "rgb(10, 125, 79)"


@pytest.fixture(scope="module")
def allowed_page(host_sites, server) -> str:
    path = host_sites.page(
        "handbook.html", f"{server.url}/widget.js", title="Ask the handbook", accent="#0a7d4f", position="bottom-left"
    )
    return host_sites.allowed + path


def test_allowed_site_gets_cited_answers_and_follow_ups(visit, allowed_page, server, host_sites, gold):
    page = visit.page
    page.goto(allowed_page)
    launcher = widget.launcher(page)
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    chat = widget.chat(page)
    expect(chat.locator("#title")).to_have_text("Ask the handbook")

    with page.expect_response(f"{server.url}/api/ask") as replied:
        answer = widget.ask(page, gold["question"])
    expect(answer).to_contain_text("[1]")
    source = widget.open_source(answer, 1)
    expect(source).to_contain_text(gold["answer"])
    expect(source.locator("mark").first).to_be_visible()
    # Marked exactly where the JSON's spans say: the quoted sentences, nothing around them.
    # The widget streams: the JSON answer is the data of the last (``answer``) event.
    answer_json = json.loads(replied.value.text().rsplit("data: ", 1)[1])
    assert " ".join(source.locator("mark").all_inner_texts()) == answer_json["citations"][0]["quote"]
    visit.screenshot("widget.png")

    first_answer = answer.locator("p").first.inner_text()
    with page.expect_request(lambda request: request.url == f"{server.url}/api/ask") as asked:
        follow_up = widget.ask(page, "And what does it commit both parties to do?")
    assert asked.value.post_data_json["history"] == [
        {"role": "user", "content": gold["question"]},
        {"role": "assistant", "content": first_answer},
    ]
    expect(follow_up).to_contain_text("[1]")
    expect(chat.locator(".turn.user")).to_have_count(2)

    # The log sees inside the iframe too, so an empty "outside" below means something.
    assert f"{server.url}/api/ask" in visit.requested
    assert visit.outside(server.url, host_sites.allowed) == []


def test_options_reach_the_launcher_through_hostile_host_css_and_the_keyboard_works(visit, allowed_page):
    page = visit.page
    page.goto(allowed_page)
    launcher = widget.launcher(page)
    # The host page paints every button hotpink; the launcher in its shadow root keeps the accent.
    expect(launcher).to_have_css("background-color", ACCENT)
    expect(launcher).to_have_accessible_name("Ask the handbook")
    box = launcher.bounding_box()
    assert box["x"] < page.viewport_size["width"] / 2, "data-position=bottom-left puts the launcher on the left"
    launcher.click()
    chat = widget.chat(page)
    expect(chat.locator(".bar")).to_have_css("background-color", ACCENT)
    expect(chat.locator("#question")).to_be_focused()
    chat.locator("#close").click()
    expect(launcher).to_have_attribute("aria-expanded", "false")
    expect(launcher).to_be_focused()
    launcher.press("Enter")
    chat.locator("#question").press("Escape")
    expect(launcher).to_have_attribute("aria-expanded", "false")


def test_other_origins_are_refused(visit, host_sites, server):
    page = visit.page
    page.goto(host_sites.refused + host_sites.page("refused.html", f"{server.url}/widget.js", open="true"))
    notice = page.locator("[data-citewise-widget] .refused")
    expect(notice).to_contain_text("--allow-origin " + host_sites.refused)
    frame = page.frame_locator("[data-citewise-widget] iframe")
    expect(frame.locator("#question")).to_have_count(0)
    embed_frames = [f for f in page.frames if f.url.startswith(server.url)]
    assert embed_frames == [], "the browser must not have shown the chat inside the refused page"
    assert visit.outside(server.url, host_sites.refused) == []



TOKEN = "widget-s3cret"
TOKEN_RATE_LIMIT = 3


@pytest.fixture(scope="module")
def token_server(served_data_dir, host_sites) -> Iterator[LiveServer]:
    """A server that needs a token and takes three questions a minute per client."""
    with running_server(
        served_data_dir, "--allow-origin", host_sites.allowed, "--token", TOKEN, "--rate-limit", str(TOKEN_RATE_LIMIT)
    ) as live:
        yield live


def test_token_is_required_and_every_refusal_is_explained_without_losing_the_question(visit, token_server, host_sites, gold):
    question = gold["question"]
    page = visit.page
    chat = widget.chat(page)
    page.goto(host_sites.allowed + host_sites.page("no-token.html", f"{token_server.url}/widget.js", open="true"))
    widget.send(page, question)
    expect(chat.locator(".turn.error")).to_contain_text("access token")
    expect(chat.locator("#question")).to_have_value(question)

    page.goto(host_sites.allowed + host_sites.page("token.html", f"{token_server.url}/widget.js", open="true", token=TOKEN))
    frame_src = urlsplit(page.locator("[data-citewise-widget] iframe").get_attribute("src"))
    assert TOKEN not in frame_src.query and f"token={TOKEN}" in frame_src.fragment
    for _ in range(TOKEN_RATE_LIMIT - 1):
        expect(widget.ask(page, question)).to_contain_text("[1]")
    widget.send(page, question)
    expect(chat.locator(".turn.error")).to_contain_text("Too many questions")
    expect(chat.locator("#question")).to_have_value(question)

    assert TOKEN not in token_server.output(), "the token travels in the URL fragment, which no server log sees"
