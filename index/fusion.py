"""Fusing the dense and the lexical ranking into one."""

from __future__ import annotations

import numpy as np

FUSION_METHODS = ("linear", "rrf", "dense", "lexical")
_RRF_K = 60


def fuse(
    dense_rows: np.ndarray,
    dense_scores: np.ndarray,
    lexical_scores: np.ndarray,
    method: str,
    lexical_weight: float,
    candidates: int,
) -> list[tuple[int, float, float, float]]:
    """Rank the union of the dense and lexical candidates.

    Args:
        dense_rows, dense_scores: The dense top candidates, best first (cosine scores).
        lexical_scores: BM25 score of every row.
        method: ``"linear"`` (weighted sum of cosine and max-normalised BM25),
            ``"rrf"`` (weighted reciprocal rank fusion), or ``"dense"``/``"lexical"`` alone.
        lexical_weight: Weight of the lexical side, from 0 to 1; dense gets the rest.
        candidates: How many lexical candidates join the dense ones.

    Returns:
        ``(row, fused, dense, lexical)`` tuples, best first; ``dense`` is the cosine where
        the dense side ranked the row, else the lowest dense candidate's cosine.
    """
    if method not in FUSION_METHODS:
        raise ValueError(f"Invalid fusion method: {method!r}. Valid methods are: {FUSION_METHODS}.")
    dense = {int(r): float(s) for r, s in zip(dense_rows, dense_scores)}
    dense_floor = float(dense_scores[-1]) if len(dense_scores) else 0.0
    top_lexical = np.argsort(-lexical_scores, kind="stable")[:candidates] if len(lexical_scores) else []
    lexical_rows = [int(r) for r in top_lexical if lexical_scores[r] > 0]
    best_lexical = float(lexical_scores[lexical_rows[0]]) if lexical_rows else 1.0
    if method == "dense":
        rows = list(dense)
    elif method == "lexical":
        rows = lexical_rows
    else:
        rows = list(dict.fromkeys([*dense, *lexical_rows]))
    dense_rank = {row: rank for rank, row in enumerate(dense)}
    lexical_rank = {row: rank for rank, row in enumerate(lexical_rows)}
    fused = []
    for row in rows:
        cosine = dense.get(row, dense_floor)
        lexical = float(lexical_scores[row]) / best_lexical if len(lexical_scores) else 0.0
        if method == "rrf":
            score = (1 - lexical_weight) / (_RRF_K + dense_rank.get(row, len(dense_rank))) + lexical_weight / (
                _RRF_K + lexical_rank.get(row, len(lexical_rank))
            )
        elif method == "dense":
            score = cosine
        elif method == "lexical":
            score = lexical
        else:
            score = (1 - lexical_weight) * cosine + lexical_weight * lexical
        fused.append((row, score, cosine, lexical))
    fused.sort(key=lambda item: -item[1])
    return fused
