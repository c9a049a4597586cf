"""How a visitor uses the chat page at ``/``: ask, then follow an answer's ``[n]`` to its source.

Written against what the page shows (a textbox, ``[n]`` links whose target is the cited
paragraph), not against Gradio's internals.
"""

from __future__ import annotations

import re

from playwright.sync_api import Locator, Page


def marker(page: Page, n: int = 1) -> Locator:
    """The last ``[n]`` link on the page (the newest answer's); shown as ``[n]`` or ``n``."""
    return page.get_by_role("link", name=re.compile(rf"^\[?{n}\]?$")).last


def ask(page: Page, question: str) -> Locator:
    """Ask through the page's textbox and wait until the newest answer has its ``[1]``."""
    before = page.get_by_role("link", name=re.compile(r"^\[?1\]?$")).count()
    box = page.get_by_role("textbox").first
    box.fill(question)
    box.press("Enter")
    link = page.get_by_role("link", name=re.compile(r"^\[?1\]?$")).nth(before)
    link.wait_for()
    return link

