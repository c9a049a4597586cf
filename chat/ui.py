"""The Gradio chat page."""

from __future__ import annotations

import html
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402

from chat.answer import Answer  # noqa: E402
from chat.engine import Engine  # noqa: E402
from chat.errors import QuestionError  # noqa: E402


def render_answer(answer: Answer) -> str:
    """The answer as Markdown-safe HTML: every piece of document or question text escaped."""
    parts = [f"<p>{html.escape(answer.answer)}</p>"]
    for citation in answer.citations:
        section = f" — {html.escape(citation.section)}" if citation.section else ""
        parts.append(
            f"<details><summary>[{citation.n}] {html.escape(citation.doc)}{section}, paragraph {citation.paragraph}</summary>"
            f"<blockquote>{html.escape(citation.text)}</blockquote></details>"
        )
    return "\n".join(parts)


def build_ui(engine: Engine) -> gr.Blocks:
    def respond(message: str, history: list[dict]) -> str:
        turns = [{"role": t["role"], "content": str(t["content"])} for t in history if t.get("role") in ("user", "assistant")]
        try:
            return render_answer(engine.ask(message, turns))
        except QuestionError as error:
            return html.escape(str(error))

    return gr.ChatInterface(respond, title="citewise", description="Ask the documents; every claim is cited.")
