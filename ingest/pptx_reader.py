"""PowerPoint (.pptx) to blocks with python-pptx: a section a slide, its number kept as the page."""

from __future__ import annotations

import io

from ingest.blocks import HEADING, LIST, TABLE, TEXT, Block, Parsed
from ingest.table_rows import table_text


def _shape_blocks(shape, page: int) -> list[Block]:
    if getattr(shape, "has_table", False) and shape.has_table:
        text = table_text([[cell.text for cell in row.cells] for row in shape.table.rows])
        return [Block(TABLE, text, page)] if text else []
    if not shape.has_text_frame:
        return []
    lines = [" ".join(p.text.split()) for p in shape.text_frame.paragraphs]
    lines = [line for line in lines if line]
    if len(lines) > 1:
        return [Block(LIST, "\n".join(f"• {line}" for line in lines), page)]
    return [Block(TEXT, line, page) for line in lines]


def read_pptx(data: bytes) -> Parsed:
    """The blocks of a slide deck, and its title (document properties).

    Each slide is a section named by its title ("Slide 3" if it has none), with its text
    boxes, tables and speaker notes; every block carries the slide number as its page.
    """
    import pptx

    deck = pptx.Presentation(io.BytesIO(data))
    blocks: list[Block] = []
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = " ".join(title_shape.text_frame.text.split()) if title_shape is not None else ""
        blocks.append(Block(HEADING, title or f"Slide {number}", number))
        for shape in slide.shapes:
            if title_shape is None or shape.shape_id != title_shape.shape_id:
                blocks += _shape_blocks(shape, number)
        if slide.has_notes_slide:
            notes = " ".join(slide.notes_slide.notes_text_frame.text.split())
            if notes:
                blocks.append(Block(TEXT, notes, number))
    title = " ".join((deck.core_properties.title or "").split()) or None
    return Parsed(title, blocks, pages=len(deck.slides))
