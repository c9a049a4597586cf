"""Paragraphs to a new index version: embed, save, verify, then switch to it."""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from index.data_dir import DataDir
from index.embedder import Embedder
from index.errors import CorruptIndexError
from index.faiss_store import FaissStore
from index.lexical_store import LexicalStore
from index.manifest import Manifest
from index.search_index import SearchIndex
from ingest import Paragraph, split_sentences

log = logging.getLogger(__name__)

_EMBED_CHUNK = 512


def corpus_fingerprint(paragraphs: list[Paragraph]) -> str:
    """A hash of every paragraph's key and content: equal fingerprints, equal corpora."""
    digest = hashlib.sha256()
    for paragraph in paragraphs:
        digest.update(f"{paragraph.key}\t{paragraph.hash}\n".encode())
    return digest.hexdigest()[:16]


def embed_with_progress(embedder: Embedder, texts: list[str], progress: bool, what: str) -> np.ndarray:
    """Embed ``texts`` in chunks under one progress bar (per text, not per batch)."""
    parts = []
    with tqdm(total=len(texts), desc=f"embedding {what}", unit="text", disable=not progress) as bar:
        for start in range(0, len(texts), _EMBED_CHUNK):
            chunk = texts[start : start + _EMBED_CHUNK]
            parts.append(embedder.encode(chunk))
            bar.update(len(chunk))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)


def build_search_index(
    paragraphs: list[Paragraph], embedder: Embedder, version: str, chunking: dict, documents: int, progress: bool
) -> SearchIndex:
    """Embed paragraphs and their sentences and assemble an in-memory ``SearchIndex``."""
    spans = [split_sentences(p.text) for p in paragraphs]
    sentence_texts = [p.text[s:e] for p, ps in zip(paragraphs, spans) for s, e in ps]
    search_texts = [p.search_text() for p in paragraphs]
    paragraph_vectors = embed_with_progress(embedder, search_texts, progress, "paragraphs")
    sentence_vectors = embed_with_progress(embedder, sentence_texts, progress, "sentences")
    dense = FaissStore(embedder.dimension)
    dense.add(paragraph_vectors)
    manifest = Manifest(
        version=version,
        model=embedder.name,
        dimension=embedder.dimension,
        chunking=chunking,
        corpus_fingerprint=corpus_fingerprint(paragraphs),
        documents=documents,
        paragraphs=len(paragraphs),
        sentences=len(sentence_texts),
    )
    return SearchIndex(manifest, paragraphs, spans, dense, LexicalStore.build(search_texts), sentence_vectors)


def _self_query(index: SearchIndex) -> None:
    """A saved index must find its own first paragraph by that paragraph's vector."""
    if not len(index):
        return
    vector = index.dense._index.reconstruct(0)
    rows, _ = index.dense.search(np.asarray(vector), 1)
    if len(rows) == 0 or index.paragraphs[int(rows[0])].hash != index.paragraphs[0].hash:
        raise CorruptIndexError(f"Index version {index.manifest.version} failed its self-query check.")


def build_index(
    paragraphs: list[Paragraph],
    data_dir: DataDir,
    embedder: Embedder,
    chunking: dict,
    documents: int,
    keep_versions: int,
    progress: bool = True,
) -> Manifest:
    """Build a new version from ``paragraphs`` and make it the serving one.

    The version is written to a private folder, loaded back and verified (counts,
    manifest, a self-query) before it is published and CURRENT is switched to it,
    so a crash at any point leaves the serving version as it was.

    Returns:
        The new version's manifest.
    """
    if not paragraphs:
        raise ValueError("Nothing to index: the corpus produced no paragraphs.")
    started = time.perf_counter()
    version = data_dir.next_version()
    staging = data_dir.staging_path(version)
    try:
        index = build_search_index(paragraphs, embedder, version, chunking, documents, progress)
        index.save(staging)
        _self_query(SearchIndex.load(staging))
        data_dir.publish(staging, version)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    data_dir.switch(version)
    pruned = data_dir.prune(keep_versions)
    log.info(
        "built index %s: %d documents, %d paragraphs, %d sentences in %.1f s%s",
        version, documents, index.manifest.paragraphs, index.manifest.sentences,
        time.perf_counter() - started, f"; removed old {', '.join(pruned)}" if pruned else "",
    )
    return index.manifest


def load_index(data_dir: DataDir, embedder: Embedder | None = None, version: str | None = None) -> SearchIndex:
    """Load the serving version (or ``version``), checked against ``embedder`` if given."""
    path = data_dir.path_of(version) if version else data_dir.current_path()
    index = SearchIndex.load(Path(path))
    if embedder is not None:
        index.manifest.check_compatible(embedder.name, embedder.dimension)
    return index
