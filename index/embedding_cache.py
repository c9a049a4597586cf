"""Vectors already computed, keyed by model, backend and text hash, so a rebuild embeds only new text.

A paragraph's vector is keyed by its text, and so is a sentence's embedded on its own; a sentence
vector pooled from its paragraph's pass (``sentence_vectors = "pooled"``) by the paragraph's text
and the sentence's span (``span_key``).

One SQLite file per model and backend under ``<data_dir>/cache/`` (torch's keeps the model's name alone,
as before there were other backends). SQLite makes every write a
transaction: a process killed mid-write leaves the cache as it was before that write,
and the vectors stored by earlier writes survive for the next rebuild.
"""

from __future__ import annotations

import hashlib
import logging
import sqlite3
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.data_dir import file_name_part
from index.errors import CacheUnavailableError, DamagedCacheError

log = logging.getLogger(__name__)

# What SQLite says when the file itself is damaged (as opposed to locked, full, or a bug).
_DAMAGE = frozenset({"SQLITE_CORRUPT", "SQLITE_NOTADB"})

# SQLite accepts at most 999 parameters a statement in older builds; stay well below.
_LOOKUP_CHUNK = 500


def text_key(text: str) -> bytes:
    """The cache key of a text: the first 16 bytes of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8")).digest()[:16]


def span_key(text: str, span: tuple[int, int]) -> bytes:
    """The cache key of the vector of ``text[start:end]`` pooled from ``text``'s own model pass:
    it depends on the whole text, not on the span's characters alone."""
    return hashlib.sha256(f"{span[0]}:{span[1]}\x00{text}".encode()).digest()[:16]


def _file_name(model: str, backend: str) -> str:
    name = model if backend == "torch" else f"{model}@{backend}"
    return f"{file_name_part(name)}.sqlite"


class EmbeddingCache:
    """A persistent map from text to its unit vector, for one model on one backend (int8 vectors differ).

    The cache also remembers the vectors' length, so a rebuild that finds every text
    here never needs to load the model.

    Args:
        directory: Folder of the cache files (created if missing).
        model: Name of the model whose vectors are stored.
        backend: The engine that computed them (``Embedder.backend``). Defaults to torch.
    """

    def __init__(self, directory: Path | str, model: str, backend: str = "torch") -> None:
        self.path = Path(directory) / _file_name(model, backend)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._connection = self._open()
        except sqlite3.OperationalError as error:
            # Locked, disk full, no permission: passing trouble, and the vectors are still
            # good, so the build fails with the reason rather than throw them away.
            raise self._unavailable(error) from None
        except sqlite3.DatabaseError as error:
            # A damaged file: only a cache, it costs one full embedding, never a failed build.
            log.warning("embedding cache %s is unreadable (%s); starting a new one", self.path, error)
            self._remove_files()
            self._connection = self._open()

    def _remove_files(self) -> None:
        for leftover in (self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
            leftover.unlink(missing_ok=True)

    @contextmanager
    def _reading_or_writing(self):
        """Damage SQLite finds only now (a page read mid-build) removes the file, so the next
        rebuild starts a new cache, and fails this one with a ``DamagedCacheError`` that says so."""
        try:
            yield
        except sqlite3.DatabaseError as error:
            if getattr(error, "sqlite_errorname", None) in _DAMAGE:
                self._connection.close()
                self._remove_files()
                raise DamagedCacheError(
                    f"The embedding cache {self.path} is damaged ({error}); it has been removed, so the next "
                    "rebuild starts a new one (embedding every text once): run the rebuild again."
                ) from None
            if isinstance(error, sqlite3.OperationalError):
                raise self._unavailable(error) from None  # locked, disk full: passing trouble, the vectors stay
            raise  # anything else is a bug

    def _unavailable(self, error: sqlite3.OperationalError) -> CacheUnavailableError:
        return CacheUnavailableError(
            f"The embedding cache {self.path} cannot be used ({error}); its vectors are kept: free the disk or "
            "stop what holds it, then run the rebuild again."
        )

    def _open(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self.path, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        # NORMAL is crash-safe for a killed process; a power cut may only lose the last writes.
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vector BLOB NOT NULL) WITHOUT ROWID")
        connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL)")
        return connection

    @property
    def dimension(self) -> int | None:
        """Length of the stored vectors; None while the cache is empty."""
        with self._reading_or_writing():
            row = self._connection.execute("SELECT value FROM meta WHERE name = 'dimension'").fetchone()
        return row[0] if row else None

    def __len__(self) -> int:
        with self._reading_or_writing():
            return self._connection.execute("SELECT COUNT(*) FROM vectors").fetchone()[0]

    def __repr__(self) -> str:
        return f"EmbeddingCache({str(self.path)!r})"

    def get_many(self, keys: Iterable[bytes]) -> dict[bytes, np.ndarray]:
        """The stored vectors of those ``keys`` that are in the cache."""
        keys = list(keys)
        found: dict[bytes, np.ndarray] = {}
        dimension = self.dimension
        with self._reading_or_writing():
            for start in range(0, len(keys), _LOOKUP_CHUNK):
                chunk = keys[start : start + _LOOKUP_CHUNK]
                marks = ",".join("?" * len(chunk))
                for key, blob in self._connection.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", chunk):
                    # A vector of the wrong length is damage too: leave it out, the model recomputes it.
                    if isinstance(blob, bytes) and len(blob) == 4 * (dimension or 0):
                        found[key] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, keys: list[bytes], vectors: np.ndarray) -> None:
        """Store ``vectors[i]`` under ``keys[i]``, all in one transaction."""
        dimension = int(vectors.shape[1])
        rows = [(key, np.asarray(vector, dtype=np.float32).tobytes()) for key, vector in zip(keys, vectors)]
        with self._reading_or_writing(), self._connection:
            if self.dimension not in (None, dimension):
                # Another model under the same name: its vectors are useless now.
                log.warning("embedding cache %s held %d-dimensional vectors, the model makes %d; emptying it",
                            self.path, self.dimension, dimension)
                self._connection.execute("DELETE FROM vectors")
            self._connection.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('dimension', ?)", (dimension,))
            self._connection.executemany("INSERT OR REPLACE INTO vectors (key, vector) VALUES (?, ?)", rows)

    def prune(self, keep: set[bytes]) -> int:
        """Delete every vector whose key is not in ``keep``, in one transaction; return how many.

        SQLite reuses the freed pages for the vectors of later rebuilds (the file does not shrink).
        An empty ``keep`` deletes nothing: a build always keeps some text.
        """
        if not keep:
            return 0
        with self._reading_or_writing(), self._connection:
            self._connection.execute("CREATE TEMP TABLE IF NOT EXISTS keep (key BLOB PRIMARY KEY) WITHOUT ROWID")
            self._connection.execute("DELETE FROM keep")
            self._connection.executemany("INSERT OR IGNORE INTO keep (key) VALUES (?)", ((key,) for key in keep))
            removed = self._connection.execute("DELETE FROM vectors WHERE key NOT IN (SELECT key FROM keep)").rowcount
            self._connection.execute("DELETE FROM keep")
        return removed

    def close(self) -> None:
        self._connection.close()


