"""A corpus folder to an index version: the build use case the CLI, the server, eval, the benchmarks
and the test fixtures share."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from index.builder import BuildReport, rebuild_index
from index.config import IndexConfig
from index.data_dir import DataDir
from index.embedder import Embedder
from ingest import CorpusReading, Paragraph, read_corpus, split_paragraphs

log = logging.getLogger(__name__)


def read_paragraphs(
    corpus: Path, max_words: int, progress: bool = False, on_problem: Callable[[str], None] = log.warning,
) -> tuple[CorpusReading, list[Paragraph]]:
    """Read ``corpus`` and split it into paragraphs of at most ``max_words``, each problem file
    reported (a line to ``on_problem``: skipped, or read in part).

    Args:
        progress: A progress bar while reading, on a terminal. Defaults to False.
    """
    reading = read_corpus(corpus, progress=progress)
    for problem in reading.problems:
        on_problem(f"skipped {problem}")
    for note in reading.notes:
        on_problem(f"read in part {note}")
    return reading, [p for d in reading.documents for p in split_paragraphs(d, max_words)]


def skipped_files(reading: CorpusReading, corpus: Path) -> list[dict]:
    """The files a reading skipped, named relative to the corpus (as documents are), with the reason."""
    skipped = []
    for problem in reading.problems:
        try:
            name = problem.source.relative_to(corpus).as_posix()
        except ValueError:
            name = problem.source.as_posix()
        skipped.append({"file": name, "reason": problem.reason})
    return skipped


def rebuild_corpus(
    corpus: Path,
    data_dir: DataDir,
    config: IndexConfig,
    embedder: Embedder,
    *,
    keep_versions: int,
    force: bool = False,
    wait: bool = True,
    on_wait: Callable[[int | None], None] | None = None,
    build_threads: int = 0,
    progress: bool = True,
    on_problem: Callable[[str], None] = log.warning,
) -> BuildReport:
    """Bring ``data_dir``'s serving version up to date with the documents of ``corpus``, built as
    ``config`` says (``rebuild_index``, which the arguments not described here are passed to).

    Args:
        progress: Progress bars while reading and embedding, on a terminal. Defaults to True.
        on_problem: Told one line for each file skipped or read in part. Defaults to a logged warning.

    Raises:
        CorpusNotFoundError: ``corpus`` does not exist.
        EmptyCorpusError: nothing in it could be read.
        IndexBusyError: another rebuild runs and ``wait`` is False.
    """
    reading, paragraphs = read_paragraphs(Path(corpus), config.max_words, progress, on_problem)
    return rebuild_index(
        paragraphs, data_dir, embedder, config, len(reading.documents), keep_versions, progress=progress, force=force,
        wait=wait, on_wait=on_wait, build_threads=build_threads, skipped=skipped_files(reading, Path(corpus)),
    )
