"""citewise as a model for other clients: ``POST /v1/chat/completions`` as OpenAI's API has it, model ``citewise``.

Open WebUI, LibreChat or the ``openai`` SDK point their base URL at ``http://HOST:7860/v1``. The
last user message is the question, the earlier user and assistant messages its history (system
messages are the client's business, not a question). The reply's text is the cited answer
(``[n]`` markers, then the sources with their quotes); the citations come as data in the extra
field ``citewise`` (the JSON of ``/api/ask``). With ``"stream": true`` the text arrives as
chunks: each checked sentence as it passes (never the LLM's unchecked draft: a chat client
cannot take text back), then the sources; the last chunk carries ``citewise``. If the LLM fails
after some sentences were sent, the extractive answer follows them after a blank line.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from chat.answer import Answer
from chat.engine import Engine
from chat.errors import QuestionError
from chat.events import sse
from chat.generation import Checked, Token
from chat.plain import plain_text, sources_text

MODEL_NAME = "citewise"


class Message(BaseModel):
    """One chat message; ``content`` is text or OpenAI's list of parts (only text parts are read)."""

    model_config = ConfigDict(extra="allow")
    role: str
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return " ".join(str(part.get("text", "")) for part in self.content if part.get("type") == "text")
        return self.content or ""


class CompletionRequest(BaseModel):
    """OpenAI's chat-completion request; sampling options (temperature, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: str = Field(default=MODEL_NAME, description="Any name: citewise is the only model here.")
    messages: list[Message]
    stream: bool = False


def question_and_history(messages: list[Message]) -> tuple[str, list[dict]]:
    """The last user message, and the user and assistant turns before it."""
    turns = [{"role": m.role, "content": m.text()} for m in messages if m.role in ("user", "assistant")]
    if not turns or turns[-1]["role"] != "user":
        raise QuestionError("The last message must be the user's question.")
    return turns[-1]["content"], turns[:-1]


def _chunk(reply_id: str, created: int, delta: dict, finish: str | None = None, **extra: Any) -> str:
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return sse({"id": reply_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_NAME,
                "choices": [choice], **extra})


def completion_chunks(events: Iterator[Token | Checked | Answer]) -> Iterator[str]:
    """The events of ``Engine.ask_stream`` as OpenAI's stream of ``chat.completion.chunk``."""
    reply_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    yield _chunk(reply_id, created, {"role": "assistant", "content": ""})
    sent = []
    for item in events:
        if isinstance(item, Checked):
            text = ("" if not sent else " ") + item.sentence
            sent.append(item.sentence)
            yield _chunk(reply_id, created, {"content": text})
        elif isinstance(item, Answer):
            answer = item
    said = " ".join(sent)
    if answer.answer != said:  # an extractive answer (or the fallback, after what was already sent)
        yield _chunk(reply_id, created, {"content": ("\n\n" if said else "") + answer.answer})
    sources = sources_text(answer)
    if sources:
        yield _chunk(reply_id, created, {"content": "\n\n" + sources})
    yield _chunk(reply_id, created, {}, "stop", citewise=answer.to_dict())
    yield sse("[DONE]")


def openai_router(engine: Engine) -> APIRouter:
    """``POST /v1/chat/completions`` and ``GET /v1/models``; behind ``RequestGuard`` like ``/api/``."""
    router = APIRouter(prefix="/v1", tags=["openai"])

    @router.get("/models")
    def models() -> dict:
        """The one model: ``citewise``."""
        return {"object": "list", "data": [{"id": MODEL_NAME, "object": "model", "created": 0, "owned_by": "citewise"}]}

    @router.post("/chat/completions")
    def completions(request: CompletionRequest):
        """An OpenAI chat completion whose text is the cited answer; ``citewise`` holds the JSON answer."""
        question, history = question_and_history(request.messages)
        events = engine.ask_stream(question, history)  # a bad question is refused here, before any byte
        if request.stream:
            return StreamingResponse(completion_chunks(events), media_type="text/event-stream")
        *_, answer = events
        return {
            "id": f"chatcmpl-{uuid.uuid4().hex}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": MODEL_NAME,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": plain_text(answer)}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citewise": answer.to_dict(),
        }

    return router
