"""The JSON API: ``POST /api/ask`` (the contract of `citewise ask --json`) and ``GET /healthz``."""

from __future__ import annotations

from dataclasses import asdict
from collections.abc import Callable
from typing import Literal

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, ConfigDict, Field

from chat.engine import Engine

# What /healthz tells about the serving index version: enough to see which one answers.
HEALTH_FIELDS = ("version", "model", "documents", "paragraphs", "sentences", "created_at", "corpus_fingerprint")


class Turn(BaseModel):
    """One earlier turn of the conversation."""

    model_config = ConfigDict(extra="forbid", strict=True)
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    """A question, and optionally the conversation so far (for follow-ups like "and when?")."""

    model_config = ConfigDict(
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "question": "When was it signed?",
                    "history": [
                        {"role": "user", "content": "What is the defense treaty between Japan and the US?"},
                        {"role": "assistant", "content": "It is the Treaty of Mutual Cooperation and Security. [1]"},
                    ],
                }
            ]
        },
    )
    question: str = Field(description="The question; not empty, at most `max_question_chars` characters.")
    history: list[Turn] | None = Field(default=None, description="Earlier turns, oldest first.")


_ASK_ERRORS = {
    401: {"description": "A token is configured and the request did not carry it."},
    413: {"description": "The question or the request body is over the limit."},
    422: {"description": "The question is missing, empty or not a string, or the history is malformed."},
    429: {"description": "Too many requests from this client; see Retry-After."},
}


def api_router(engine: Engine, guard: Callable[[Request], None]) -> APIRouter:
    """The API routes, answering from whatever index version ``engine`` holds at request time.

    Args:
        engine: Answers questions; its ``index`` may be swapped while serving.
        guard: Dependency run before each ``/api`` route (rate limit, token).
    """
    router = APIRouter()

    @router.get("/healthz", tags=["health"])
    def healthz() -> dict:
        """Liveness, and which index version is serving."""
        manifest = asdict(engine.index.manifest)
        return {"status": "ok", "index": {name: manifest[name] for name in HEALTH_FIELDS}}

    @router.post("/api/ask", tags=["ask"], dependencies=[Depends(guard)], responses=_ASK_ERRORS)
    def ask(request: AskRequest) -> dict:
        """Answer a question from the documents; every sentence of the answer cites a paragraph.

        Returns the JSON of `citewise ask --json`: ``question``, ``answer`` (sentences each
        followed by ``[n]``), ``answered`` (false when the documents don't say) and
        ``citations`` (``n``, ``doc``, ``paragraph``, ``section``, ``text``, ``quote``, ``score``).
        """
        history = [turn.model_dump() for turn in request.history or []]
        return engine.ask(request.question, history).to_dict()

    # Without this, a wrong method or path under /api/ would fall through to the page's 404.
    @router.api_route("/api/{rest:path}", methods=["GET", "PUT", "PATCH", "DELETE", "POST"], include_in_schema=False)
    def unknown(rest: str) -> None:
        if rest == "ask":
            raise HTTPException(405, "Ask with POST /api/ask and a JSON body; see /docs.", headers={"Allow": "POST"})
        raise HTTPException(404, f"There is no /api/{rest}; the API is described at /docs.")

    return router
