"""What can go wrong while reading a corpus, and the base of every error a user can fix."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class IngestProblem:
    """A file (or one line of a JSONL file) that could not be ingested, and why.

    Problems are collected, never raised: one broken file must not stop the others.
    """

    source: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.source}: {self.reason}"


class CitewiseError(Exception):
    """A problem the person running citewise can fix; the message says how.

    Every layer's errors of this kind derive from it (here, in the lowest layer, so all can),
    and each edge translates it once: the CLI into a one-line error, the HTTP app into the
    JSON error shape with ``status`` and ``headers()``. Any other exception is a bug and
    keeps its traceback. The second base of a subclass (``ValueError``, ``OSError``...) says
    what kind of problem it is to code that catches those.
    """

    status: int = 400

    def headers(self) -> dict[str, str]:
        """HTTP headers the error response carries (``Retry-After``, ``WWW-Authenticate``)."""
        return {}


class CorpusNotFoundError(CitewiseError, FileNotFoundError):
    """The corpus folder or file does not exist."""


class EmptyCorpusError(CitewiseError, ValueError):
    """The corpus holds no readable document at all (or nothing to index in it)."""
