"""Paragraphs to vectors and search: embedding, FAISS and BM25, saved index versions."""

from __future__ import annotations

from index.build_lock import BuildLock
from index.builder import (
    BuildReport,
    build_index,
    build_search_index,
    corpus_fingerprint,
    index_texts,
    load_index,
    open_index,
    rebuild_index,
)
from index.changes import Changes, diff_paragraphs
from index.config import SENTENCE_VECTOR_MODES, IndexConfig, SearchOptions
from index.corpus import read_paragraphs, rebuild_corpus, skipped_files
from index.data_dir import DataDir
from index.embedder import BACKENDS, DEFAULT_BATCH_SIZE, DEFAULT_MODEL_NAME, Embedder, default_model_path, model_name
from index.embedding_cache import CachedEmbedder, EmbeddingCache
from index.errors import (
    REBUILD_COMMAND,
    CacheUnavailableError,
    CorruptIndexError,
    DamagedCacheError,
    IndexBusyError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    ModelNotFoundError,
    RayClusterError,
)
from index.faiss_store import FaissOptions, FaissStore
from index.fusion import FUSION_METHODS
from index.lazy_embedder import LazyEmbedder
from index.lexical_store import LexicalStore
from index.manifest import FORMAT_VERSION, Manifest
from index.metrics import evaluate_run
from index.ray_embedder import RayEmbedder
from index.search_index import Hit, SearchIndex
from index.versions import VersionInfo, list_versions, rollback_index

__all__ = [
    "BACKENDS",
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_MODEL_NAME",
    "FORMAT_VERSION",
    "FUSION_METHODS",
    "REBUILD_COMMAND",
    "SENTENCE_VECTOR_MODES",
    "BuildLock",
    "BuildReport",
    "CacheUnavailableError",
    "CachedEmbedder",
    "Changes",
    "CorruptIndexError",
    "DamagedCacheError",
    "DataDir",
    "Embedder",
    "EmbeddingCache",
    "FaissOptions",
    "FaissStore",
    "Hit",
    "IndexBusyError",
    "IndexConfig",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "LazyEmbedder",
    "LexicalStore",
    "Manifest",
    "ModelNotFoundError",
    "RayClusterError",
    "RayEmbedder",
    "SearchIndex",
    "SearchOptions",
    "VersionInfo",
    "build_index",
    "build_search_index",
    "corpus_fingerprint",
    "default_model_path",
    "diff_paragraphs",
    "evaluate_run",
    "index_texts",
    "list_versions",
    "load_index",
    "model_name",
    "open_index",
    "read_paragraphs",
    "rebuild_corpus",
    "rebuild_index",
    "rollback_index",
    "skipped_files",
]
