"""Markdown and HTML to blocks: structure read from markup instead of layout."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from ingest.blocks import HEADING, LIST, QUOTE, TABLE, TEXT, Block, blocks_from_plain_text, is_bullet

_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)")


def _inline_markdown(text: str) -> str:
    return _MD_EMPHASIS.sub("", _MD_LINK.sub(r"\1", text))


def markdown_blocks(text: str) -> tuple[str | None, list[Block]]:
    """Blocks of a Markdown text, and its title (the first level-1 heading), if any."""
    title = None
    blocks: list[Block] = []
    for chunk in re.split(r"\n\s*\n", text):
        lines = [line.rstrip() for line in chunk.splitlines() if line.strip()]
        # A heading line may sit directly on top of its paragraph.
        while lines and _MD_HEADING.match(lines[0]):
            heading = _inline_markdown(_MD_HEADING.match(lines[0]).group(1))
            if title is None and lines[0].lstrip().startswith("# "):
                title = heading
            else:
                blocks.append(Block(HEADING, heading))
            lines = lines[1:]
        if not lines:
            continue
        if all(line.lstrip().startswith("|") for line in lines):
            rows = [line.strip().strip("|") for line in lines if not re.fullmatch(r"[\s|:\-]+", line)]
            text_rows = [" | ".join(cell.strip() for cell in row.split("|")) for row in rows]
            blocks.append(Block(TABLE, _inline_markdown("\n".join(text_rows))))
        elif all(line.lstrip().startswith(">") for line in lines):
            quote = " ".join(line.lstrip()[1:].strip() for line in lines)
            blocks.append(Block(QUOTE, _inline_markdown(quote)))
        elif is_bullet(lines[0]):
            blocks.append(Block(LIST, _inline_markdown("\n".join(line.strip() for line in lines))))
        else:
            blocks.append(Block(TEXT, _inline_markdown(" ".join(line.strip() for line in lines))))
    return title, blocks


class _HtmlBlocks(HTMLParser):
    _KIND_OF_TAG = {
        **{f"h{i}": HEADING for i in range(1, 7)},
        "p": TEXT, "li": LIST, "tr": TABLE, "blockquote": QUOTE, "pre": TEXT, "dt": TEXT, "dd": TEXT,
    }
    _SKIPPED = {"script", "style", "template", "noscript", "svg"}
    _GROUPS = {"ul": LIST, "ol": LIST, "table": TABLE}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.blocks: list[Block] = []
        self._buffer: list[str] = []
        self._kind = TEXT
        self._skipping = 0
        self._in_title = False
        self._group: list[str] | None = None
        self._group_kind = TEXT

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer = []
        if not text:
            return
        if self._group is not None and self._kind in (LIST, TABLE):
            self._group.append(f"• {text}" if self._kind == LIST else text)
        else:
            self.blocks.append(Block(self._kind, text))

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._SKIPPED:
            self._skipping += 1
        if tag == "title":
            self._in_title = True
        if tag in ("td", "th") and self._buffer and "".join(self._buffer).strip():
            self._buffer.append(" | ")
        if tag in self._GROUPS:
            self._flush()
            self._group, self._group_kind = [], self._GROUPS[tag]
        elif tag in self._KIND_OF_TAG or tag in ("div", "section", "article", "br"):
            self._flush()
            self._kind = self._KIND_OF_TAG.get(tag, TEXT)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        if tag == "title":
            self._in_title = False
        if tag in self._KIND_OF_TAG or tag in ("div", "section", "article"):
            self._flush()
            self._kind = self._group_kind if self._group is not None else TEXT
        if tag in self._GROUPS and self._group is not None:
            self._flush()
            if self._group:
                self.blocks.append(Block(self._group_kind, "\n".join(self._group)))
            self._group = None
            self._kind = TEXT

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data.strip()
        elif not self._skipping:
            self._buffer.append(data)


def html_blocks(text: str) -> tuple[str | None, list[Block]]:
    """Blocks of an HTML page, and its ``<title>``. Scripts and styles are dropped."""
    parser = _HtmlBlocks()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.title or None, parser.blocks


def plain_blocks(text: str) -> tuple[str | None, list[Block]]:
    return None, blocks_from_plain_text(text)
