"""Errors of the chat layer a user can fix, each with the HTTP status the server answers it with.

They derive from ``CitewiseError`` (``ingest.errors``), which the CLI and the HTTP app
translate in one place each (``chat/cli/__init__.py``, ``chat/http_errors.py``).
"""

from __future__ import annotations

from ingest import CitewiseError


class QuestionError(CitewiseError, ValueError):
    """The question (or its history) is not acceptable: empty, too long, malformed."""

    status = 422


class QuestionTooLongError(QuestionError):
    """The question is over ``max_question_chars``: a limit, not a mistake in its form."""

    status = 413


class SettingsError(CitewiseError, ValueError):
    """A setting's name or value is wrong, in a flag, the environment or the config file."""


class EvaluationDataError(CitewiseError, ValueError):
    """A queries, judgments, answers or ids file for `citewise eval` is malformed."""


class TokenError(CitewiseError):
    """The API needs a token and the request did not carry the right one."""

    status = 401

    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class OriginError(CitewiseError):
    """A browser on a site not given with ``--allow-origin`` called the API."""

    status = 403


class HostError(CitewiseError):
    """The request names a host this server does not answer to (DNS rebinding)."""


class RequestTooLargeError(CitewiseError):
    """The request's body is over its route's size limit."""

    status = 413
