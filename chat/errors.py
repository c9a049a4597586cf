"""Errors of the chat layer."""

from __future__ import annotations


class QuestionError(ValueError):
    """The question (or its history) is not acceptable: empty, too long, malformed."""


class QuestionTooLongError(QuestionError):
    """The question is over ``max_question_chars``: a limit, not a mistake in its form."""
