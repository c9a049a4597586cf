"""The HTTP edge of the chat layer: every error a user can fix answered once, in one JSON shape.

Every API error looks like ``{"ok": false, "error": "<message>", "status": <code>}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from chat.rate_limit import client_of
from ingest import CitewiseError

log = logging.getLogger(__name__)


def error_body(status: int, message: str) -> dict:
    return {"ok": False, "error": message, "status": status}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def error_response_for(error: CitewiseError) -> JSONResponse:
    """The response to ``error``: its status, its message, its headers."""
    return error_response(error.status, str(error), error.headers() or None)


async def _user_error(request: Request, error: CitewiseError) -> JSONResponse:
    if error.status in (401, 403, 429):
        # Refusals are what an operator looks for when a client says "it stopped working".
        log.warning("refused %s %s from %s: %d %s", request.method, request.url.path, client_of(request), error.status, error)
    return error_response_for(error)


def _place(loc: tuple) -> str:
    """Where in the body a problem is: ``question``, or ``history turn 2 content`` for
    ``("body", "history", 1, "content")`` (turns counted from 1, as people count them)."""
    parts = []
    for part in loc[1:] if loc[:1] == ("body",) else loc:
        parts.append(f"turn {part + 1}" if isinstance(part, int) and parts == ["history"] else str(part))
    return " ".join(parts)


def describe_validation(error: RequestValidationError) -> str:
    """Pydantic's errors as one readable line, e.g. ``question: Input should be a valid string``."""
    problems = []
    for problem in error.errors():
        where = _place(tuple(problem.get("loc", ())))
        if problem.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        if not where:
            return 'The request body must be a JSON object (Content-Type: application/json) like {"question": "..."}.'
        message = problem.get("ctx", {}).get("error") if problem.get("type") == "value_error" else None
        problems.append(f"{where}: {message or problem.get('msg', 'invalid')}")
    return "; ".join(problems)


async def _validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
    return error_response(422, describe_validation(error))


# What FastAPI raises (as a 400) for a body it cannot decode, e.g. bytes that are not UTF-8.
_UNPARSABLE = "There was an error parsing the body"


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    if error.status_code == 400 and error.detail == _UNPARSABLE:
        return error_response(422, "The request body is not valid JSON (it must be UTF-8 text).")
    return error_response(error.status_code, str(error.detail), getattr(error, "headers", None))


async def _unexpected_error(request: Request, error: Exception) -> JSONResponse:
    # Starlette logs the traceback for the operator; the client gets the one shape, no trace.
    return error_response(500, "The server failed to answer this request; the error is in its log.")


def install_error_handlers(app: FastAPI) -> None:
    """Answer every API error in the one shape; no stack trace ever reaches a client."""
    app.add_exception_handler(CitewiseError, _user_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
