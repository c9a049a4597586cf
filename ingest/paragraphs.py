"""Blocks to paragraphs: the citable units, each with its section and a stable id."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ingest.blocks import HEADING, LIST, QUOTE, TABLE, TEXT, Block
from ingest.document import Document, Paragraph
from ingest.sentences import split_sentences


def _continues_previous(previous: Block, block: Block) -> bool:
    """Whether ``block`` belongs to the paragraph before it rather than starting one."""
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


def _merge(previous: Block, block: Block) -> Block:
    joiner = "\n" if LIST in (previous.kind, block.kind) or TABLE in (previous.kind, block.kind) else " "
    kind = previous.kind if previous.kind != TEXT else block.kind
    if kind == HEADING:
        kind = TEXT
    return Block(kind, previous.text + joiner + block.text)


def _units(blocks: Iterable[Block]) -> Iterator[tuple[str | None, Block]]:
    """Group blocks into paragraph-sized units, each with the section it sits under."""
    section: str | None = None
    pending: Block | None = None
    pending_section: str | None = None
    for block in blocks:
        if block.kind == HEADING:
            if pending is not None:
                yield pending_section, pending
                pending = None
            section = block.text.strip()
            continue
        if pending is not None and _continues_previous(pending, block):
            pending = _merge(pending, block)
            continue
        if pending is not None:
            yield pending_section, pending
        pending, pending_section = block, section
    if pending is not None:
        yield pending_section, pending


def _parts(text: str, max_words: int) -> list[str]:
    """Split an over-long text at sentence boundaries into parts of at most ``max_words``.

    A single sentence longer than the budget is kept whole: cutting it mid-sentence
    would make it uncitable, and the model truncates it anyway.
    """
    if len(text.split()) <= max_words:
        return [text]
    joiner = "\n" if "\n" in text else " "
    parts: list[str] = []
    current: list[str] = []
    words = 0
    for start, end in split_sentences(text):
        sentence = text[start:end]
        count = len(sentence.split())
        if current and words + count > max_words:
            parts.append(joiner.join(current))
            current, words = [], 0
        current.append(sentence)
        words += count
    if current:
        parts.append(joiner.join(current))
    return parts


def split_paragraphs(document: Document, max_words: int) -> list[Paragraph]:
    """Split a document into paragraphs.

    Headings become the ``section`` of every paragraph below them; a quote stays
    with its attribution; a table or a bullet list (with its lead-in line) stays one
    unit; a paragraph over ``max_words`` words is split at sentence boundaries into
    parts that keep its number.

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
                )
            )
    return paragraphs
