"""Files to documents: .txt, .md, .html and BEIR-style .jsonl, from a file or a folder.

Every file that cannot be read becomes an ``IngestProblem`` naming it and the reason;
the rest of the corpus is still read.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ingest.blocks import Block, blocks_from_plain_text
from ingest.document import Document
from ingest.errors import EmptyCorpusError, IngestProblem
from ingest.markup import html_blocks, markdown_blocks, plain_blocks

_PARSERS: dict[str, Callable[[str], tuple[str | None, list[Block]]]] = {
    ".txt": plain_blocks,
    ".md": markdown_blocks,
    ".markdown": markdown_blocks,
    ".html": html_blocks,
    ".htm": html_blocks,
}
SUPPORTED_SUFFIXES = (*_PARSERS, ".jsonl")


@dataclass
class CorpusReading:
    """What reading a corpus gave: the documents, and every file that failed and why."""

    documents: list[Document] = field(default_factory=list)
    problems: list[IngestProblem] = field(default_factory=list)


def _title_from_name(path: Path) -> str:
    return path.stem.replace("-", " ").replace("_", " ").strip().capitalize() or path.name


def _decode(data: bytes) -> str:
    if b"\x00" in data[:8192]:
        raise ValueError("binary file (it contains NUL bytes), not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ValueError(
            f"not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start}); save it as UTF-8"
        ) from None


def _read_jsonl(path: Path, text: str, reading: CorpusReading) -> None:
    found = False
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = Path(f"{path}:{number}")
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            reading.problems.append(IngestProblem(where, f"broken JSON ({error.msg})"))
            continue
        if not isinstance(record, dict) or not isinstance(record.get("text"), str):
            reading.problems.append(IngestProblem(where, 'a line needs an object with a string "text"'))
            continue
        if "id" not in record or not str(record["id"]).strip():
            reading.problems.append(IngestProblem(where, 'a line needs a non-empty "id"'))
            continue
        if not record["text"].strip():
            reading.problems.append(IngestProblem(where, "empty text"))
            continue
        title = str(record.get("title") or "").strip() or str(record["id"])
        blocks = tuple(blocks_from_plain_text(record["text"]))
        reading.documents.append(Document(str(record["id"]), title, blocks, source=str(where)))
        found = True
    if not found and not any(p.source.as_posix().startswith(f"{path}:") for p in reading.problems):
        reading.problems.append(IngestProblem(path, "empty file"))


def read_document(path: Path, doc_id: str, reading: CorpusReading) -> None:
    """Read one file into ``reading``: its document(s), or a problem saying why not."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        reading.problems.append(
            IngestProblem(path, f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
        )
        return
    try:
        text = _decode(path.read_bytes())
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
        reading.problems.append(IngestProblem(path, reason))
        return
    if suffix == ".jsonl":
        _read_jsonl(path, text, reading)
        return
    if not text.strip():
        reading.problems.append(IngestProblem(path, "empty file"))
        return
    title, blocks = _PARSERS[suffix](text)
    if not blocks:
        reading.problems.append(IngestProblem(path, "no text found in it"))
        return
    reading.documents.append(Document(doc_id, title or _title_from_name(path), tuple(blocks), source=str(path)))


def read_corpus(path: Path | str) -> CorpusReading:
    """Read every supported file under ``path`` (a folder, read recursively, or one file).

    Document ids are paths relative to the folder (``japan-us-alliance.txt``), so they
    stay the same from one build to the next. Hidden files are skipped.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        EmptyCorpusError: nothing readable was found; the message lists the problems.
    """
    root = Path(path)
    if not root.exists():
        raise FileNotFoundError(f"Corpus not found: '{root}'")
    reading = CorpusReading()
    if root.is_file():
        read_document(root, root.name, reading)
    else:
        for file in sorted(p for p in root.rglob("*") if p.is_file() or p.is_symlink()):
            relative = file.relative_to(root)
            if any(part.startswith(".") for part in relative.parts):
                continue
            read_document(file, relative.as_posix(), reading)
    if not reading.documents:
        details = "; ".join(str(p) for p in reading.problems) or "no supported files"
        raise EmptyCorpusError(f"No readable document in '{root}' ({details}).")
    return reading
