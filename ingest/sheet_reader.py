"""Spreadsheets (.xlsx with openpyxl) and CSV files to blocks: a row a unit, read with its headers.

A sheet is a section; its first non-blank row names the columns, and every row after it
becomes ``City: Osaka; Opened: 2021``. Wide and huge sheets are cut at ``MAX_COLUMNS`` and
``MAX_ROWS``, with a note saying so, rather than filling the index with one file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from ingest.blocks import HEADING, ROW, Block, Parsed
from ingest.table_rows import headers_of, row_text

MAX_COLUMNS = 64
MAX_ROWS = 20_000


def _rows_blocks(name: str, rows: Iterable[Sequence], notes: list[str]) -> list[Block]:
    """The blocks of one sheet: its name as a heading, then one block a non-blank row."""
    blocks: list[Block] = []
    headers = None
    wide = False
    count = 0
    for row in rows:
        if len(row) > MAX_COLUMNS:
            row, wide = row[:MAX_COLUMNS], True
        if headers is None:
            if any(value not in (None, "") for value in row):
                headers = headers_of(row)
            continue
        if count == MAX_ROWS:
            notes.append(f"sheet {name!r}: only its first {MAX_ROWS:,} rows were read")
            break
        text = row_text(headers, row)
        if text:
            blocks.append(Block(ROW, text))
            count += 1
    if wide:
        notes.append(f"sheet {name!r}: only its first {MAX_COLUMNS} columns were read")
    return [Block(HEADING, name), *blocks] if blocks else []


def read_xlsx(data: bytes) -> Parsed:
    """Every sheet of a workbook (cell values as last saved, not formulas), and its title property."""
    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        notes: list[str] = []
        blocks = [block for sheet in workbook.worksheets for block in _rows_blocks(sheet.title, sheet.iter_rows(values_only=True), notes)]
        title = " ".join((workbook.properties.title or "").split()) or None
    finally:
        workbook.close()
    return Parsed(title, blocks, tuple(notes))


def read_csv(text: str, name: str) -> Parsed:
    """A CSV file (delimiter guessed among , ; tab and |) as one sheet called ``name``."""
    sample = text[:8192]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    notes: list[str] = []
    blocks = _rows_blocks(name, csv.reader(io.StringIO(text), dialect), notes)
    return Parsed(None, blocks, tuple(notes))
