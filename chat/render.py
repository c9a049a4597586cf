"""Answers as HTML for the chat page: every document and question string escaped, nothing else trusted.

The markup is one block-level ``<div>`` with no blank line in it, so the page's Markdown
renderer passes it through as HTML and never reads document text as Markdown. Each ``[n]``
is a link to the cited paragraph (``#cw-<answer id>-<n>``); ``static/page.js`` opens it.
"""

from __future__ import annotations

import html
import re
import string

from chat.answer import MARKER, Answer, Citation
from chat.source_links import original_link, source_link


def escape(text: str) -> str:
    """``text`` as inert HTML: tags shown as text, line breaks kept without blank lines."""
    return html.escape(text).replace("\r", "").replace("\n", "<br>")


# Every ASCII punctuation mark as a numeric entity: the browser shows the character, and a
# Markdown renderer reads an entity as a literal character, never as syntax (CommonMark 2.5).
_AS_TEXT = {ord(c): f"&#{ord(c)};" for c in string.punctuation}


def escape_text(text: str) -> str:
    """``text`` as inert HTML *and* inert Markdown, for places Gradio renders as Markdown
    (a user's message in the chat): ``![x](http://host/pixel.png)``, ``**b**``, ``<img>`` and
    bare URLs all show as the characters typed. ``html.unescape`` gives ``text`` back."""
    return text.translate(_AS_TEXT)


def highlight(text: str, spans: tuple[tuple[int, int], ...]) -> str:
    """``text`` escaped, with each of ``spans`` (character offsets) wrapped in ``<mark>``."""
    pieces, position = [], 0
    for start, end in sorted(spans):
        start = max(start, position)
        if start >= end:
            continue
        pieces += [escape(text[position:start]), f"<mark>{escape(text[start:end])}</mark>"]
        position = end
    pieces.append(escape(text[position:]))
    return "".join(pieces)


def anchor(answer_id: str, n: int) -> str:
    return f"cw-{answer_id}-{n}"


def anchor_of_answer(answer_id: str) -> str:
    return f"cw-{answer_id}"


_ANSWER_ANCHOR = re.compile(r'<div class="cw-answer[^"]*" id="cw-([0-9a-f]+)"')


def answer_id_of(message: str) -> str | None:
    """The answer id that ``render_answer`` gave a chat message, if it has one."""
    found = _ANSWER_ANCHOR.search(message)
    return found.group(1) if found else None


def source_label(citation: Citation) -> str:
    """``title · p. 3 · section · ¶ n``, escaped: where the cited paragraph is."""
    parts = [citation.title or citation.doc]
    if citation.page_label:
        parts.append(citation.page_label)
    if citation.section:
        parts.append(citation.section)
    parts.append(f"¶ {citation.paragraph}")
    return " · ".join(escape(part) for part in parts)


def source_links(citation: Citation) -> str:
    """Links that open the whole document at the cited paragraph, and a PDF at the cited page."""
    view = source_link(citation.doc, citation.paragraph, citation.part, citation.spans)
    links = [f'<a class="cw-open" href="{escape(view)}" target="_blank" rel="noopener">open the document</a>']
    original = original_link(citation.doc, citation.page)
    if original:
        links.append(f'<a class="cw-original" href="{escape(original)}" target="_blank" rel="noopener">the PDF at this page</a>')
    return " · ".join(links)


def render_source(citation: Citation, answer_id: str, opened: bool = False) -> str:
    """One cited paragraph: where it is, its text with the supporting sentences marked, and links to the document."""
    return (
        f'<details class="cw-source" id="{anchor(answer_id, citation.n)}"{" open" if opened else ""}>'
        f'<summary><span class="cw-n">{citation.n}</span> {source_label(citation)}</summary>'
        f'<div class="cw-paragraph">{highlight(citation.text, citation.spans)}</div>'
        f'<div class="cw-doc">{escape(citation.place)}, paragraph {citation.paragraph} · {source_links(citation)}</div>'
        "</details>"
    )


def render_text(answer: Answer, answer_id: str, sentences: int | None = None) -> str:
    """The answer's sentences (the first ``sentences`` of them, or all), each ``[n]`` a link."""
    known = {citation.n for citation in answer.citations}
    text = answer.answer
    if sentences is not None:
        ends = [m.end() for m in MARKER.finditer(text)]
        text = text[: ends[sentences - 1]] if 0 < sentences <= len(ends) else text

    def link(match: re.Match) -> str:
        n = int(match.group(1))
        if n not in known:
            return match.group(0)
        return f'<a class="cw-cite" href="#{anchor(answer_id, n)}" data-cite="{anchor(answer_id, n)}">[{n}]</a>'

    return MARKER.sub(link, escape(text))


def sentence_count(answer: Answer) -> int:
    """How many cited sentences the answer has (one ``[n]`` each); 1 for a refusal."""
    return max(1, len(MARKER.findall(answer.answer)))


def render_answer(answer: Answer, answer_id: str, sentences: int | None = None) -> str:
    """The chat message: the answer with linked ``[n]`` markers, then its sources, collapsed.

    Args:
        answer: What the engine answered.
        answer_id: Unique on the page, so ``[n]`` of different answers open different sources.
        sentences: Show only the first ones (while streaming); sources come with the last.
    """
    kind = "cw-answer" if answer.answered else "cw-answer cw-refusal"
    body = f'<p class="cw-text">{render_text(answer, answer_id, sentences)}</p>'
    done = sentences is None or sentences >= sentence_count(answer)
    if done and answer.citations:
        sources = "".join(render_source(citation, answer_id) for citation in answer.citations)
        body += f'<div class="cw-sources"><div class="cw-sources-title">Sources</div>{sources}</div>'
    return f'<div class="{kind}" id="{anchor_of_answer(answer_id)}">{body}</div>'


def render_panel(answer: Answer | None, answer_id: str) -> str:
    """The sources panel: the latest answer's cited paragraphs, open, with their sentences marked."""
    if answer is None:
        return '<div class="cw-panel cw-empty">Cited paragraphs appear here, with the sentences used marked.</div>'
    if not answer.citations:
        return '<div class="cw-panel cw-empty">No sources: the documents don\'t answer this question.</div>'
    cards = "".join(render_source(citation, f"p{answer_id}", opened=True) for citation in answer.citations)
    return f'<div class="cw-panel">{cards}</div>'


def render_draft(checked: list[str], draft: str) -> str:
    """The answer while the user's LLM writes it: the sentences that passed the check so far,
    then its unchecked draft, dimmed (the model's text is as inert as a document's)."""
    tail = f' <span class="cw-draft">{escape(draft.strip())}</span>' if draft.strip() else ""
    return f'<div class="cw-answer cw-writing"><p class="cw-text">{escape(" ".join(checked))}{tail}</p></div>'
