"""Search over a loaded index version: the lexical top rows without sorting every score."""

from __future__ import annotations

import numpy as np
import pytest

from index.search_index import top_positive_rows


def stable_sort_top(scores: np.ndarray, count: int) -> list[int]:
    """What search used to do: a stable sort of every score, then the positive ones of the first ``count``."""
    return [int(r) for r in np.argsort(-scores, kind="stable")[:count] if scores[r] > 0]


@pytest.mark.parametrize("count", [1, 5, 50, 5000])
def test_top_rows_equal_a_full_stable_sort_with_ties_and_zeros(count):
    rng = np.random.default_rng(count)
    scores = rng.integers(0, 6, 3000).astype(np.float32)  # many ties and zeros, as BM25 gives for short queries
    assert top_positive_rows(scores, count).tolist() == stable_sort_top(scores, count)


def test_top_rows_of_all_zero_scores_are_none():
    assert top_positive_rows(np.zeros(100, dtype=np.float32), 10).tolist() == []