class CachedEmbedder:
    """An embedder that asks the cache first and the model only for texts it has never seen.

    It encodes like ``Embedder`` (same ``name``, ``backend``, ``dimension``, ``encode`` and
    ``embed_paragraphs``) and counts in ``embedded`` how many vectors the model computed. With a
    ``LazyEmbedder``, the model is loaded only if some text is not in the cache.

    Args:
        embedder: The model (an ``Embedder`` or a ``LazyEmbedder``).
        cache: Where vectors of ``embedder``'s model are kept.
    """

    def __init__(self, embedder, cache: EmbeddingCache) -> None:
        self.embedder = embedder
        self.cache = cache
        self.name = embedder.name
        self.backend = embedder.backend
        self.embedded = 0

    @property
    def dimension(self) -> int:
        return self.cache.dimension or self.embedder.dimension

    def encode(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        """Unit vectors of ``texts``; each distinct new text is embedded once (on ``threads``
        threads, as ``Embedder.encode``) and stored before returning."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        keys = [text_key(text) for text in texts]
        vectors = self.cache.get_many(set(keys))
        missing = {key: text for key, text in zip(keys, texts) if key not in vectors}
        if missing:
            computed = self.embedder.encode(list(missing.values()), threads=threads)
            self.cache.put_many(list(missing), computed)
            vectors.update(zip(missing, computed))
            self.embedded += len(missing)
        return np.stack([vectors[key] for key in keys]).astype(np.float32, copy=False)

    def embed_paragraphs(
        self, texts: list[str], spans: list[list[tuple[int, int]]], threads: int | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """As ``Embedder.embed_paragraphs``; a paragraph goes through the model (once, however often it
        is given) unless its vector and all its sentences' are cached, and they are stored before returning."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32), []
        keys = [(text_key(text), *(span_key(text, span) for span in ps)) for text, ps in zip(texts, spans)]
        vectors = self.cache.get_many({key for row in keys for key in row})
        missing = {row: i for i, row in enumerate(keys) if any(key not in vectors for key in row)}
        if missing:
            rows = list(missing.values())
            paragraph_vectors, sentence_vectors = self.embedder.embed_paragraphs(
                [texts[i] for i in rows], [spans[i] for i in rows], threads=threads
            )
            computed = [vector for whole, parts in zip(paragraph_vectors, sentence_vectors) for vector in (whole, *parts)]
            new_keys = [key for row in missing for key in row]
            self.cache.put_many(new_keys, np.stack(computed))
            vectors.update(zip(new_keys, computed))
            self.embedded += len(new_keys)
        paragraphs = np.stack([vectors[row[0]] for row in keys]).astype(np.float32, copy=False)
        sentences = [np.array([vectors[key] for key in row[1:]], dtype=np.float32).reshape(-1, self.dimension) for row in keys]
        return paragraphs, sentences
