"""Dense vectors in FAISS: exact inner-product search over unit vectors (= cosine)."""

from __future__ import annotations

from pathlib import Path

import faiss
import numpy as np


class FaissStore:
    """A FAISS index of unit vectors, searched by inner product.

    Args:
        dimension: Length of the vectors.
    """

    FILE_NAME = "dense.faiss"

    def __init__(self, dimension: int, index: faiss.Index | None = None) -> None:
        self.dimension = dimension
        self._index = index if index is not None else faiss.IndexFlatIP(dimension)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        if vectors.ndim != 2 or vectors.shape[1] != self.dimension:
            raise ValueError(f"Invalid vectors shape: {vectors.shape!r}; expected (n, {self.dimension}).")
        self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` nearest rows to one query vector: ``(rows, scores)``, best first."""
        k = min(k, len(self))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores, rows = self._index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def save(self, directory: Path) -> None:
        faiss.write_index(self._index, str(Path(directory) / self.FILE_NAME))

    @classmethod
    def load(cls, directory: Path) -> FaissStore:
        index = faiss.read_index(str(Path(directory) / cls.FILE_NAME))
        return cls(index.d, index)
