"""The two units of the ingest layer: a Document as read, a Paragraph as cited."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field


def content_hash(text: str) -> str:
    """A short, stable fingerprint of a text (its first 16 hex digits of SHA-256)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Document:
    """One document of the corpus.

    Args:
        id: Stable identifier: the file's path relative to the corpus root, or the
            ``id`` field of a JSONL line.
        title: Human title (a Markdown/HTML title, else derived from the file name).
        blocks: The document's structure, in reading order (see ``ingest.blocks``).
        source: Where it was read from, for messages.
    """

    id: str
    title: str
    blocks: tuple
    source: str = ""


@dataclass(frozen=True)
class Paragraph:
    """A citable unit: a paragraph (or a part of an over-long one) with its context.

    ``id`` is ``"{doc_id}#{number}"``; parts of one split paragraph share it and differ
    by ``part``. ``hash`` fingerprints the text, so rebuilds can tell what changed.
    ``page`` is the page (a PDF's) or slide (a deck's) it starts on; None where a format has no pages.
    """

    doc_id: str
    doc_title: str
    number: int
    text: str
    section: str | None = None
    kind: str = "text"
    part: int = 0
    hash: str = field(default="")
    page: int | None = None

    def __post_init__(self) -> None:
        if not self.hash:
            object.__setattr__(self, "hash", content_hash(self.text))

    @property
    def id(self) -> str:
        return f"{self.doc_id}#{self.number}"

    @property
    def key(self) -> str:
        """Unique key of this unit, ``id`` plus the part for split paragraphs."""
        return self.id if self.part == 0 else f"{self.id}.{self.part}"

    def search_text(self) -> str:
        """The text that is embedded and matched: title and section count toward a match."""
        context = " / ".join(x for x in (self.doc_title, self.section) if x)
        return f"{context}\n{self.text}" if context else self.text

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Paragraph:
        return cls(**data)
