"""Question to cited answer, and every way to ask: CLI, HTTP API, chat page, widget."""

from __future__ import annotations

import importlib

_EXPORTS = {
    "Answer": "chat.answer",
    "CitewiseError": "ingest.errors",
    "Citation": "chat.answer",
    "Engine": "chat.engine",
    "QuestionError": "chat.errors",
    "Settings": "chat.settings",
    "describe_settings": "chat.settings",
    "load_settings": "chat.settings",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    # Lazy, so `citewise --help` does not pay for FAISS and torch imports.
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'chat' has no attribute {name!r}")
