"""The embedding cache: vectors survive across processes, and only unseen texts reach the model."""

from __future__ import annotations

import numpy as np

from index import CachedEmbedder, EmbeddingCache
from index.embedding_cache import text_key


def test_vectors_round_trip_and_survive_reopening(tmp_path):
    vectors = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    keys = [text_key(t) for t in ("one", "two", "three")]
    cache = EmbeddingCache(tmp_path, "some/model", 8)
    cache.put_many(keys, vectors)
    cache.close()
    reopened = EmbeddingCache(tmp_path, "some/model", 8)
    found = reopened.get_many(keys + [text_key("never stored")])
    assert len(reopened) == 3 and set(found) == set(keys)
    np.testing.assert_array_equal(np.stack([found[k] for k in keys]), vectors)


def test_each_model_has_its_own_cache(tmp_path):
    EmbeddingCache(tmp_path, "model/a", 4).put_many([text_key("x")], np.ones((1, 4), dtype=np.float32))
    assert EmbeddingCache(tmp_path, "model/b", 4).get_many([text_key("x")]) == {}
    assert EmbeddingCache(tmp_path, "model/a", 8).get_many([text_key("x")]) == {}


def test_a_damaged_cache_file_is_replaced_not_fatal(tmp_path):
    cache = EmbeddingCache(tmp_path, "m", 4)
    cache.close()
    cache.path.write_bytes(b"this is not a database" * 100)
    fresh = EmbeddingCache(tmp_path, "m", 4)
    assert len(fresh) == 0


def test_only_unseen_texts_are_embedded_and_vectors_match_the_model(tmp_path, embedder):
    cached = CachedEmbedder(embedder, EmbeddingCache(tmp_path, embedder.name, embedder.dimension))
    first = cached.encode(["The treaty was signed in 1960.", "Trade grew.", "Trade grew."])
    assert cached.embedded == 2, "a repeated text is embedded once"
    second = cached.encode(["Trade grew.", "The treaty was signed in 1960.", "A new sentence."])
    assert cached.embedded == 3
    np.testing.assert_allclose(second[:2], first[[1, 0]], atol=1e-6)
    np.testing.assert_allclose(second[2], embedder.encode(["A new sentence."])[0], atol=1e-5)
