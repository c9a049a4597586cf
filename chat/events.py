"""Server-sent events: what a streaming answer sends over HTTP, one ``event:``/``data:`` record at a time."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator

from chat.answer import Answer
from chat.generation import Checked, Token


def sse(data: dict | str, event: str | None = None) -> str:
    """One server-sent event; ``data`` as compact JSON unless it is already text."""
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return (f"event: {event}\n" if event else "") + f"data: {text}\n\n"


def answer_events(events: Iterable[Token | Checked | Answer]) -> Iterator[str]:
    """``POST /api/ask`` with ``"stream": true``: ``token`` (a piece of the LLM's text, and ``draft``: all of
    it not checked yet), ``sentence`` (a sentence that passed the check) and last ``answer`` (the JSON
    answer, exactly as without streaming). A client shows the sentences, then the draft."""
    for item in events:
        if isinstance(item, Token):
            yield sse({"text": item.text, "draft": item.draft}, "token")
        elif isinstance(item, Checked):
            yield sse({"sentence": item.sentence}, "sentence")
        else:
            yield sse(item.to_dict(), "answer")
