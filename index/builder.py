"""Paragraphs to a new index version: diff, embed only what is new, save, verify, then switch to it."""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from tqdm import tqdm

from index.build_lock import BuildLock
from index.changes import Changes, diff_paragraphs
from index.config import IndexConfig, SearchOptions
from index.data_dir import DataDir
from index.embedder import Embedder, build_thread_count, process_threads
from index.embedding_cache import CachedEmbedder, EmbeddingCache, span_key, text_key
from index.errors import REBUILD_COMMAND, CacheUnavailableError, CorruptIndexError, DamagedCacheError, IndexWriteError
from index.faiss_store import FaissOptions, FaissStore
from index.lexical_store import LexicalStore
from index.manifest import FORMAT_VERSION, Manifest
from index.search_index import PARAGRAPHS_FILE, SearchIndex
from ingest import EmptyCorpusError, Paragraph, split_sentences

log = logging.getLogger(__name__)

# Paragraphs handed to the model at once; also how often a build's progress reaches the cache.
_EMBED_CHUNK = 512
# Why writing a version can fail that the operator can fix (anything else is a bug).
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def index_texts(paragraphs: list[Paragraph], spans: list[list[tuple[int, int]]]) -> tuple[list[str], list[list[tuple[int, int]]]]:
    """What a version embeds: each paragraph's search text, and its sentences' spans in that text
    (``spans`` are into ``p.text``, which the search text ends with, after its title / section line)."""
    search_texts = [p.search_text() for p in paragraphs]
    shifted = [
        [(start + len(text) - len(p.text), end + len(text) - len(p.text)) for start, end in ps]
        for p, ps, text in zip(paragraphs, spans, search_texts)
    ]
    return search_texts, shifted


def sentence_cache_keys(search_texts: list[str], spans: list[list[tuple[int, int]]], sentence_vectors: str) -> list[bytes]:
    """The embedding cache key of every sentence vector, in order: by the sentence's text when it is
    embedded "alone", by its paragraph's text and its span when "pooled" from the paragraph's pass."""
    if sentence_vectors == "pooled":
        return [span_key(text, span) for text, ps in zip(search_texts, spans) for span in ps]
    return [text_key(text[start:end]) for text, ps in zip(search_texts, spans) for start, end in ps]


def index_cache_keys(paragraphs: list[Paragraph], spans: list[list[tuple[int, int]]], sentence_vectors: str) -> set[bytes]:
    """The embedding cache keys of every vector of these paragraphs: theirs and their sentences'."""
    search_texts, sentence_spans = index_texts(paragraphs, spans)
    return {text_key(text) for text in search_texts} | set(sentence_cache_keys(search_texts, sentence_spans, sentence_vectors))


