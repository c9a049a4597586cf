"""Index build: paragraphs a second against the model's own encode on the same texts, and rebuilds."""

from __future__ import annotations

import logging
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

    The model encodes the very texts the build embeds (each paragraph and each of its
    sentences) once before and once after the build; the build is compared with the mean.
    """
    reading = read_corpus(corpus)
    paragraphs = [p for d in reading.documents for p in split_paragraphs(d, MAX_WORDS)]
    paragraph_texts = [p.search_text() for p in paragraphs]
    sentence_texts = [p.text[s:e] for p in paragraphs for s, e in split_sentences(p.text)]
    log.info("build: %d paragraphs, %d sentences", len(paragraphs), len(sentence_texts))

    def encode_all() -> tuple[float, float]:
        return timed(lambda: embedder.encode(paragraph_texts)), timed(lambda: embedder.encode(sentence_texts))

    before = encode_all()
    with stopwatch() as elapsed:
        first = _rebuild(paragraphs, data_dir, embedder, len(reading.documents), force=True)
        build_seconds = elapsed()
    after = encode_all()
    encode_paragraphs = (before[0] + after[0]) / 2
    encode_all_texts = encode_paragraphs + (before[1] + after[1]) / 2
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
        "embedded": first.embedded,
        "build_paragraphs_per_s": len(paragraphs) / build_seconds,
        "build_texts_per_s": texts / build_seconds,
        "encode_paragraphs_per_s": len(paragraphs) / encode_paragraphs,
        "encode_texts_per_s": texts / encode_all_texts,
        "encode_runs_seconds": [before, after],
        "ratio_texts": encode_all_texts / build_seconds,
        "ratio_paragraphs": encode_paragraphs / build_seconds,
        "unchanged_rebuild_seconds": unchanged.seconds,
        "unchanged_rebuilt": unchanged.built,
        "cached_rebuild_seconds": cached_seconds,
        "cached_rebuild_embedded": cached.embedded,
    }
