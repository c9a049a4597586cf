"""The JSON API: ``POST /api/ask`` (the contract of `citewise ask --json`) and ``GET /healthz``."""

from __future__ import annotations

import html
import json
from dataclasses import asdict

from fastapi import APIRouter, FastAPI, HTTPException
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from chat.engine import Engine
from chat.events import answer_events
from chat.history import Turn

# What /healthz tells about the serving index version: enough to see which one answers, and what it left out.
HEALTH_FIELDS = ("version", "model", "documents", "paragraphs", "sentences", "created_at", "corpus_fingerprint", "skipped")


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
    stream: bool = Field(
        default=False, description="Answer as server-sent events: `token`, `sentence` (with an LLM configured), then `answer`."
    )


_ASK_ERRORS = {
    401: {"description": "A token is configured and the request did not carry it."},
    413: {"description": "The question or the request body is over the limit."},
    422: {"description": "The question is missing, empty or not a string, or the history is malformed."},
    429: {"description": "Too many requests from this client; see Retry-After."},
}


def api_router(engine: Engine) -> APIRouter:
    """The API routes, answering from whatever index version ``engine`` holds at request time.

    The rate limit, origin, token and size checks are ``chat.security.RequestGuard``'s, run
    before the body is read.

    Args:
        engine: Answers questions; its ``index`` may be swapped while serving.
    """
    router = APIRouter()

    @router.get("/healthz", tags=["health"])
    def healthz() -> dict:
        """Liveness, and which index version is serving."""
        manifest = asdict(engine.index.manifest)
        index = {name: manifest[name] for name in HEALTH_FIELDS}
        return {"status": "ok", "index": {**index, "skipped_count": len(index["skipped"])}}

    @router.post("/api/ask", tags=["ask"], responses=_ASK_ERRORS)
    def ask(request: AskRequest) -> dict:
        """Answer a question from the documents; every sentence of the answer cites a paragraph.

        Returns the JSON of `citewise ask --json`: ``question``, ``answer`` (sentences each
        followed by ``[n]``), ``answered`` (false when the documents don't say),
        ``citations`` (``n``, ``doc``, ``paragraph``, ``page`` (int or null), ``section``, ``text``, ``quote``, ``spans``, ``score``)
        and ``mode`` (``generated`` by the configured LLM, each sentence checked, or ``extractive``).
        With ``"stream": true``, server-sent events ending in that JSON as the ``answer`` event.
        """
        history = request.history or []  # Turns, checked by FastAPI: the engine takes them as they are
        if request.stream:  # the question is checked (and refused, if so) before the first byte is sent
            return StreamingResponse(answer_events(engine.ask_stream(request.question, history)), media_type="text/event-stream")
        return engine.ask(request.question, history).to_dict()

    # Without this, a wrong method or path under /api/ would fall through to the page's 404.
    @router.api_route("/api/{rest:path}", methods=["GET", "PUT", "PATCH", "DELETE", "POST"], include_in_schema=False)
    def unknown(rest: str) -> None:
        if rest == "ask":
            raise HTTPException(405, "Ask with POST /api/ask and a JSON body; see /docs.", headers={"Allow": "POST"})
        raise HTTPException(404, f"There is no /api/{rest}; the API is described at /docs.")

    return router


def docs_router(app: FastAPI) -> APIRouter:
    """``GET /docs``: the API reference as one plain page, from ``app``'s OpenAPI schema.

    Swagger UI would load its scripts from a CDN; this page loads nothing at all. The
    machine-readable schema stays at ``/openapi.json``.
    """
    router = APIRouter()

    @router.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        schema = app.openapi()
        parts = [f"<h1>{html.escape(schema['info']['title'])} API</h1>", f"<p>{html.escape(schema['info'].get('description', ''))}</p>",
                 '<p>The OpenAPI schema: <a href="/openapi.json">/openapi.json</a>.</p>']
        for path, methods in schema.get("paths", {}).items():
            for method, operation in methods.items():
                parts.append(f"<h2>{html.escape(method.upper())} {html.escape(path)}</h2>")
                parts.append(f"<p>{html.escape(operation.get('description') or operation.get('summary', ''))}</p>")
                body = operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema")
                if body:
                    parts.append(f"<h3>Request body</h3><pre>{html.escape(json.dumps(body, indent=2))}</pre>")
                answers = "".join(
                    f"<li>{html.escape(code)}: {html.escape(answer.get('description', ''))}</li>"
                    for code, answer in operation.get("responses", {}).items()
                )
                parts.append(f"<h3>Responses</h3><ul>{answers}</ul>")
        schemas = schema.get("components", {}).get("schemas", {})
        if schemas:
            parts.append(f"<h2>Schemas</h2><pre>{html.escape(json.dumps(schemas, indent=2))}</pre>")
        page = (
            '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>citewise API</title>'
            "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}"
            "pre{background:#f4f4f5;padding:1rem;overflow:auto}</style></head><body>"
            + "".join(parts)
            + "</body></html>"
        )
        return HTMLResponse(page, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"})

    return router
