"""An answer as plain text: the answer with its ``[n]`` markers, then its sources, each with its quote.

What `citewise ask` prints, and what ``/v1/chat/completions`` answers for chat clients that show
text only.
"""

from __future__ import annotations

from chat.answer import Answer


def sources_text(answer: Answer) -> str:
    """The "Sources:" block (empty for a refusal)."""
    if not answer.citations:
        return ""
    lines = ["Sources:"]
    for citation in answer.citations:
        section = f", {citation.section}" if citation.section else ""
        lines.append(f"[{citation.n}] {citation.place}{section}, paragraph {citation.paragraph}")
        lines.append(f"    “{citation.quote}”")
    return "\n".join(lines)


def plain_text(answer: Answer) -> str:
    """The answer, a blank line, and its sources."""
    sources = sources_text(answer)
    return f"{answer.answer}\n\n{sources}" if sources else answer.answer
