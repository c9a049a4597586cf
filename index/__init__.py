"""Paragraphs to vectors and search: embedding, FAISS and BM25, saved index versions."""

from __future__ import annotations

from index.builder import build_index, build_search_index, corpus_fingerprint, load_index
from index.data_dir import DataDir
from index.embedder import DEFAULT_MODEL_NAME, Embedder, default_model_path
from index.errors import CorruptIndexError, IndexMismatchError, IndexNotFoundError
from index.faiss_store import FaissOptions
from index.fusion import FUSION_METHODS
from index.manifest import FORMAT_VERSION, Manifest
from index.search_index import Hit, SearchIndex

__all__ = [
    "DEFAULT_MODEL_NAME",
    "FORMAT_VERSION",
    "FUSION_METHODS",
    "CorruptIndexError",
    "DataDir",
    "Embedder",
    "FaissOptions",
    "Hit",
    "IndexMismatchError",
    "IndexNotFoundError",
    "Manifest",
    "SearchIndex",
    "build_index",
    "build_search_index",
    "corpus_fingerprint",
    "default_model_path",
    "load_index",
]
