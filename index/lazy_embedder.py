"""An embedder that loads the model only when a text has to be embedded."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from index.embedder import Embedder, model_name


class LazyEmbedder:
    """Stands in for an ``Embedder`` and loads it on first use.

    Loading the model takes seconds (most of an unchanged rebuild's time); a rebuild
    that finds nothing to embed needs only the model's name, which is known without it.

    Args:
        model: The model setting (a local folder, or empty/None for the embedded model).
        load: Makes the real ``Embedder`` for ``model`` on ``backend``.
        backend: The engine ``load`` runs the model on (``Embedder.backend``). Defaults to torch.

    Example:
        embedder = LazyEmbedder(settings.model, lambda: Embedder(settings.model))
    """

    def __init__(self, model: str | Path | None, load: Callable[[], Embedder], backend: str = "torch") -> None:
        self.name = model_name(model)  # as Embedder names it, so manifests compare equal
        self.backend = backend
        self._load = load
        self._embedder: Embedder | None = None

    @property
    def loaded(self) -> bool:
        return self._embedder is not None

    def _model(self) -> Embedder:
        if self._embedder is None:
            self._embedder = self._load()
        return self._embedder

    @property
    def dimension(self) -> int:
        return self._model().dimension

    def encode(self, texts: list[str], threads: int | None = None) -> np.ndarray:
        return self._model().encode(texts, threads=threads)

    def embed_paragraphs(
        self, texts: list[str], spans: list[list[tuple[int, int]]], threads: int | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        return self._model().embed_paragraphs(texts, spans, threads=threads)

    def __repr__(self) -> str:
        return f"LazyEmbedder({self.name!r}, loaded={self.loaded})"
