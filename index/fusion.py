"""Fusing the dense and the lexical scores of a query's candidates into one ranking."""

from __future__ import annotations

import numpy as np

FUSION_METHODS = ("linear", "rrf", "dense", "lexical")
# The usual reciprocal rank fusion constant (Cormack et al., 2009): damps the head of each list.
_RRF_K = 60


def _ranks(scores: np.ndarray) -> np.ndarray:
    """0-based rank of every entry, highest score first (ties in input order)."""
    ranks = np.empty(len(scores), dtype=np.int64)
    ranks[np.argsort(-scores, kind="stable")] = np.arange(len(scores))
    return ranks


def fuse(cosine: np.ndarray, lexical: np.ndarray, method: str, lexical_weight: float) -> np.ndarray:
    """Fused score of each candidate, from its cosine similarity and its BM25 score.

    Args:
        cosine: Cosine similarity of each candidate paragraph to the query.
        lexical: BM25 score of each candidate (0 where no query word occurs).
        method: ``"linear"``: ``(1 - w) * cosine + w * bm25 / max(bm25)``;
            ``"rrf"``: ``(1 - w) / (60 + dense rank) + w / (60 + BM25 rank)``, where a
            candidate without any query word gets no BM25 term; ``"dense"`` or
            ``"lexical"``: that side alone (BM25 max-normalised).
        lexical_weight: ``w``, the weight of the lexical side, from 0 to 1.

    Returns:
        One score per candidate, aligned with the inputs; higher is better.

    Raises:
        ValueError: an unknown ``method``.
    """
    if method not in FUSION_METHODS:
        raise ValueError(f"Invalid fusion method: {method!r}. Valid methods are: {FUSION_METHODS}.")
    cosine = np.asarray(cosine, dtype=np.float64)
    lexical = np.asarray(lexical, dtype=np.float64)
    best = lexical.max(initial=0.0)
    normalised = lexical / best if best > 0 else np.zeros_like(lexical)
    if method == "dense":
        return cosine
    if method == "lexical":
        return normalised
    if method == "linear":
        return (1 - lexical_weight) * cosine + lexical_weight * normalised
    lexical_term = np.where(lexical > 0, lexical_weight / (_RRF_K + 1 + _ranks(lexical)), 0.0)
    return (1 - lexical_weight) / (_RRF_K + 1 + _ranks(cosine)) + lexical_term
