"""PDF to blocks, from the text layer (pypdfium2), each block with its page number.

PDFium gives characters with their boxes and font sizes; lines are rebuilt from them
and put in reading order (left column before right on a two-column page). Lines that
repeat at the top or bottom of most pages (running headers and footers, with their
page numbers) are dropped, lines are joined into paragraphs by their spacing (a line
break is not a paragraph; a word hyphenated across lines is joined), and headings are
the lines set larger than the body text or named by the outline (bookmarks).
"""

from __future__ import annotations

import ctypes
import re
import statistics
from collections import Counter
from dataclasses import dataclass

from ingest.blocks import HEADING, LIST, TEXT, Block, Parsed, is_bullet

# A line this much larger than the body text is a heading.
_HEADING_SIZE_RATIO = 1.15
# Lines further apart (baseline to baseline) than this times the page's usual line step are in different
# paragraphs; where the page has no usual step, than this times 1.2 font sizes.
_PARAGRAPH_GAP = 1.3
# How many lines at each end of a page can be a running header or footer.
_EDGE_LINES = 3
_PAGE_NUMBER = re.compile(r"^(page\s+)?\d{1,4}(\s*(/|of)\s*\d{1,4})?$", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?:;\"”’)]$")
# What PDFium puts where a line ends in a hyphen, instead of the hyphen and the line break
# (FPDFText_GetUnicode gives 0x02, FPDFText_GetText U+FFFE).
_PDFIUM_HYPHENS = ("\x02", "\ufffe")
_LINE_END_HYPHENS = ("-", "\u00ad")


@dataclass
class _Line:
    text: str
    left: float
    right: float
    bottom: float
    top: float
    size: float
    baseline: float


def _page_text(textpage, raw, count: int) -> str:
    """The page's characters, one per character index (PDFium's own line breaks included)."""
    text = textpage.get_text_range()
    if len(text) == count:
        return text
    # Some pages give text of another length than their characters (e.g. around surrogates): ask one by one.
    return "".join(chr(raw.FPDFText_GetUnicode(textpage.raw, index)) for index in range(count))


def _page_lines(textpage, raw) -> list[_Line]:
    """The page's lines as PDFium breaks them, each with its box and font size.

    The box and size are taken at the line's ends (first and last visible character):
    asking for every character's cost most of the reading time, and a line keeps its size.
    """
    count = textpage.count_chars()
    text = _page_text(textpage, raw, count)
    lines: list[_Line] = []
    start = 0

    def add_line(begin: int, end: int, suffix: str = "") -> None:
        visible = [index for index in (begin, end - 1) if begin < end and not text[index].isspace()]
        if begin < end and not visible:
            visible = [index for index in range(begin, end) if not text[index].isspace()][:1]
        words = " ".join(text[begin:end].split())
        if not visible or not words:
            return
        first, last = textpage.get_charbox(visible[0]), textpage.get_charbox(visible[-1])
        size = max(raw.FPDFText_GetFontSize(textpage.raw, index) for index in visible)
        x, y = ctypes.c_double(), ctypes.c_double()
        raw.FPDFText_GetCharOrigin(textpage.raw, visible[0], x, y)
        lines.append(_Line(words + suffix, first[0], last[2], min(first[1], last[1]), max(first[3], last[3]), size, y.value))

    for index, char in enumerate(text):
        if char in "\r\n":
            add_line(start, index)
            start = index + 1
        elif char in _PDFIUM_HYPHENS:  # PDFium joins a word hyphenated across lines; split it back, ``_join`` decides
            add_line(start, index, "-")
            start = index + 1
    add_line(start, len(text))
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


def _drop_running_lines(pages: list[list[_Line]], body: float) -> list[list[_Line]]:
    """Without the lines at a page's top or bottom that repeat on most pages, or are a bare page number.

    A line set as a heading is never one: "Chapter 2" atop page 2 is not "Chapter 1" repeated.
    """
    edges = [[line for line in page[:_EDGE_LINES] + page[-_EDGE_LINES:] if line.size < body * _HEADING_SIZE_RATIO] for page in pages]
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


def _line_step(lines: list[_Line]) -> float | None:
    """The usual distance between the baselines of two lines of one paragraph on this page."""
    steps = [
        above.baseline - below.baseline for above, below in zip(lines, lines[1:])
        if abs(above.size - below.size) < 0.5 and 0 < above.baseline - below.baseline < 3 * below.size
    ]
    return statistics.median(steps) if len(steps) >= 3 else None


def _page_blocks(lines: list[_Line], page: int, body: float, bookmarks: set[str]) -> list[Block]:
    blocks: list[Block] = []
    kind, text, last = None, "", None
    step = _line_step(lines)

    def flush() -> None:
        if text:
            blocks.append(Block(kind, text, page))

    for line in lines:
        heading = line.size >= body * _HEADING_SIZE_RATIO or line.text.casefold() in bookmarks
        this_kind = HEADING if heading else (LIST if is_bullet(line.text) else TEXT)
        usual = step if step is not None and abs(line.size - body) < 0.5 else 1.2 * max(line.size, last.size if last else 0)
        close = last is not None and 0 <= last.baseline - line.baseline <= _PARAGRAPH_GAP * usual
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
        body = _body_size(pages)
        pages = _drop_running_lines(pages, body)
        bookmarks = _bookmark_titles(document)
        blocks = [block for number, lines in enumerate(pages, start=1) for block in _page_blocks(lines, number, body, bookmarks)]
        title = " ".join((document.get_metadata_value("Title") or "").split()) or None
        return Parsed(title, blocks, pages=len(pages))
    finally:
        document.close()
