"""The dense store: exact up to a limit, approximate (IVF) above it, and the same to its callers."""

from __future__ import annotations

import numpy as np
import pytest

from index import FaissOptions
from index.faiss_store import FaissStore

DIMENSION = 32


def unit_vectors(count: int, seed: int) -> np.ndarray:
    """Vectors around 50 random centres, so that neighbours exist as in real embeddings."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((50, DIMENSION))
    vectors = centres[rng.integers(0, 50, count)] + 0.5 * rng.standard_normal((count, DIMENSION))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


def exact_top(vectors: np.ndarray, query: np.ndarray, k: int) -> set[int]:
    return set(np.argsort(-(vectors @ query))[:k].tolist())


def test_store_stays_exact_up_to_the_limit():
    store = FaissStore(DIMENSION, options=FaissOptions(exact_search_limit=500))
    vectors = unit_vectors(500, seed=1)
    store.add(vectors)
    assert not store.approximate
    assert store.describe() == "Flat"
    rows, _ = store.search(vectors[3], 10)
    assert set(rows.tolist()) == exact_top(vectors, vectors[3], 10)


def test_store_turns_approximate_past_the_limit_and_keeps_every_row():
    store = FaissStore(DIMENSION, options=FaissOptions(exact_search_limit=500, ivf_lists=20, ivf_probes=5))
    vectors = unit_vectors(2000, seed=2)
    store.add(vectors[:400])  # still exact; the switch must carry these rows over
    store.add(vectors[400:])
    assert store.approximate
    assert len(store) == 2000
    assert store.describe() == "IVF20,Flat (probes 5)"
    np.testing.assert_allclose(store.vectors(np.array([0, 399, 400, 1999])), vectors[[0, 399, 400, 1999]])


def test_approximate_search_finds_most_exact_neighbours():
    store = FaissStore(DIMENSION, options=FaissOptions(exact_search_limit=1000, ivf_lists=40, ivf_probes=8))
    vectors = unit_vectors(5000, seed=3)
    store.add(vectors)
    queries = unit_vectors(50, seed=4)
    recall = np.mean([len(set(store.search(q, 10)[0].tolist()) & exact_top(vectors, q, 10)) / 10 for q in queries])
    assert recall >= 0.9, recall


def test_approximate_store_saves_and_loads_as_it_was(tmp_path):
    store = FaissStore(DIMENSION, options=FaissOptions(exact_search_limit=100, ivf_lists=10, ivf_probes=3))
    vectors = unit_vectors(1000, seed=5)
    store.add(vectors)
    store.save(tmp_path)
    loaded = FaissStore.load(tmp_path)
    assert loaded.describe() == "IVF10,Flat (probes 3)"
    for query in vectors[:5]:
        np.testing.assert_array_equal(loaded.search(query, 10)[0], store.search(query, 10)[0])
    np.testing.assert_allclose(loaded.vectors(np.array([7])), vectors[[7]])


@pytest.mark.parametrize("options", [{"exact_search_limit": 0}, {"ivf_probes": 0}, {"ivf_lists": -1}])
def test_bad_options_are_refused_by_name(options):
    with pytest.raises(ValueError, match=next(iter(options))):
        FaissOptions(**options)
