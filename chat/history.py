"""The conversation so far: one definition of a turn, checked once, where it enters.

The HTTP API and the OpenAI-compatible route parse turns at the edge (pydantic, 422 on a bad
one) and hand the engine ``Turn`` objects; the page builds them from its own chat. Only turns
that arrive as plain dicts (the library, the MCP tool) are checked by the engine, against the
same model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, field_validator

from chat.errors import QuestionError

# A follow-up reads only the previous question, so more history than this would only cost time.
MAX_TURNS = 20
MAX_TURN_CHARS = 4000


def check_readable(text: str, what: str) -> None:
    """Refuse ``text`` holding a lone surrogate ("\\ud800" in JSON): valid JSON, but no text, and
    the tokenizer would fail on it.

    Raises:
        QuestionError: saying which text (``what``) it is.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise QuestionError(f"{what} holds a lone surrogate (an invalid \\ud800-\\udfff escape): send valid Unicode text.") from None


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)
    role: Literal["user", "assistant"]
    content: str

    @field_validator("content")
    @classmethod
    def _readable(cls, content: str) -> str:
        try:
            check_readable(content, "its content")
        except QuestionError as error:
            raise ValueError(str(error)) from None
        return content


_TURN = TypeAdapter(Turn)
_MALFORMED = 'each turn needs "role" ("user" or "assistant") and "content" (a string).'


def check_history(history: object, max_turns: int = MAX_TURNS, max_chars: int = MAX_TURN_CHARS) -> list[Turn]:
    """The last ``max_turns`` turns of ``history``, each cut to ``max_chars`` characters.

    ``Turn`` objects were checked where they were made; anything else is checked here.

    Raises:
        QuestionError: ``history`` is not a list of turns, or a turn is malformed.
    """
    if history is None:
        return []
    if not isinstance(history, Sequence) or isinstance(history, (str, bytes)):
        raise QuestionError(f"history must be a list of turns: {_MALFORMED}")
    first = max(0, len(history) - max_turns)
    kept = []
    for number, turn in enumerate(history[first:], start=first + 1):
        try:
            turn = turn if isinstance(turn, Turn) else _TURN.validate_python(turn)
        except ValidationError as error:
            problem = error.errors()[0]
            reason = problem["ctx"]["error"] if problem["type"] == "value_error" else _MALFORMED
            raise QuestionError(f"history turn {number} is malformed: {reason}") from None
        kept.append(turn if len(turn.content) <= max_chars else Turn(role=turn.role, content=turn.content[:max_chars]))
    return kept
