"""How a visitor uses the widget on a host page: open it, ask, read a source."""

from __future__ import annotations

from playwright.sync_api import FrameLocator, Locator, Page


def launcher(page: Page) -> Locator:
    # Playwright's CSS engine looks inside open shadow roots, where the launcher lives.
    return page.locator("[data-citewise-widget] .launcher")


def chat(page: Page) -> FrameLocator:
    return page.frame_locator("[data-citewise-widget] iframe")


def send(page: Page, question: str) -> None:
    """Type ``question`` into the open widget and send it."""
    frame = chat(page)
    frame.locator("#question").fill(question)
    frame.locator("#send").click()


def ask(page: Page, question: str) -> Locator:
    """Send ``question`` and wait for its answer; the answer bubble."""
    answers = chat(page).locator(".turn.assistant:not(.loading)")
    before = answers.count()
    send(page, question)
    answer = answers.nth(before)
    answer.wait_for()
    return answer


def open_source(answer: Locator, n: int = 1) -> Locator:
    """Click the ``[n]`` marker of an answer; the cited paragraph it opens."""
    answer.get_by_role("button", name=f"[{n}]").first.click()
    source = answer.locator(f'.source[data-n="{n}"]')
    source.wait_for()
    return source
