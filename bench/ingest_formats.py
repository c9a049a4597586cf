"""Ingest throughput on a generated share of mixed documents: documents and pages read a second.

`python -m bench.ingest_formats [--files 240] [--folder DIR]` writes a folder of PDFs (printed
by Chromium, and drawn by reportlab), Word files, slide decks, workbooks, CSV files and HTML
pages, each with its own text, then times `read_corpus` and the split into paragraphs (the
whole of ingest; embedding is bench/build.py's) on it.
Not part of `make bench`: generating the files takes a minute or two (Chromium prints one a second or so).
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

from ingest import read_corpus, split_paragraphs
from tests.real_documents import print_with_chromium

_WORDS = (
    "badge office travel ticket garage lunch library budget contract invoice supplier meeting laptop policy "
    "holiday salary pension training safety printer network server backup project roadmap customer survey"
).split()
_PAGES = 5


def _sentence(rng: random.Random) -> str:
    words = rng.choices(_WORDS, k=rng.randint(8, 18))
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng) for _ in range(rng.randint(3, 6)))


def _chromium_pdf(path: Path, rng: random.Random) -> None:
    sections = "".join(
        f'<h2 style="break-before:page">Part {n}</h2>' + "".join(f"<p>{_paragraph(rng)}</p>" for _ in range(4))
        for n in range(1, _PAGES + 1)
    )
    print_with_chromium(f"<html><head><title>Report {path.stem}</title></head><body>{sections}</body></html>", path)


def _reportlab_pdf(path: Path, rng: random.Random) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

    styles = getSampleStyleSheet()
    story = []
    for n in range(1, _PAGES + 1):
        story.append(Paragraph(f"Chapter {n}", styles["Heading1"]))
        story += [Paragraph(_paragraph(rng), styles["BodyText"]) for _ in range(5)]
        story.append(PageBreak())
    SimpleDocTemplate(str(path), pagesize=A4, title=f"Notes {path.stem}").build(story)


def _docx(path: Path, rng: random.Random) -> None:
    import docx

    document = docx.Document()
    for n in range(1, 4):
        document.add_heading(f"Section {n}", level=1)
        for _ in range(4):
            document.add_paragraph(_paragraph(rng))
    document.save(path)


def _pptx(path: Path, rng: random.Random) -> None:
    import pptx

    deck = pptx.Presentation()
    for n in range(1, _PAGES + 1):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Slide topic {n}"
        slide.placeholders[1].text_frame.text = _sentence(rng)
        slide.notes_slide.notes_text_frame.text = _paragraph(rng)
    deck.save(path)


def _xlsx(path: Path, rng: random.Random) -> None:
    import openpyxl

    workbook = openpyxl.Workbook()
    workbook.active.append(["Item", "Owner", "Amount", "Note"])
    for row in range(200):
        workbook.active.append([f"item {row}", rng.choice(_WORDS), rng.randint(1, 9999), _sentence(rng)])
    workbook.save(path)


def _csv(path: Path, rng: random.Random) -> None:
    rows = ["Name,Team,Score"] + [f"{rng.choice(_WORDS)} {n},{rng.choice(_WORDS)},{rng.randint(1, 100)}" for n in range(100)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")


def _html(path: Path, rng: random.Random) -> None:
    body = "".join(f"<p>{_paragraph(rng)}</p>" for _ in range(8))
    path.write_text(
        f"<html><head><title>Page {path.stem}</title></head><body><nav>Home | HR | IT</nav>"
        f"<main><h1>Page {path.stem}</h1>{body}</main><footer>© 2026 Example</footer></body></html>",
        encoding="utf-8",
    )


# suffix, writer, share of the files
_KINDS = [
    ("chromium.pdf", _chromium_pdf, 0.12), ("pdf", _reportlab_pdf, 0.18), ("docx", _docx, 0.14),
    ("pptx", _pptx, 0.14), ("xlsx", _xlsx, 0.14), ("csv", _csv, 0.14), ("html", _html, 0.14),
]


def write_share(folder: Path, files: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for suffix, writer, share in _KINDS:
        for n in range(max(1, round(files * share))):
            writer(folder / f"{suffix.split('.')[0]}-{n:04d}.{suffix.split('.')[-1]}", rng)


def measure(folder: Path) -> dict:
    started = time.perf_counter()
    reading = read_corpus(folder)
    paragraphs = [p for d in reading.documents for p in split_paragraphs(d, 180)]
    seconds = time.perf_counter() - started
    return {
        "documents": len(reading.documents), "skipped": len(reading.problems), "pages": reading.pages,
        "paragraphs": len(paragraphs), "seconds": round(seconds, 2),
        "documents_per_second": round(len(reading.documents) / seconds, 1), "pages_per_second": round(reading.pages / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest_formats", description=__doc__)
    parser.add_argument("--files", type=int, default=240, help="How many files to generate. [default: 240]")
    parser.add_argument("--folder", type=Path, help="Generate into (or reuse) this folder instead of a temporary one.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.folder or Path(scratch) / "share"
        if not folder.exists() or not any(folder.iterdir()):
            started = time.perf_counter()
            write_share(folder, args.files)
            print(f"generated {sum(1 for _ in folder.iterdir())} files in {time.perf_counter() - started:.1f} s")
        print(json.dumps(measure(folder)))


if __name__ == "__main__":
    main()