def version_text_keys(directory: Path) -> set[bytes]:
    """The embedding cache keys of every vector a saved version holds, from its manifest and paragraphs file.

    Raises:
        OSError, ValueError, KeyError, TypeError: the manifest or the paragraphs file is missing or unreadable.
    """
    sentence_vectors = Manifest.load(directory).sentence_vectors
    paragraphs, spans = [], []
    with open(Path(directory) / PARAGRAPHS_FILE, encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            spans.append([tuple(s) for s in record.pop("sentences")])
            paragraphs.append(Paragraph.from_dict(record))
    return index_cache_keys(paragraphs, spans, sentence_vectors)


def corpus_fingerprint(paragraphs: list[Paragraph]) -> str:
    """A hash of every paragraph's key and content: equal fingerprints, equal corpora."""
    digest = hashlib.sha256()
    for paragraph in paragraphs:
        digest.update(f"{paragraph.key}\t{paragraph.hash}\n".encode())
    return digest.hexdigest()[:16]


def _in_chunks(count: int, progress: bool, what: str, embed_chunk: Callable[[slice], Any]) -> list:
    """``embed_chunk`` of each run of ``_EMBED_CHUNK`` items, in order, under one progress bar (per item)."""
    parts = []
    with tqdm(total=count, desc=f"embedding {what}", unit=what.rstrip("s"), disable=not progress) as bar:
        for start in range(0, count, _EMBED_CHUNK):
            chunk = slice(start, min(start + _EMBED_CHUNK, count))
            parts.append(embed_chunk(chunk))
            bar.update(chunk.stop - chunk.start)
    return parts


def embed_with_progress(embedder: Embedder, texts: list[str], progress: bool, what: str, threads: int = 0) -> np.ndarray:
    """Embed ``texts`` in chunks under one progress bar (per text, not per batch), each chunk on
    ``threads`` threads (0: every core); the embedder's own count is back between chunks."""
    parts = _in_chunks(len(texts), progress, what, lambda chunk: embedder.encode(texts[chunk], threads=threads))
    return np.concatenate(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)


def embed_index_texts(
    embedder: Embedder, texts: list[str], spans: list[list[tuple[int, int]]], sentence_vectors: str, progress: bool,
    threads: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Paragraph vectors and all their sentence vectors (in order), in chunks on ``threads`` threads.

    "alone": the paragraphs, then every sentence on its own (two passes). "pooled": one pass per
    paragraph, its sentence vectors pooled from it (``index.pooling``): about 3x faster to build.
    """
    if sentence_vectors == "alone":
        sentences = [text[start:end] for text, ps in zip(texts, spans) for start, end in ps]
        return (embed_with_progress(embedder, texts, progress, "paragraphs", threads),
                embed_with_progress(embedder, sentences, progress, "sentences", threads))
    parts = _in_chunks(len(texts), progress, "paragraphs",
                       lambda chunk: embedder.embed_paragraphs(texts[chunk], spans[chunk], threads=threads))
    empty = np.zeros((0, embedder.dimension), dtype=np.float32)
    sentence_parts = [part for _, sentences in parts for part in sentences]
    return (np.concatenate([whole for whole, _ in parts]) if parts else empty,
            np.concatenate(sentence_parts) if sentence_parts else empty)


def _dense_store(vectors: np.ndarray, dimension: int, options: FaissOptions) -> FaissStore:
    """The dense index over the paragraph vectors: the one place that picks its FAISS type."""
    dense = FaissStore(dimension, options=options)
    dense.add(vectors)
    return dense


def build_search_index(
    paragraphs: list[Paragraph],
    embedder: Embedder,
    version: str,
    config: IndexConfig,
    documents: int,
    progress: bool,
    build_threads: int = 0,
    skipped: list[dict] | None = None,
) -> SearchIndex:
    """Embed paragraphs and their sentences and assemble an in-memory ``SearchIndex`` built as ``config`` says.

    ``config.sentence_vectors`` says how sentences are embedded: "alone", or "pooled" from their
    paragraph's own pass (``embed_index_texts``); ``config.dense_options()``, when the dense index is approximate.
    ``embedder`` may be a ``CachedEmbedder``: then only texts never seen before reach the model.
    Embedding and the dense index's training run on ``build_threads`` threads (0: every core);
    the embedder's own (serving) count is restored afterwards.
    """
    spans = [split_sentences(p.text) for p in paragraphs]
    search_texts, sentence_spans = index_texts(paragraphs, spans)
    paragraph_vectors, sentence_matrix = embed_index_texts(
        embedder, search_texts, sentence_spans, config.sentence_vectors, progress, build_threads
    )
    manifest = Manifest(
        version=version,
        dimension=embedder.dimension,
        corpus_fingerprint=corpus_fingerprint(paragraphs),
        documents=documents,
        paragraphs=len(paragraphs),
        sentences=len(sentence_matrix),
        skipped=list(skipped or []),
        **config.to_dict(),
    )
    with process_threads(build_thread_count(build_threads)):
        dense = _dense_store(paragraph_vectors, embedder.dimension, config.dense_options())
    return SearchIndex(manifest, paragraphs, spans, dense, LexicalStore.build(search_texts), sentence_matrix)


def _verify_saved(directory: Path, expected: Manifest, embedder: Embedder) -> None:
    """A saved version must load (which checks its counts against its manifest), be the version
    and corpus we built, and find its own first paragraph when asked with that paragraph's text.
    """
    index = SearchIndex.load(directory)
    if (index.manifest.version, index.manifest.corpus_fingerprint) != (expected.version, expected.corpus_fingerprint):
        raise CorruptIndexError(f"Index version {expected.version} was saved with another manifest: rebuild it.")
    first = index.paragraphs[0]
    rows, _ = index.dense.search(embedder.encode([first.search_text()])[0], 1)
    if len(rows) == 0 or index.paragraphs[int(rows[0])].hash != first.hash:
        raise CorruptIndexError(f"Index version {expected.version} failed its self-query check.")


@dataclass(frozen=True)
class BuildReport:
    """What a rebuild did.

    Attributes:
        manifest: The version serving afterwards.
        changes: Paragraphs added, changed, deleted, unchanged since the version that served before.
        embedded: Vectors (paragraphs and their sentences) the model computed; the rest came from the cache.
        seconds: Wall time, lock wait excluded.
        built: False when nothing had changed and the serving version was kept.
        pruned: Old versions deleted to keep ``keep_versions``.
    """

    manifest: Manifest
    changes: Changes
    embedded: int
    seconds: float
    built: bool
    pruned: list[str] = field(default_factory=list)

    @property
    def version(self) -> str:
        return self.manifest.version

    def to_dict(self) -> dict:
        return {
            **self.changes.counts(),
            "embedded": self.embedded,
            "version": self.version,
            "built": self.built,
            "seconds": round(self.seconds, 3),
            "pruned": self.pruned,
            "skipped": len(self.manifest.skipped),
            "skipped_files": self.manifest.skipped,
        }

    def summary(self) -> str:
        """``added 3, changed 1, deleted 0, unchanged 60 paragraphs; embedded 9 in 0.3 s; built v0004, now serving``."""
        outcome = f"built {self.version}, now serving" if self.built else f"nothing changed, {self.version} keeps serving"
        skipped = len(self.manifest.skipped)
        files = f"; skipped {skipped} file{'s' if skipped != 1 else ''} (see above)" if skipped else ""
        return f"{self.changes.summary()}; embedded {self.embedded} in {self.seconds:.1f} s{files}; {outcome}"


def _readable_serving(data_dir: DataDir) -> SearchIndex | None:
    """The serving version to compare against, or None if there is none or no version is readable.

    A bad CURRENT (``DataDir.pointer_problem``) or a broken serving version falls back to the
    newest good version, with the warning ``load_index`` gives.
    """
    if data_dir.current() is None:
        return None
    try:
        return load_index(data_dir)
    except CorruptIndexError as error:
        log.warning("%s Building a new version from scratch (the embedding cache still saves the work).", error)
        return None


def _is_same_build(manifest: Manifest, changes: Changes, config: IndexConfig, documents: int, skipped: list[dict]) -> bool:
    # A newly skipped file changes no paragraph, but the version must say it was skipped.
    return not changes.any and _built_as(manifest, config) and (
        manifest.format_version, manifest.documents, manifest.skipped
    ) == (FORMAT_VERSION, documents, skipped)


def _built_as(manifest: Manifest, config: IndexConfig) -> bool:
    try:
        return manifest.config() == config
    except (KeyError, TypeError, ValueError):  # a configuration that cannot be read (edited by hand): build anew
        return False


def _check_fits(embedder: Embedder, config: IndexConfig) -> None:
    """The vectors are the embedder's, so it must be the model and backend the manifest will name.

    By name and backend, not dimension: a ``LazyEmbedder`` knows them without loading the model.
    """
    if (embedder.name, embedder.backend) != (config.model, config.backend):
        raise ValueError(
            f"Invalid embedder {embedder.name!r} on {embedder.backend} for a build configured for "
            f"{config.model!r} on {config.backend}."
        )


def rebuild_index(
    paragraphs: list[Paragraph],
    data_dir: DataDir,
    embedder: Embedder,
    config: IndexConfig,
    documents: int,
    keep_versions: int,
    progress: bool = True,
    force: bool = False,
    wait: bool = True,
    on_wait: Callable[[int | None], None] | None = None,
    build_threads: int = 0,
    skipped: list[dict] | None = None,
) -> BuildReport:
    """Bring the serving index up to date with ``paragraphs``, embedding only new texts.

    Under the data directory's build lock: removes what killed builds left behind,
    compares ``paragraphs`` with the serving version, and unless nothing changed (or
    ``force``), writes a new version to a private folder, loads it back and verifies it
    (counts, manifest, a self-query), publishes it and switches CURRENT to it. A crash
    at any point leaves the serving version as it was; vectors embedded before the
    crash stay in the cache.

    ``rebuild_corpus`` is this for a corpus folder; here the paragraphs are in hand.

    Args:
        embedder: The model; a ``LazyEmbedder`` is loaded only if something must be embedded.
        config: How to build (model, backend, chunking, sentence vectors, dense index), saved in the
            manifest; a serving version built otherwise is rebuilt, not kept.
        force: Write a new version even if nothing changed. Defaults to False.
        wait: Wait for a rebuild already running; False raises ``IndexBusyError``. Defaults to True.
        on_wait: Called with the other rebuild's pid before waiting for it.
        build_threads: CPU threads the build embeds with (0, the default: every core). The
            embedder's own count (``Embedder.threads``, for questions) is back afterwards.
        skipped: Corpus files left out, each ``{"file", "reason"}``, kept in the manifest. Defaults to none.

    Raises:
        EmptyCorpusError: ``paragraphs`` is empty.
        IndexBusyError: another rebuild runs and ``wait`` is False.
        ValueError: ``embedder`` is not the model and backend ``config`` names.
    """
    if not paragraphs:
        raise EmptyCorpusError("Nothing to index: the corpus produced no paragraphs.")
    _check_fits(embedder, config)
    with BuildLock(data_dir.lock_path).acquire(wait, on_wait):
        started = time.perf_counter()
        leftovers = data_dir.clean_staging()
        if leftovers:
            log.info("removed what an interrupted build left: %s", ", ".join(leftovers))
        serving = _readable_serving(data_dir)
        changes = diff_paragraphs(serving.paragraphs if serving else [], paragraphs)
        # Only a version CURRENT really names can be kept: after a fallback, a new one is built.
        followed = serving is not None and not data_dir.pointer_problem() and serving.manifest.version == data_dir.current()
        if not force and followed and _is_same_build(serving.manifest, changes, config, documents, skipped or []):
            report = BuildReport(serving.manifest, changes, 0, time.perf_counter() - started, built=False)
            log.debug("index is up to date: %s", report.summary())
            return report
        serving_name = serving.manifest.version if serving else None
        cached = CachedEmbedder(embedder, EmbeddingCache(data_dir.cache_dir, embedder.name, embedder.backend))
        try:
            version = data_dir.next_version()
            try:
                staging = data_dir.staging_path(version)
                try:
                    index = build_search_index(paragraphs, cached, version, config, documents, progress, build_threads, skipped)
                    index.save(staging)
                    _verify_saved(staging, index.manifest, cached)
                    data_dir.publish(staging, version)
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
                data_dir.switch(version)
            except OSError as error:
                if error.errno not in _WRITE_ERRNOS:
                    raise
                where = f" ({error.filename})" if error.filename else ""
                raise IndexWriteError(
                    f"Could not write index version {version}: {error.strerror}{where}. "
                    f"{serving_name or 'No version'} keeps serving; free some space (or fix the permissions) "
                    "and run the rebuild again."
                ) from error
            except DamagedCacheError as error:
                raise DamagedCacheError(f"{error} {serving_name or 'No version'} keeps serving.") from error
            pruned = data_dir.prune(keep_versions)
            _prune_cache(cached.cache, data_dir, index, version)
        finally:
            cached.cache.close()
        report = BuildReport(index.manifest, changes, cached.embedded, time.perf_counter() - started, True, pruned)
    log.info(
        "built index %s: %d documents, %d paragraphs, %d sentences, %d texts embedded%s",
        version, documents, index.manifest.paragraphs, index.manifest.sentences, cached.embedded,
        f"; removed old {', '.join(pruned)}" if pruned else "",
    )
    return report


def _prune_cache(cache: EmbeddingCache, data_dir: DataDir, index: SearchIndex, version: str) -> None:
    """Forget the vectors of texts that no version left on disk holds (the new one included).

    The version is already serving: trouble here is logged, it never fails the rebuild.
    """
    keep = index_cache_keys(index.paragraphs, index.spans, index.manifest.sentence_vectors)
    for other in data_dir.versions():
        if other == version:
            continue
        try:
            keep |= version_text_keys(data_dir.path_of(other))
        except (OSError, ValueError, KeyError, TypeError) as error:
            # An unreadable version cannot be served anyway; its vectors go, a rebuild re-embeds them.
            log.debug("not keeping cached vectors of unreadable version %s: %s", other, error)
    try:
        removed = cache.prune(keep)
    except (CacheUnavailableError, DamagedCacheError) as error:
        log.warning("could not prune the embedding cache %s (%s); it keeps unused vectors until the next rebuild", cache.path, error)
        return
    if removed:
        log.info("embedding cache: removed %d vectors no kept version uses", removed)


def build_index(*args, **options) -> Manifest:
    """Build a new version (even if nothing changed) and make it the serving one.

    Takes the arguments of ``rebuild_index``, which it calls with ``force=True``.

    Returns:
        The new version's manifest.
    """
    return rebuild_index(*args, force=True, **options).manifest


def _load_newest_good(data_dir: DataDir, problem: str, broken: str | None) -> SearchIndex:
    """The newest readable version of this format other than ``broken``, with a warning that
    starts with ``problem``.

    Raises:
        CorruptIndexError: ``problem``, when no version can take over.
    """
    for version in reversed(data_dir.versions()):
        if version == broken:
            continue
        try:
            index = SearchIndex.load(data_dir.path_of(version))
        except CorruptIndexError:
            continue
        if index.manifest.format_version != FORMAT_VERSION:
            continue  # refused by ``check_compatible``: no use as a stand-in
        log.warning(
            "%s Serving %s, the newest good version, instead: run `%s`, or "
            "`citewise index rollback %s` to make it the serving one.", problem, version, REBUILD_COMMAND, version,
        )
        return index
    raise CorruptIndexError(problem if broken else f"{problem} No version here can be served: run `{REBUILD_COMMAND}`.")


def load_index(data_dir: DataDir, embedder: Embedder | None = None, version: str | None = None) -> SearchIndex:
    """Load ``version``, or the serving one, checked against ``embedder`` if given.

    If CURRENT names no version (empty, garbage, a deleted version) or the serving version
    is broken, the newest good version is loaded instead, with a warning that says so; with
    no good version, a ``CorruptIndexError`` saying what is wrong is raised.

    Raises:
        IndexNotFoundError: nothing has been built here yet.
        CorruptIndexError: no readable version to serve.
        IndexMismatchError: the version does not fit ``embedder`` (another model or format).
    """
    if version:
        index = SearchIndex.load(data_dir.path_of(version))
    else:
        path = data_dir.current_path()  # IndexNotFoundError before the first build
        problem = data_dir.pointer_problem()
        if problem:
            index = _load_newest_good(data_dir, problem, broken=None)
        else:
            try:
                index = SearchIndex.load(path)
            except CorruptIndexError as error:
                index = _load_newest_good(data_dir, str(error), broken=path.name)
    if embedder is not None:
        index.manifest.check_compatible(embedder.name, embedder.dimension, embedder.backend)
    return index


def open_index(data_dir: DataDir, embedder: Embedder | None = None, search: SearchOptions | None = None,
               version: str | None = None) -> SearchIndex:
    """``load_index``, searching as ``search`` says (defaults to ``SearchOptions()``) whatever the
    version was built with: an approximate dense index scans ``search.ivf_probes`` clusters."""
    index = load_index(data_dir, embedder, version)
    (search or SearchOptions()).apply_to(index.dense)
    return index
