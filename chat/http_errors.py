"""The HTTP edge of the chat layer: each domain error to one status, in one JSON shape.

Every API error looks like ``{"ok": false, "error": "<message>", "status": <code>}``.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from chat.errors import QuestionError, QuestionTooLongError
from chat.rate_limit import RateLimitedError
from chat.security import OriginError, TokenError, client_of

log = logging.getLogger(__name__)

ERROR_STATUS: dict[type[Exception], int] = {
    QuestionError: 422,
    QuestionTooLongError: 413,
    TokenError: 401,
    OriginError: 403,
    RateLimitedError: 429,
}


def error_body(status: int, message: str) -> dict:
    return {"ok": False, "error": message, "status": status}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(status, message), status_code=status, headers=headers)


def _headers(error: Exception) -> dict[str, str] | None:
    if isinstance(error, RateLimitedError):
        return {"Retry-After": str(error.retry_after)}
    if isinstance(error, TokenError):
        return {"WWW-Authenticate": "Bearer"}
    return None


async def _domain_error(request: Request, error: Exception) -> JSONResponse:
    # The most specific class wins: a QuestionTooLongError is a 413, other QuestionErrors 422.
    status = next(ERROR_STATUS[kind] for kind in type(error).__mro__ if kind in ERROR_STATUS)
    if status in (401, 403, 429):
        # Refusals are what an operator looks for when a client says "it stopped working".
        log.warning("refused %s %s from %s: %d %s", request.method, request.url.path, client_of(request), status, error)
    return error_response(status, str(error), _headers(error))


def describe_validation(error: RequestValidationError) -> str:
    """Pydantic's errors as one readable line, e.g. ``question: Input should be a valid string``."""
    problems = []
    for problem in error.errors():
        where = ".".join(str(part) for part in problem.get("loc", ()) if part != "body")
        if problem.get("type") == "json_invalid":
            return "The request body is not valid JSON."
        if not where:
            return 'The request body must be a JSON object (Content-Type: application/json) like {"question": "..."}.'
        problems.append(f"{where}: {problem.get('msg', 'invalid')}")
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
    for kind in ERROR_STATUS:
        app.add_exception_handler(kind, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)
