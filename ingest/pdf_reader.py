"""PDF to blocks, from the text layer (pypdfium2), each block with its page number.

PDFium gives characters with their boxes and font sizes; lines are rebuilt from them
and put in reading order (left column before right on a two-column page). Lines that
repeat at the top or bottom of most pages (running headers and footers, with their
page numbers) are dropped, lines are joined into paragraphs by their spacing (a line
break is not a paragraph; a word hyphenated across lines is joined), and headings are
the lines set larger than the body text or named by the outline (bookmarks).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.blocks import HEADING, LIST, TEXT, Block, Parsed, is_bullet

# A line this much larger than the body text is a heading.
_HEADING_SIZE_RATIO = 1.15
# Lines further apart than this many font sizes (baseline to baseline) are in different paragraphs.
_PARAGRAPH_GAP = 1.5
# How many lines at each end of a page can be a running header or footer.
_EDGE_LINES = 3
_PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]$")
# What PDFium puts where a line ends in a hyphen, instead of the hyphen and the line break.
_PDFIUM_HYPHEN = "\x02"
_LINE_END_HYPHENS = ("-", "\u00ad")


@dataclass
class _Line:
    text: str
    left: float
    right: float
    bottom: float
    top: float
    size: float


def _page_lines(textpage, raw) -> list[_Line]:
    """The page's lines as PDFium breaks them, each with its box and largest font size."""
    lines: list[_Line] = []
    chars: list[str] = []
    boxes: list[tuple[float, float, float, float]] = []
    sizes: list[float] = []

    def end_line() -> None:
        text = " ".join("".join(chars).split())
        if text and boxes:
            lines.append(_Line(
                text, min(b[0] for b in boxes), max(b[2] for b in boxes),
                min(b[1] for b in boxes), max(b[3] for b in boxes), max(sizes),
            ))
        chars.clear(), boxes.clear(), sizes.clear()

    for index in range(textpage.count_chars()):
        char = chr(raw.FPDFText_GetUnicode(textpage.raw, index))
        if char in "\r\n":
            end_line()
            continue
        if char == _PDFIUM_HYPHEN:  # PDFium joins a word hyphenated across lines; split it back, ``_join`` decides
            chars.append("-")
            end_line()
            continue
        chars.append(char)
        if not char.isspace():
            boxes.append(textpage.get_charbox(index))
            sizes.append(raw.FPDFText_GetFontSize(textpage.raw, index))
    end_line()
    return lines


def _reading_order(lines: list[_Line], width: float) -> list[_Line]:
    """Top to bottom; on a page whose lines sit in two columns, the left column before the right
    (lines spanning both, like a title, keep their place above or below the columns)."""
    middle = width / 2
    left = [line for line in lines if line.right <= middle + 2]
    right = [line for line in lines if line.left >= middle - 2]
    by_height = sorted(lines, key=lambda line: (-round(line.top), line.left))
    if len(left) < 3 or len(right) < 3:
        return by_height
    columns_top = max(line.top for line in left + right)
    columns_bottom = min(line.bottom for line in left + right)
    spanning = [line for line in lines if line not in left and line not in right]
    above = [line for line in spanning if line.bottom >= columns_top - 1]
    below = [line for line in spanning if line not in above and line.top <= columns_bottom + 1]
    inside = [line for line in spanning if line not in above and line not in below]

    def top_down(group: list[_Line]) -> list[_Line]:
        return sorted(group, key=lambda line: -line.top)

    return top_down(above) + top_down(left + inside) + top_down(right) + top_down(below)


def _edge_key(text: str) -> str:
    """A header or footer line with its numbers blanked: "Page 3 of 9" and "Page 4 of 9" are the same line."""
    return re.sub(r"\d+", "#", text.lower())


def _drop_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Without the lines at a page's top or bottom that repeat on most pages, or are a bare page number."""
    edges = [page[:_EDGE_LINES] + page[-_EDGE_LINES:] for page in pages]
    seen = Counter(key for edge in edges for key in {_edge_key(line.text) for line in edge})
    repeated = {key for key, count in seen.items() if count >= 2 and count * 2 >= len(pages)}
    kept = []
    for page, edge in zip(pages, edges):
        running = {id(line) for line in edge if _edge_key(line.text) in repeated or _PAGE_NUMBER.match(line.text)}
        kept.append([line for line in page if id(line) not in running])
    return kept


def _body_size(pages: list[list[_Line]]) -> float:
    """The font size most of the text is set in."""
    weight = Counter()
    for page in pages:
        for line in page:
            weight[round(line.size, 1)] += len(line.text)
    return weight.most_common(1)[0][0] if weight else 0.0


def _join(previous: str, line: str) -> str:
    """Two lines of one paragraph as one text; a word hyphenated across them joined."""
    if previous.endswith(_LINE_END_HYPHENS) and previous[-2:-1].isalpha() and line[:1].islower():
        return previous[:-1] + line
    return f"{previous} {line}"


def _page_blocks(lines: list[_Line], page: int, body: float, bookmarks: set[str]) -> list[Block]:
    blocks: list[Block] = []
    kind, text, last = None, "", None

    def flush() -> None:
        if text:
            blocks.append(Block(kind, text, page))

    for line in lines:
        heading = line.size >= body * _HEADING_SIZE_RATIO or line.text.casefold() in bookmarks
        this_kind = HEADING if heading else (LIST if is_bullet(line.text) else TEXT)
        close = last is not None and 0 <= last.bottom - line.bottom <= _PARAGRAPH_GAP * max(line.size, last.size)
        same = close and (
            (this_kind == kind == HEADING and abs(line.size - last.size) < 0.5)
            or (kind in (TEXT, LIST) and this_kind == TEXT and not (_SENTENCE_END.search(text) and line.left > last.left + 1))
        )
        if same:
            text = _join(text, line.text)
        elif kind == LIST and this_kind == LIST:
            text = f"{text}\n{line.text}"
        else:
            flush()
            kind, text = this_kind, line.text
        last = line
    flush()
    return blocks


def _bookmark_titles(document) -> set[str]:
    return {" ".join((item.get_title() or "").split()).casefold() for item in document.get_toc()} - {""}


def read_pdf(data: bytes) -> Parsed:
    """The blocks of a PDF's text layer, each with its page number (from 1), and its metadata title.

    Raises:
        ValueError: the file is encrypted, truncated or damaged, or has no text layer (a scan).
    """
    import pypdfium2
    import pypdfium2.raw as raw

    if b"%%EOF" not in data[-2048:]:
        raise ValueError("a truncated PDF (it does not end with %%EOF): it was cut short; copy the whole file again")
    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError as error:
        if "password" in str(error).lower():
            raise ValueError("an encrypted (password-protected) PDF; save a copy without the password") from None
        raise ValueError(f"a damaged PDF that cannot be opened ({error})") from None
    try:
        pages = []
        for number in range(len(document)):
            page = document[number]
            textpage = page.get_textpage()
            pages.append(_reading_order(_page_lines(textpage, raw), page.get_width()))
            textpage.close()
            page.close()
        if not any(pages):
            raise ValueError(
                f"no text layer on any of its {len(pages)} pages (a scanned PDF?); run OCR on it (e.g. ocrmypdf) first"
            )
        pages = _drop_running_lines(pages)
        body = _body_size(pages)
        bookmarks = _bookmark_titles(document)
        blocks = [block for number, lines in enumerate(pages, start=1) for block in _page_blocks(lines, number, body, bookmarks)]
        title = " ".join((document.get_metadata_value("Title") or "").split()) or None
        return Parsed(title, blocks, pages=len(pages))
    finally:
        document.close()
