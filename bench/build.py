"""Index build: paragraphs a second against the model's own encode on the same texts, and rebuilds."""

from __future__ import annotations

import logging
import statistics
from pathlib import Path

from bench.timing import stopwatch, timed
from index import DataDir, Embedder, FaissOptions, rebuild_index
from ingest import read_corpus, split_paragraphs, split_sentences

log = logging.getLogger(__name__)

MAX_WORDS = 180  # the default of chat/settings.py; bench must not import chat to build


def _rebuild(paragraphs, data_dir: Path, embedder: Embedder, documents: int, force: bool):
    return rebuild_index(
        paragraphs, DataDir(data_dir), embedder, chunking={"max_words": MAX_WORDS}, documents=documents,
        keep_versions=3, progress=False, force=force, dense_options=FaissOptions(),
    )


def run(corpus: Path, data_dir: Path, embedder: Embedder) -> dict:
    """Build an index of ``corpus`` into ``data_dir`` (left there for the other benchmarks).

    Two builds from scratch (the first into a sibling folder) alternate with three runs
    of the model's ``encode`` on the very texts the build embeds (each paragraph and
    each of its sentences): encode, build, encode, build, encode. Means are compared.
    """
    reading = read_corpus(corpus)
    paragraphs = [p for d in reading.documents for p in split_paragraphs(d, MAX_WORDS)]
    paragraph_texts = [p.search_text() for p in paragraphs]
    sentence_texts = [p.text[s:e] for p in paragraphs for s, e in split_sentences(p.text)]
    log.info("build: %d paragraphs, %d sentences", len(paragraphs), len(sentence_texts))

    def encode_all() -> tuple[float, float]:
        return timed(lambda: embedder.encode(paragraph_texts)), timed(lambda: embedder.encode(sentence_texts))

    encodes, builds = [encode_all()], []
    for folder in (data_dir.with_name(data_dir.name + "-first"), data_dir):
        with stopwatch() as elapsed:
            built = _rebuild(paragraphs, folder, embedder, len(reading.documents), force=True)
            builds.append(elapsed())
        encodes.append(encode_all())
    build_seconds = statistics.fmean(builds)
    encode_paragraphs = statistics.fmean(p for p, _ in encodes)
    encode_all_texts = encode_paragraphs + statistics.fmean(s for _, s in encodes)
    unchanged = _rebuild(paragraphs, data_dir, embedder, len(reading.documents), force=False)
    with stopwatch() as elapsed:
        cached = _rebuild(paragraphs, data_dir, embedder, len(reading.documents), force=True)
        cached_seconds = elapsed()
    texts = len(paragraph_texts) + len(sentence_texts)
    return {
        "documents": len(reading.documents),
        "paragraphs": len(paragraphs),
        "sentences": len(sentence_texts),
        "build_seconds": build_seconds,
        "embedded": built.embedded,
        "build_paragraphs_per_s": len(paragraphs) / build_seconds,
        "build_texts_per_s": texts / build_seconds,
        "encode_paragraphs_per_s": len(paragraphs) / encode_paragraphs,
        "encode_texts_per_s": texts / encode_all_texts,
        "encode_runs_seconds": encodes,
        "build_runs_seconds": builds,
        "ratio_texts": encode_all_texts / build_seconds,
        "ratio_paragraphs": encode_paragraphs / build_seconds,
        "unchanged_rebuild_seconds": unchanged.seconds,
        "unchanged_rebuilt": unchanged.built,
        "cached_rebuild_seconds": cached_seconds,
        "cached_rebuild_embedded": cached.embedded,
    }
