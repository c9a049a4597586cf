"""Rows of a table read with their column headers: ``City: Osaka; Opened: 2021``.

Spreadsheets, CSV files and the tables of Word files and slides share this reading,
so a row cited on its own still says what each of its values is.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence


def cell_text(value) -> str:
    """A cell as a reader would say it: ``2021`` not ``2021.0``, a date without midnight, blanks as ``""``."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime) and value.time() == datetime.time():
        return value.date().isoformat()
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return " ".join(str(value).split())


def headers_of(row: Sequence) -> list[str]:
    """Column names from a header row; a blank header is named by its column's position."""
    return [cell_text(value) or f"Column {position}" for position, value in enumerate(row, start=1)]


def row_text(headers: Sequence[str], row: Sequence) -> str:
    """``Header: value; ...`` for the row's non-blank cells ("" for a blank row)."""
    pairs = []
    for position, value in enumerate(row):
        text = cell_text(value)
        if text:
            name = headers[position] if position < len(headers) else f"Column {position + 1}"
            pairs.append(f"{name}: {text}")
    return "; ".join(pairs)


def table_text(rows: Sequence[Sequence]) -> str:
    """A whole table: its header row as it is (``Item | Allowance``, the first line of a table
    block everywhere), then a line a row read with the headers."""
    header = " | ".join(cell_text(value) for value in rows[0]) if rows else ""
    if len(rows) < 2:
        return header
    headers = headers_of(rows[0])
    return "\n".join(text for text in (header, *(row_text(headers, row) for row in rows[1:])) if text)
