"""Where the source view (``chat.source_view``) shows a cited document, and a PDF's original file."""

from __future__ import annotations

from urllib.parse import quote

SOURCE_PREFIX, ORIGINAL_PREFIX = "/source/", "/original/"


def source_link(doc: str, paragraph: int, part: int = 0, spans: tuple[tuple[int, int], ...] = ()) -> str:
    """Where the source view of ``doc`` opens at ``paragraph`` with ``spans`` of its ``part`` marked."""
    marks = ",".join(f"{start}-{end}" for start, end in spans)
    query = f"paragraph={paragraph}" + (f"&part={part}" if part else "") + (f"&mark={marks}" if marks else "")
    return f"{SOURCE_PREFIX}{quote(doc)}?{query}#p-{paragraph}"


def original_link(doc: str, page: int | None) -> str | None:
    """The original PDF at ``page``, or None if ``doc`` is not a PDF."""
    if not doc.lower().endswith(".pdf"):
        return None
    return f"{ORIGINAL_PREFIX}{quote(doc)}" + (f"#page={page}" if page else "")
