"""What can go wrong while reading a corpus."""

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


class EmptyCorpusError(ValueError):
    """The corpus holds no readable document at all."""
