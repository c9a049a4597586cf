"""Word (.docx) to blocks with python-docx: headings by style, lists, tables read with their header row."""

from __future__ import annotations

import io

from ingest.blocks import HEADING, LIST, TABLE, TEXT, Block, Parsed
from ingest.table_rows import table_text


def _kind(paragraph) -> str:
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style == "Title" or style.startswith("Heading"):
        return HEADING
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    return LIST if numbered or style.startswith("List") else TEXT


def read_docx(data: bytes) -> Parsed:
    """The blocks of a Word file in reading order, and its title (document properties).

    List items become ``• item`` lines of one list block; a table becomes one block, a line
    a row, each cell named by its column's header.
    """
    import docx

    document = docx.Document(io.BytesIO(data))
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, docx.table.Table):
            rows = [[cell.text for cell in row.cells] for row in item.rows]
            text = table_text(rows)
            if text:
                blocks.append(Block(TABLE, text))
            continue
        text = " ".join(item.text.split())
        if not text:
            continue
        kind = _kind(item)
        if kind == LIST and blocks and blocks[-1].kind == LIST:
            blocks[-1] = Block(LIST, f"{blocks[-1].text}\n• {text}")
        else:
            blocks.append(Block(kind, f"• {text}" if kind == LIST else text))
    title = " ".join((document.core_properties.title or "").split()) or None
    return Parsed(title, blocks)
