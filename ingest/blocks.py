"""Blocks: the structure every reader produces, whatever the file format.

A block is a heading, a run of text, a bullet list, a table, a quote or a row (one
record of a spreadsheet, read with its column headers, always a unit of its own). Readers
for Markdown and HTML know their blocks from the markup; plain text is read by
layout (`blocks_from_plain_text`), which is where the guessing lives. A block of a
paged format (a PDF page, a slide) carries its page number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEADING, TEXT, LIST, TABLE, QUOTE, ROW = "heading", "text", "list", "table", "quote", "row"
BLOCK_KINDS = (HEADING, TEXT, LIST, TABLE, QUOTE, ROW)

_BULLET = re.compile(r"^\s*(?:[•◦▪‣●○■□\-*–]|\d{1,3}[.)])\s+")
_SENTENCE_END = re.compile(r"[.!?:;,\"”’')\]]\s*$")
_MAX_HEADING_CHARS = 120


@dataclass(frozen=True)
class Block:
    kind: str
    text: str
    page: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"Invalid block kind: {self.kind!r}. Valid kinds are: {BLOCK_KINDS}.")


def is_bullet(line: str) -> bool:
    return bool(_BULLET.match(line))


def _looks_like_heading(line: str) -> bool:
    return len(line) <= _MAX_HEADING_CHARS and not _SENTENCE_END.search(line) and not is_bullet(line)


def _classify(lines: list[str]) -> Block:
    text = "\n".join(lines)
    if all(is_bullet(line) for line in lines):
        return Block(LIST, text)
    if len(lines) == 1 and _looks_like_heading(lines[0]):
        return Block(HEADING, text)
    if len(lines) > 1 and not any(_SENTENCE_END.search(line) for line in lines):
        return Block(TABLE, text)
    if text.startswith(("“", '"')):
        return Block(QUOTE, text)
    return Block(TEXT, " ".join(lines))


def blocks_from_plain_text(text: str) -> list[Block]:
    """Read structure from plain-text layout: blank lines separate blocks.

    A short single line with no closing punctuation is a heading; lines that all
    start with a bullet are a list; several short lines without sentence
    punctuation are a table (its first line the header row).
    """
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text):
        lines = [line.strip() for line in chunk.splitlines() if line.strip()]
        if lines:
            blocks.append(_classify(lines))
    # A heading with no body after it is just a short paragraph.
    if blocks and blocks[-1].kind == HEADING:
        blocks[-1] = Block(TEXT, blocks[-1].text)
    return blocks


@dataclass(frozen=True)
class Parsed:
    """What a reader made of one file: its title (if the file names one), its blocks, and
    notes on what it left out (a sheet cut at its row cap), which are reported, not fatal."""

    title: str | None
    blocks: list[Block]
    notes: tuple[str, ...] = ()
    pages: int | None = None
