"""Which reader reads which file: the suffix of a file to the function that makes its blocks.

Text formats are decoded here (UTF-8 only, a NUL byte means binary); binary formats get the
bytes. Whatever a reader of a binary format raises on a broken file is one reason to report,
never an error that stops the corpus.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ingest.blocks import HEADING, Block, Parsed
from ingest.docx_reader import read_docx
from ingest.markup import html_blocks, markdown_blocks, plain_blocks
from ingest.pdf_reader import read_pdf
from ingest.pptx_reader import read_pptx
from ingest.sheet_reader import read_csv, read_xlsx

_TEXT_PARSERS: dict[str, Callable[[str], tuple[str | None, list[Block]]]] = {
    ".txt": plain_blocks,
    ".md": markdown_blocks,
    ".markdown": markdown_blocks,
    ".html": html_blocks,
    ".htm": html_blocks,
}
_BINARY_READERS: dict[str, tuple[str, Callable[[bytes], Parsed]]] = {
    ".pdf": ("PDF", read_pdf),
    ".docx": ("Word file", read_docx),
    ".pptx": ("PowerPoint file", read_pptx),
    ".xlsx": ("Excel workbook", read_xlsx),
}
# Formats whose headings are marked, not guessed from layout: their first heading may title the document.
_HEADINGS_MARKED = {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".pptx"}
SUPPORTED_SUFFIXES = (*_TEXT_PARSERS, ".csv", *_BINARY_READERS, ".jsonl")


def decode(data: bytes) -> str:
    """``data`` as UTF-8 text (a byte-order mark dropped).

    Raises:
        ValueError: it holds NUL bytes (binary) or is not UTF-8.
    """
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); save it as UTF-8"
        ) from None


def parse(path: Path, data: bytes) -> Parsed:
    """The blocks of one file of a supported suffix other than ``.jsonl``, read from ``data``.

    Raises:
        ValueError: why the file cannot be read (empty, not UTF-8, encrypted, damaged...).
    """
    suffix = path.suffix.lower()
    if suffix in _BINARY_READERS:
        what, reader = _BINARY_READERS[suffix]
        if not data:
            raise ValueError("empty file")
        try:
            return reader(data)
        except ValueError:
            raise
        except Exception as error:  # a library's own error on a broken file: one reason, the corpus goes on
            raise ValueError(f"not a readable {what} ({type(error).__name__}: {error})") from None
    text = decode(data)
    if not text.strip():
        raise ValueError("empty file")
    if suffix == ".csv":
        return read_csv(text, path.stem)
    return Parsed(*_TEXT_PARSERS[suffix](text))


def first_heading(path: Path, blocks: list[Block]) -> str | None:
    """The document's first heading, where the format marks headings (not plain text or sheets)."""
    if path.suffix.lower() not in _HEADINGS_MARKED:
        return None
    return next((block.text for block in blocks if block.kind == HEADING), None)
