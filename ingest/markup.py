"""Markdown and HTML to blocks: structure read from markup instead of layout."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

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


# Page furniture, not content: dropped with everything inside it.
_FURNITURE_TAGS = {"nav", "aside", "dialog"}
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog"}
_FURNITURE_NAME = re.compile(
    r"(?:^|[\s_-])(?:nav|navbar|navigation|menu|sidebar|breadcrumbs?|cookies?|consent|gdpr|skip-?link|masthead|"
    r"site-header|site-footer|footer|banner)(?:$|[\s_-])",
    re.IGNORECASE,
)
# Their header and footer belong to a page only outside the main content (an article's own header is content).
_PAGE_EDGES = {"header", "footer"}
_VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_MAIN_CONTENT = re.compile(r"<(main|article)\b|\brole\s*=\s*[\"']?main\b", re.IGNORECASE)


def _is_main(tag: str, attributes: dict) -> bool:
    return tag in ("main", "article") or attributes.get("role") == "main"


def _link_target(href: str | None, base: str) -> str | None:
    """Where a link goes, as a reader can follow it; None for links within the page or to scripts."""
    href = (href or "").strip()
    if not href or href.startswith(("#", "javascript:")):
        return None
    return urljoin(base, href) if base else href


class _HtmlBlocks(HTMLParser):
    """Blocks of a page's main content: inside ``<main>``/``<article>`` when the page has one,
    and never its navigation, banner, footer, sidebars or cookie notices. A link keeps its
    target as text: ``the pay page (https://intranet.example/pay)``."""

    _KIND_OF_TAG = {
        **{f"h{i}": HEADING for i in range(1, 7)},
        "p": TEXT, "li": LIST, "tr": TABLE, "blockquote": QUOTE, "pre": TEXT, "dt": TEXT, "dd": TEXT,
    }
    _SKIPPED = {"script", "style", "template", "noscript", "svg"}
    _GROUPS = {"ul": LIST, "ol": LIST, "table": TABLE}

    def __init__(self, main_only: bool) -> None:
        super().__init__(convert_charrefs=True)
        self.title: str | None = None
        self.blocks: list[Block] = []
        self._buffer: list[str] = []
        self._kind = TEXT
        self._in_title = False
        self._group: list[str] | None = None
        self._group_kind = TEXT
        # Open elements as (tag, dropped, main): what is dropped or main is known from the ancestors.
        self._open: list[tuple[str, bool, bool]] = []
        self._main_only = main_only
        self._base = ""
        self._link: tuple[str | None, int] | None = None

    @property
    def _dropped(self) -> bool:
        inside_main = any(main for _, _, main in self._open)
        return any(dropped for _, dropped, _ in self._open) or (self._main_only and not inside_main)

    def _flush(self) -> None:
        text = " ".join("".join(self._buffer).split())
        self._buffer = []
        if not text:
            return
        if self._group is not None and self._kind in (LIST, TABLE):
            self._group.append(f"• {text}" if self._kind == LIST else text)
        else:
            self.blocks.append(Block(self._kind, text))

    def _is_furniture(self, tag: str, attributes: dict) -> bool:
        inside_main = any(main for _, _, main in self._open)
        names = f"{attributes.get('class') or ''} {attributes.get('id') or ''}"
        return (
            tag in self._SKIPPED
            or tag in _FURNITURE_TAGS
            or (tag in _PAGE_EDGES and not inside_main)
            or attributes.get("role") in _FURNITURE_ROLES
            or "hidden" in attributes
            or attributes.get("aria-hidden") == "true"
            or bool(_FURNITURE_NAME.search(names))
        )

    def handle_starttag(self, tag: str, attrs) -> None:
        attributes = {name: value for name, value in attrs}
        if tag == "base" and not self._base:
            self._base = attributes.get("href") or ""
        if tag not in _VOID:
            self._open.append((tag, self._is_furniture(tag, attributes), _is_main(tag, attributes)))
        if tag == "title":
            self._in_title = True
        if tag == "a":
            self._link = (_link_target(attributes.get("href"), self._base), len(self._buffer))
        if tag in ("td", "th") and self._buffer and "".join(self._buffer).strip():
            self._buffer.append(" | ")
        if tag in self._GROUPS:
            self._flush()
            self._group, self._group_kind = [], self._GROUPS[tag]
        elif tag in self._KIND_OF_TAG or tag in ("div", "section", "article", "main", "br"):
            self._flush()
            self._kind = self._KIND_OF_TAG.get(tag, TEXT)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag == "a" and self._link is not None:
            target, start = self._link
            self._link = None
            label = " ".join("".join(self._buffer[start:]).split())
            if target and label and target != label and not self._dropped:
                self._buffer.append(f" ({target})")
        if tag in self._KIND_OF_TAG or tag in ("div", "section", "article", "main"):
            self._flush()
            self._kind = self._group_kind if self._group is not None else TEXT
        if tag in self._GROUPS and self._group is not None:
            self._flush()
            if self._group:
                self.blocks.append(Block(self._group_kind, "\n".join(self._group)))
            self._group = None
            self._kind = TEXT
        # An end tag closes its element and whatever was left open inside it (an unclosed <p> or <li>).
        for depth in range(len(self._open) - 1, -1, -1):
            if self._open[depth][0] == tag:
                del self._open[depth:]
                break

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data.strip()
        elif not self._dropped:
            self._buffer.append(data)


def html_blocks(text: str) -> tuple[str | None, list[Block]]:
    """Blocks of an HTML page's main content, and its ``<title>``.

    Scripts, styles, navigation, banners, footers, sidebars and cookie notices are dropped;
    when the page marks its main content (``<main>``, ``<article>``, ``role="main"``), only
    that is read.
    """
    parser = _HtmlBlocks(main_only=bool(_MAIN_CONTENT.search(text)))
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.title or None, parser.blocks


def plain_blocks(text: str) -> tuple[str | None, list[Block]]:
    return None, blocks_from_plain_text(text)
