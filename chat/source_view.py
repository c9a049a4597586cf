"""Open the source: a cited document as a whole, and a PDF as its original file.

``GET /source/{doc}?paragraph=N&part=K&mark=a-b,c-d`` shows every paragraph of the document as
the serving index holds it, the cited one (``#p-N``, where the browser scrolls) set apart with
the sentences the answer used marked (character ranges in part K of it, the part cited); all of
it escaped, and the page runs no script at all.
``GET /original/{doc}`` serves a PDF of the corpus as it is (``#page=N`` opens it at the page).
Only documents the serving index holds are shown, and an original only if it is a regular PDF
file inside the corpus folder: no path, link or id can reach anything else. ``RequestGuard``
counts both against the rate limit and asks for the token, like the rest.
"""

from __future__ import annotations

import os
import re
import weakref
from pathlib import Path

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, HTMLResponse

from chat.engine import Engine
from chat.render import escape, highlight
from chat.settings import Settings
from chat.source_links import ORIGINAL_PREFIX, SOURCE_PREFIX, original_link

# Nothing may run or load on the page but its own inline style.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
_MARKS = re.compile(r"^\d{1,7}-\d{1,7}(,\d{1,7}-\d{1,7}){0,31}$")
_STYLE = """
body{font:16px/1.6 system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#1b1b1b}
h1{font-size:1.5rem} h2{font-size:1.05rem;margin:1.6rem 0 .4rem;color:#444} .where{color:#666;font-size:.85rem}
section{padding:.3rem .6rem;border-left:3px solid transparent;white-space:pre-wrap}
section.cited,section:target{border-left-color:#0b7a53;background:#f1f8f4} mark{background:#ffe58a}
"""


# Weakly keyed: an index version swapped out of serving is freed, not kept alive by this table.
_DOCUMENTS_OF: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _by_document(index) -> dict[str, list]:
    """The index's paragraphs by document, each paragraph the list of its parts (worked out once a version)."""
    if index not in _DOCUMENTS_OF:
        documents: dict[str, dict[int, list]] = {}
        for paragraph in index.paragraphs:
            documents.setdefault(paragraph.doc_id, {}).setdefault(paragraph.number, []).append(paragraph)
        _DOCUMENTS_OF[index] = {doc: [parts for _, parts in sorted(numbers.items())] for doc, numbers in documents.items()}
    return _DOCUMENTS_OF[index]


def _marks(mark: str | None) -> tuple[tuple[int, int], ...]:
    if not mark:
        return ()
    if not _MARKS.match(mark):
        raise HTTPException(422, "mark is a comma-separated list of character ranges like 0-38,52-90.")
    return tuple(tuple(int(x) for x in pair.split("-")) for pair in mark.split(","))


def render_document(doc: str, paragraphs: list[list], cited: int | None, cited_part: int, spans: tuple[tuple[int, int], ...]) -> str:
    """The whole document as inert HTML, the cited paragraph set apart with ``spans`` of its part marked."""
    first = paragraphs[0][0]
    body, section = [], None
    for parts in paragraphs:
        paragraph = parts[0]
        if paragraph.section != section and paragraph.section:
            body.append(f"<h2>{escape(paragraph.section)}</h2>")
        section = paragraph.section
        where = f" · p. {paragraph.page}" if paragraph.page is not None else ""
        is_cited = paragraph.number == cited
        shown = "<br>".join(highlight(p.text, spans) if is_cited and p.part == cited_part else escape(p.text) for p in parts)
        kind = ' class="cited"' if is_cited else ""
        body.append(
            f'<section id="p-{paragraph.number}"{kind}><span class="where">¶ {paragraph.number}{where}</span><br>{shown}</section>'
        )
    original = original_link(doc, None)
    link = f'<p><a href="{escape(original)}">The original PDF</a></p>' if original else ""
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(first.doc_title)}</title>'
        f'<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_STYLE}</style></head><body>'
        f'<h1>{escape(first.doc_title)}</h1><p class="where">{escape(doc)}</p>{link}{"".join(body)}</body></html>'
    )


def _original_file(corpus: Path, doc: str) -> Path:
    """The file of ``doc`` if it is a regular PDF file inside ``corpus``, links resolved."""
    root = Path(os.path.realpath(corpus))
    path = Path(os.path.realpath(root / doc))
    if not path.is_relative_to(root) or path.suffix.lower() != ".pdf" or not path.is_file():
        raise HTTPException(404, f"No original file for {doc!r}: only the PDFs of the corpus are served.")
    return path


def source_router(engine: Engine, settings: Settings) -> APIRouter:
    """The source view and the original files, from whatever index ``engine`` serves at request time."""
    router = APIRouter(include_in_schema=False)

    def paragraphs_of(doc: str) -> list[list]:
        paragraphs = _by_document(engine.index).get(doc)
        if paragraphs is None:
            raise HTTPException(404, f"No document {doc!r} in the serving index.")
        return paragraphs

    @router.get(SOURCE_PREFIX + "{doc:path}")
    def source(doc: str, paragraph: int | None = None, part: int = 0, mark: str | None = None) -> HTMLResponse:
        html = render_document(doc, paragraphs_of(doc), paragraph, part, _marks(mark))
        return HTMLResponse(html, headers={"Content-Security-Policy": _POLICY, "Referrer-Policy": "no-referrer"})

    @router.get(ORIGINAL_PREFIX + "{doc:path}")
    def original(doc: str) -> FileResponse:
        paragraphs_of(doc)  # the serving index holds it: no other file of the folder is reachable
        path = _original_file(settings.corpus, doc)
        return FileResponse(
            path, media_type="application/pdf",
            headers={"Content-Disposition": "inline"},
        )

    return router
