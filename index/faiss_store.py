"""Dense vectors in FAISS: inner-product search over unit vectors (= cosine).

Up to ``exact_search_limit`` vectors the index is exact (``IndexFlatIP``); above it,
an inverted-file index (``IndexIVFFlat``) that scans only the ``ivf_probes`` clusters
nearest to the query, so search cost grows with about the square root of the corpus.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

log = logging.getLogger(__name__)

# k-means needs a few dozen points per cluster to place it well; more only slows training.
_TRAINING_POINTS_PER_LIST = 64
_TRAINING_SEED = 1234


@dataclass(frozen=True)
class FaissOptions:
    """When the dense index turns approximate, and how.

    Args:
        exact_search_limit: Vector count above which the index is approximate (IVF).
        ivf_lists: Clusters of the approximate index; 0 picks about the square root of
            the vector count.
        ivf_probes: Clusters scanned per query: more finds more true neighbours, slower.
    """

    exact_search_limit: int = 20_000
    ivf_lists: int = 0
    ivf_probes: int = 48

    def __post_init__(self) -> None:
        for name in ("exact_search_limit", "ivf_probes"):
            if getattr(self, name) < 1:
                raise ValueError(f"Invalid {name}: {getattr(self, name)!r}. It must be at least 1.")
        if self.ivf_lists < 0:
            raise ValueError(f"Invalid ivf_lists: {self.ivf_lists!r}. It must be 0 (automatic) or more.")

    def lists_for(self, count: int) -> int:
        """How many clusters an approximate index of ``count`` vectors gets."""
        return self.ivf_lists or max(1, round(math.sqrt(count)))


class FaissStore:
    """A FAISS index of unit vectors, searched by inner product.

    Args:
        dimension: Length of the vectors.
        index: An existing FAISS index to wrap (as loaded); a new exact one if None.
        options: When ``add`` switches to an approximate index. Defaults to ``FaissOptions()``.
    """

    FILE_NAME = "dense.faiss"

    def __init__(self, dimension: int, index: faiss.Index | None = None, options: FaissOptions | None = None) -> None:
        self.dimension = dimension
        self.options = options or FaissOptions()
        self._index = index if index is not None else faiss.IndexFlatIP(dimension)

    @property
    def approximate(self) -> bool:
        """Whether this is the inverted-file index (past ``exact_search_limit``), not the exact one."""
        return isinstance(self._index, faiss.IndexIVF)

    @property
    def probes(self) -> int:
        """Clusters an approximate index scans per query (0 for an exact index)."""
        return int(self._index.nprobe) if self.approximate else 0

    @probes.setter
    def probes(self, value: int) -> None:
        if not self.approximate:
            raise ValueError("Invalid probes: an exact index scans everything and has no probes.")
        self._index.nprobe = int(value)

    def describe(self) -> str:
        """The index type in FAISS factory words, e.g. ``Flat`` or ``IVF1000,Flat (probes 48)``."""
        if self.approximate:
            return f"IVF{self._index.nlist},Flat (probes {self._index.nprobe})"
        return "Flat"

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        """Add rows; past ``exact_search_limit`` rows, the index becomes approximate."""
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"Invalid vectors shape: {vectors.shape!r}; expected (n, {self.dimension}).")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if not self.approximate and len(self) + len(vectors) > self.options.exact_search_limit:
            if len(self):
                vectors = np.concatenate([self._index.reconstruct_n(0, len(self)), vectors])
            self._index = self._approximate_index(vectors)
        self._index.add(vectors)
        if self.approximate:
            self._index.make_direct_map()  # so rows can be looked up by number, as in the exact index

    def _approximate_index(self, vectors: np.ndarray) -> faiss.IndexIVFFlat:
        """An empty IVF index whose clusters are trained on a sample of ``vectors``."""
        lists = self.options.lists_for(len(vectors))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dimension), self.dimension, lists, faiss.METRIC_INNER_PRODUCT)
        sample_size = min(len(vectors), lists * _TRAINING_POINTS_PER_LIST)
        sample = vectors[np.random.default_rng(_TRAINING_SEED).choice(len(vectors), sample_size, replace=False)]
        index.cp.max_points_per_centroid = _TRAINING_POINTS_PER_LIST
        index.train(sample)
        index.nprobe = min(self.options.ivf_probes, lists)
        log.info("dense index is approximate: %d vectors over the exact limit; IVF%d,Flat, %d probes",
                 len(vectors), lists, index.nprobe)
        return index

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows to one query vector: ``(rows, scores)``, best first."""
        k = min(k, len(self))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows``, to score candidates the nearest-neighbour search did not return."""
        return self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))

    def save(self, directory: Path) -> None:
        # Through a Python file, not faiss.write_index(path): that ignores a failed close
        # (a full disk) and leaves a truncated file; this raises the OSError, errno and all.
        with open(Path(directory) / self.FILE_NAME, "wb") as handle:
            writer = faiss.PyCallbackIOWriter(handle.write)
            try:
                faiss.write_index(self._index, writer)
            finally:
                del writer  # drops faiss's reference to the file before it closes

    @classmethod
    def load(cls, directory: Path) -> FaissStore:
        index = faiss.read_index(str(Path(directory) / cls.FILE_NAME))
        return cls(index.d, index)
