"""Errors of the chat layer."""

from __future__ import annotations


class QuestionError(ValueError):
    """The question (or its history) is not acceptable: empty, too long, malformed."""
