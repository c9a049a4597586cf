"""Files to documents, from a file or a folder: every format ``ingest.formats`` reads, and BEIR-style .jsonl.

Every file that cannot be read becomes an ``IngestProblem`` naming it and the reason;
the rest of the corpus is still read. The walk never leaves the corpus: a link to
anything outside it is refused, only regular files are opened, and no read is longer
than ``MAX_FILE_BYTES``.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from ingest.blocks import Block, blocks_from_plain_text
from ingest.document import Document
from ingest.errors import CorpusNotFoundError, EmptyCorpusError, IngestProblem
from ingest.formats import SUPPORTED_SUFFIXES, decode, first_heading, parse
# Larger files are refused, not read: a corpus document is text, and without a bound a
# link to /dev/zero (or one huge file) would be read until memory runs out.
MAX_FILE_BYTES = 100 * 2**20
# Opening a FIFO waits for a writer unless non-blocking (the flag is absent on Windows).
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


# How many words of a document are read to learn how it writes the words of its file name.
_CASING_WORDS = 20_000
# A metadata title that is only a file name ("Microsoft Word - report.docx") names nothing.
_FILE_NAME_TITLE = re.compile(r"\.[a-z0-9]{2,5}$", re.IGNORECASE)


@dataclass
class CorpusReading:
    """What reading a corpus gave: the documents, every file that failed and why (``problems``:
    skipped), and notes on files read only in part (``notes``: a sheet cut at its row cap)."""

    documents: list[Document] = field(default_factory=list)
    problems: list[IngestProblem] = field(default_factory=list)
    notes: list[IngestProblem] = field(default_factory=list)
    pages: int = 0


def _title_from_name(path: Path, blocks: list[Block]) -> str:
    """A title made of the file name, its words written as the document writes them.

    ``japan-us-alliance.txt`` about the "Japan-US alliance" is titled "Japan-US alliance": a
    word takes the casing the text uses most, a hyphen stays where the text has the hyphenated
    pair, and capitals already in the name are kept.
    """
    sample = " ".join(block.text for block in blocks[:200])
    forms: dict[str, Counter] = {}
    for word in re.findall(r"\w+", sample)[:_CASING_WORDS]:
        forms.setdefault(word.lower(), Counter())[word] += 1
    hyphenated = sample.lower()

    def cased(word: str) -> str:
        if word != word.lower() or word.lower() not in forms:
            return word
        return forms[word.lower()].most_common(1)[0][0]

    pieces = []
    for chunk in re.split(r"[\s_]+", path.stem.strip()):
        parts = [part for part in chunk.split("-") if part]
        for position, part in enumerate(parts):
            joined = position > 0 and f"{parts[position - 1]}-{part}".lower() in hyphenated
            pieces.append(("-" if joined else " ") + cased(part))
    title = "".join(pieces).strip()
    return (title[:1].upper() + title[1:]) if title else path.name


def _title(path: Path, parsed_title: str | None, blocks: list[Block]) -> str:
    """The document's own title (its metadata or <title>, else its first heading), else one from its file name."""
    if parsed_title and not _FILE_NAME_TITLE.search(parsed_title):
        return parsed_title
    return first_heading(path, blocks) or _title_from_name(path, blocks)


def _os_reason(error: Exception) -> str:
    """The reason in an error, without the path an ``OSError`` repeats."""
    return error.strerror if isinstance(error, OSError) and error.strerror else str(error)


def _refuse_unless_regular(mode: int) -> None:
    if not stat.S_ISREG(mode):
        kind = next((name for is_kind, name in _NOT_REGULAR if is_kind(mode)), "a special file")
        raise ValueError(f"{kind}, not a regular file; only regular files are read")


