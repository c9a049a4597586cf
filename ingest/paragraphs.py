"""Blocks to paragraphs: the citable units, each with its section and a stable id."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from ingest.blocks import HEADING, LIST, QUOTE, ROW, TABLE, TEXT, Block
from ingest.document import Document, Paragraph
from ingest.sentences import split_sentences


def _continues_previous(previous: Block, block: Block) -> bool:
    """Whether ``block`` belongs to the paragraph before it rather than starting one."""
    if ROW in (previous.kind, block.kind):
        return False  # a spreadsheet row is cited on its own, whatever its first letter
    first = block.text.lstrip("“\"'‘ ")[:1]
    if first.islower():
        # An attribution ("said President Biden ...") or a sentence broken by layout.
        return True
    if previous.kind == LIST and block.kind == LIST:
        return True
    lead_in = previous.text.rstrip().endswith(":")
    if lead_in and block.kind in (LIST, TABLE):
        return True
    return previous.kind == QUOTE and previous.text.rstrip().endswith((",”", ',"'))


def _joiner(kind: str, next_kind: str) -> str:
    return "\n" if LIST in (kind, next_kind) or TABLE in (kind, next_kind) else " "


def _merged_kind(kind: str, next_kind: str) -> str:
    kind = kind if kind != TEXT else next_kind
    return TEXT if kind == HEADING else kind


@dataclass
class _Unit:
    """A paragraph being assembled from blocks.

    Its texts are collected and joined once: concatenating at every merge made a file
    whose paragraphs all start in lower case (each merged into the one before) quadratic.
    """

    section: str | None
    kind: str
    texts: list[str]
    page: int | None = None

    def tail(self) -> Block:
        """The unit as far as ``_continues_previous`` looks: its kind and how its text ends."""
        return Block(self.kind, self.texts[-1])

    def add(self, block: Block) -> None:
        self.texts += (_joiner(self.kind, block.kind), block.text)
        self.kind = _merged_kind(self.kind, block.kind)

    def block(self) -> Block:
        return Block(self.kind, "".join(self.texts), self.page)


def _units(blocks: Iterable[Block]) -> Iterator[tuple[str | None, Block]]:
    """Group blocks into paragraph-sized units, each with the section it sits under."""
    section: str | None = None
    pending: _Unit | None = None
    for block in blocks:
        if block.kind == HEADING:
            if pending is not None:
                yield pending.section, pending.block()
                pending = None
            section = block.text.strip()
            continue
        if pending is not None and _continues_previous(pending.tail(), block):
            pending.add(block)
            continue
        if pending is not None:
            yield pending.section, pending.block()
        pending = _Unit(section, block.kind, [block.text], block.page)
    if pending is not None:
        yield pending.section, pending.block()


# A part is also cut at this many characters per word of its budget, so that text without
# spaces (a 50 MB blob is one "word") cannot make a huge paragraph. Prose averages about six
# characters a word, so only such text ever reaches the cap.
_MAX_CHARS_PER_WORD = 20


def _fits(text: str, max_words: int, max_chars: int) -> bool:
    return len(text) <= max_chars and len(text.split()) <= max_words


def _pack(pieces: Iterable[str], joiner: str, max_words: int, max_chars: int) -> list[str]:
    """Join consecutive pieces (each fitting on its own) into parts within both budgets."""
    parts: list[str] = []
    current: list[str] = []
    words = chars = 0
    for piece in pieces:
        count = len(piece.split())
        if current and (words + count > max_words or chars + len(joiner) + len(piece) > max_chars):
            parts.append(joiner.join(current))
            current, words, chars = [], 0, 0
        current.append(piece)
        words += count
        chars += len(joiner) + len(piece)
    if current:
        parts.append(joiner.join(current))
    return parts


def _words(sentence: str, max_chars: int) -> Iterator[str]:
    """The words of ``sentence``, a word longer than ``max_chars`` cut into pieces that fit
    (one at a time: a list of a huge sentence's words would take many times its size)."""
    return (match.group() for match in re.finditer(rf"\S{{1,{max_chars}}}", sentence))


def _pieces(text: str, max_words: int, max_chars: int) -> Iterator[str]:
    """The sentences of ``text``; a sentence too long for one part is cut at word boundaries."""
    for start, end in split_sentences(text):
        sentence = text[start:end]
        if _fits(sentence, max_words, max_chars):
            yield sentence
        else:
            yield from _pack(_words(sentence, max_chars), " ", max_words, max_chars)


def _parts(text: str, max_words: int) -> list[str]:
    """Split an over-long text into parts of at most ``max_words`` words (and
    ``_MAX_CHARS_PER_WORD`` characters a word): at sentence boundaries, and at word
    boundaries inside a sentence too long on its own, so no input makes an unbounded part.
    """
    max_chars = max_words * _MAX_CHARS_PER_WORD
    if _fits(text, max_words, max_chars):
        return [text]
    joiner = "\n" if "\n" in text else " "
    return _pack(_pieces(text, max_words, max_chars), joiner, max_words, max_chars)


def split_paragraphs(document: Document, max_words: int) -> list[Paragraph]:
    """Split a document into paragraphs.

    Headings become the ``section`` of every paragraph below them; a quote stays
    with its attribution; a table or a bullet list (with its lead-in line) stays one
    unit; a paragraph over ``max_words`` words is split at sentence boundaries (at word
    boundaries inside a sentence longer than that) into parts that keep its number.

    Args:
        document: The document to split.
        max_words: Word budget of one part, so it fits the embedding model's window.

    Returns:
        The paragraphs, numbered from 1 in reading order.
    """
    if max_words < 1:
        raise ValueError(f"Invalid max_words: {max_words!r}. It must be a positive integer.")
    paragraphs = []
    for number, (section, block) in enumerate(_units(document.blocks), start=1):
        for part, text in enumerate(_parts(block.text, max_words)):
            paragraphs.append(
                Paragraph(
                    doc_id=document.id,
                    doc_title=document.title,
                    number=number,
                    part=part,
                    section=section,
                    kind=block.kind,
                    text=text,
                    page=block.page,
                )
            )
    return paragraphs
