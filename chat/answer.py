"""A cited answer, and its JSON form: the contract of `citewise ask --json` and `/api/ask`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# "[n]" as the composer writes it: after a sentence, before the next one or the end.
MARKER = re.compile(r"\[(\d+)\](?=\s|$)")
# Documents whose pages are slides: their ``page`` reads "slide 3", not "p. 3".
_SLIDE_DECKS = re.compile(r"\.pptx$", re.IGNORECASE)


@dataclass(frozen=True)
class Citation:
    """A paragraph the answer cites, as ``[n]``.

    ``quote`` is the sentence(s) of ``text`` the answer uses; ``spans`` are their
    ``[start, end)`` offsets in ``text``, counted in characters (Unicode code points, as
    Python counts them; a JavaScript client slices ``Array.from(text)``), for highlighting.
    ``page`` is the page (a PDF's) or slide (a deck's) the paragraph starts on, None where
    the document has no pages; ``part`` is which part of a split paragraph is cited (for the
    source view; not part of the JSON contract).
    """

    n: int
    doc: str
    paragraph: int
    section: str | None
    text: str
    quote: str
    score: float
    title: str = ""
    spans: tuple[tuple[int, int], ...] = field(default=())
    page: int | None = None
    part: int = 0

    @classmethod
    def quoting(cls, n: int, paragraph, spans: tuple[tuple[int, int], ...], score: float) -> Citation:
        """``[n]``, citing the ``spans`` (sentences, in order) of ``paragraph`` (an ``ingest.Paragraph``)."""
        return cls(
            n=n,
            doc=paragraph.doc_id,
            paragraph=paragraph.number,
            section=paragraph.section,
            text=paragraph.text,
            quote=" ".join(paragraph.text[start:end] for start, end in spans),
            score=score,
            title=paragraph.doc_title,
            spans=tuple(spans),
            page=paragraph.page,
            part=paragraph.part,
        )

    @property
    def page_label(self) -> str:
        """``p. 3``, ``slide 3`` for a deck, or "" where the document has no pages."""
        if self.page is None:
            return ""
        return f"{'slide' if _SLIDE_DECKS.search(self.doc) else 'p.'} {self.page}"

    @property
    def place(self) -> str:
        """The document and page: ``handbook.pdf, p. 3`` (just ``notes.txt`` without pages)."""
        return f"{self.doc}, {self.page_label}" if self.page_label else self.doc

    def to_dict(self) -> dict:
        return {
            "n": self.n,
            "doc": self.doc,
            "paragraph": self.paragraph,
            "page": self.page,
            "section": self.section,
            "text": self.text,
            "quote": self.quote,
            "spans": [[start, end] for start, end in self.spans],
            "score": round(float(self.score), 4),
        }


@dataclass(frozen=True)
class Answer:
    """What the engine answered. ``index_version`` names the index version that answered
    (for logs and feedback; not part of the JSON contract). ``mode`` says who wrote it:
    ``"extractive"`` (the documents' own sentences) or ``"generated"`` (the LLM's, each checked)."""

    question: str
    answer: str
    answered: bool
    citations: list[Citation] = field(default_factory=list)
    index_version: str = ""
    mode: str = "extractive"

    def first_sentence(self) -> str:
        """What a reader sees first: the answer up to its first ``[n]`` (all of a refusal)."""
        return MARKER.split(self.answer, maxsplit=1)[0].strip()

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "answered": self.answered,
            "citations": [c.to_dict() for c in self.citations],
            "mode": self.mode,
        }