def _read_regular_file(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path``, refused unless it is a regular file of at most ``max_bytes``.

    The kind is checked before opening, so a pipe or device is never opened, and again on
    the open file, in case the path was swapped in between.
    """
    _refuse_unless_regular(os.stat(path).st_mode)
    with os.fdopen(os.open(path, _OPEN_FLAGS), "rb") as handle:
        _refuse_unless_regular(os.fstat(handle.fileno()).st_mode)
        data = handle.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise ValueError(f"larger than {max_bytes / 2**20:g} MB; split it into smaller files")
    return data


def _id_clash(doc_id: str, file_ids: frozenset[str], sources: dict[str, str]) -> str | None:
    """Why a JSONL record may not take ``doc_id``, if it may not: a citation names only the id."""
    if doc_id in file_ids:
        return f"id {doc_id!r} is the name of a file in the corpus; a citation could not tell the two apart"
    if doc_id in sources:
        return f"duplicate id {doc_id!r} (first in {sources[doc_id]})"
    return None


def _read_jsonl(path: Path, text: str, reading: CorpusReading, file_ids: frozenset[str]) -> None:
    found = False
    sources = {document.id: document.source for document in reading.documents}
    # Only "\n" ends a record: splitlines() would also break a line at U+2028 or U+0085,
    # which JSON allows unescaped inside a string.
    for number, line in enumerate(text.split("\n"), start=1):
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
        doc_id = str(record["id"])
        clash = _id_clash(doc_id, file_ids, sources)
        if clash:
            reading.problems.append(IngestProblem(where, clash))
            continue
        title = str(record.get("title") or "").strip() or doc_id
        blocks = tuple(blocks_from_plain_text(record["text"]))
        reading.documents.append(Document(doc_id, title, blocks, source=str(where)))
        sources[doc_id] = str(where)
        found = True
    if not found and not any(p.source.as_posix().startswith(f"{path}:") for p in reading.problems):
        reading.problems.append(IngestProblem(path, "empty file"))


def read_document(
    path: Path,
    doc_id: str,
    reading: CorpusReading,
    file_ids: frozenset[str] = frozenset(),
    max_bytes: int = MAX_FILE_BYTES,
) -> None:
    """Read one file into ``reading``: its document(s), or a problem saying why not.

    Args:
        path: The file.
        doc_id: Its document id (JSONL records have their own).
        reading: Where documents and problems are collected.
        file_ids: Ids of the corpus's files, which no JSONL record may take. Defaults to none.
        max_bytes: A larger file is refused. Defaults to ``MAX_FILE_BYTES``.
    """
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        reading.problems.append(
            IngestProblem(path, f"unsupported file type {suffix or '(none)'!r}; supported: {', '.join(SUPPORTED_SUFFIXES)}")
        )
        return
    try:
        data = _read_regular_file(path, max_bytes)
        if suffix == ".jsonl":
            _read_jsonl(path, decode(data), reading, file_ids)
            return
        parsed = parse(path, data)
    except (OSError, ValueError) as error:
        reading.problems.append(IngestProblem(path, _os_reason(error)))
        return
    reading.notes += [IngestProblem(path, note) for note in parsed.notes]
    if not parsed.blocks:
        reading.problems.append(IngestProblem(path, "no text found in it"))
        return
    reading.pages += parsed.pages or 0
    title = _title(path, parsed.title, parsed.blocks)
    reading.documents.append(Document(doc_id, title, tuple(parsed.blocks), source=str(path)))


def _corpus_entries(root: Path, reading: CorpusReading) -> list[Path]:
    """Everything under ``root`` but folders and hidden names, sorted; links are listed,
    not followed. A folder that cannot be listed is a problem, not a silent gap."""
    entries: list[Path] = []
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                for entry in listing:
                    if entry.name.startswith("."):
                        continue
                    (folders if entry.is_dir(follow_symlinks=False) else entries).append(Path(entry.path))
        except OSError as error:
            reason = f"a folder that cannot be read ({_os_reason(error)}); its files were skipped"
            reading.problems.append(IngestProblem(folder, reason))
    return sorted(entries)


def _is_outside(path: Path, boundary: Path) -> bool:
    """Whether ``path``, its links resolved, lies outside the folder ``boundary`` (resolved)."""
    return not Path(os.path.realpath(path)).is_relative_to(boundary)


def read_corpus(path: Path | str, max_file_bytes: int = MAX_FILE_BYTES, progress: bool = False) -> CorpusReading:
    """Read every supported file under ``path`` (a folder, read recursively, or one file).

    Document ids are paths relative to the folder (``japan-us-alliance.txt``), so they
    stay the same from one build to the next; a JSONL record may not take one, nor an id
    used before. Hidden files are skipped, and so (reported as problems) are links to
    anything outside the folder, anything but regular files, and files over ``max_file_bytes``.

    Args:
        path: The corpus folder or file.
        max_file_bytes: A larger file is refused. Defaults to ``MAX_FILE_BYTES``.
        progress: Show a progress bar, a step a file, on stderr when it is a terminal. Defaults to False.

    Raises:
        CorpusNotFoundError: ``path`` does not exist.
        EmptyCorpusError: nothing readable was found; the message lists the problems.
    """
    root = Path(path)
    if not root.exists():
        raise CorpusNotFoundError(f"Corpus not found: '{root}'. Give the documents' folder with --corpus (or CITEWISE_CORPUS).")
    reading = CorpusReading()
    if not root.is_dir():
        read_document(root, root.name, reading, max_bytes=max_file_bytes)
    else:
        boundary = Path(os.path.realpath(root))
        entries = {entry: entry.relative_to(root).as_posix() for entry in _corpus_entries(root, reading)}
        file_ids = frozenset(entries.values())
        for entry, doc_id in tqdm(entries.items(), desc="reading", unit="file", disable=None if progress else True):
            if _is_outside(entry, boundary):
                reading.problems.append(IngestProblem(entry, "a link to a file outside the corpus"))
                continue
            read_document(entry, doc_id, reading, file_ids, max_file_bytes)
    if not reading.documents:
        details = "; ".join(str(p) for p in reading.problems) or "no supported files"
        raise EmptyCorpusError(f"No readable document in '{root}' ({details}).")
    return reading
