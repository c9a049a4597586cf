"""Sentence vectors out of their paragraph's own model pass: mean pooling over a sentence's tokens.

all-MiniLM-L6-v2 pools by the mean of its output token embeddings, then normalises. So the
paragraph vector is the normalised mean of all its rows, and a sentence vector can be the
normalised mean of the rows inside the sentence's character span: one pass per paragraph instead
of one per paragraph and one per sentence. Every engine shares this code through
``token_vectors`` (the rows and their character offsets), so their pooled vectors agree.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Span = tuple[int, int]


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def pool_spans(tokens: np.ndarray, offsets: np.ndarray, spans: Sequence[Span]) -> tuple[np.ndarray, list[np.ndarray | None]]:
    """The text's unit vector (mean of every row) and each span's (mean of the rows inside it).

    Args:
        tokens: One text's output token embeddings, ``(n_tokens, dim)``, special tokens included.
        offsets: Each row's character ``(start, end)`` in the text; ``(0, 0)`` for special tokens.
        spans: Character spans into the same text.

    Returns:
        The text's vector, and per span its vector or None when the pass does not cover the whole
        span (the text was truncated before its end): such a span needs a pass of its own.
    """
    starts, ends = offsets[:, 0], offsets[:, 1]
    real = ends > starts
    covered_to = int(ends[real].max()) if real.any() else 0
    pooled: list[np.ndarray | None] = []
    for start, end in spans:
        inside = real & (starts >= start) & (ends <= end)
        pooled.append(_unit(tokens[inside].mean(axis=0)) if end <= covered_to and inside.any() else None)
    return _unit(tokens.mean(axis=0)), pooled


def one_pass_vectors(engine, texts: list[str], spans: list[list[Span]], threads: int | None = None) -> tuple[np.ndarray, list[np.ndarray]]:
    """Unit vectors of ``texts`` and of their spans, from one model pass per text.

    Args:
        engine: Has ``token_vectors(texts, threads=)`` and ``encode(texts, threads=)`` (an ``Embedder``).
        spans: Per text, character spans into it (its sentences).

    Returns:
        ``(len(texts), dim)`` text vectors, and per text a ``(len(spans[i]), dim)`` array. A span
        the text's pass does not reach (truncated at the model's length) is embedded on its own.
    """
    dimension = engine.dimension
    if not texts:
        return np.zeros((0, dimension), dtype=np.float32), []
    text_vectors, span_vectors, cut = [], [], []
    for i, (tokens, offsets) in enumerate(engine.token_vectors(texts, threads=threads)):
        whole, parts = pool_spans(tokens, offsets, spans[i])
        text_vectors.append(whole)
        span_vectors.append(parts)
        cut.extend((i, j) for j, part in enumerate(parts) if part is None)
    if cut:
        alone = engine.encode([texts[i][slice(*spans[i][j])] for i, j in cut], threads=threads)
        for (i, j), vector in zip(cut, alone):
            span_vectors[i][j] = vector
    stacked = [np.stack(parts).astype(np.float32) if parts else np.zeros((0, dimension), dtype=np.float32) for parts in span_vectors]
    return np.stack(text_vectors), stacked
