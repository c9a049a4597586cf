"""The embedding cache: vectors survive across processes, and only unseen texts reach the model."""

from __future__ import annotations

import numpy as np

from index import CachedEmbedder, EmbeddingCache
from index.embedding_cache import text_key


def test_vectors_round_trip_and_survive_reopening(tmp_path):
    vectors = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    keys = [text_key(t) for t in ("one", "two", "three")]
    cache = EmbeddingCache(tmp_path, "some/model")
    assert cache.dimension is None
    cache.put_many(keys, vectors)
    cache.close()
    reopened = EmbeddingCache(tmp_path, "some/model")
    found = reopened.get_many(keys + [text_key("never stored")])
    assert len(reopened) == 3 and set(found) == set(keys) and reopened.dimension == 8
    np.testing.assert_array_equal(np.stack([found[k] for k in keys]), vectors)


def test_each_model_has_its_own_cache(tmp_path):
    EmbeddingCache(tmp_path, "model/a").put_many([text_key("x")], np.ones((1, 4), dtype=np.float32))
    assert EmbeddingCache(tmp_path, "model/b").get_many([text_key("x")]) == {}
    assert set(EmbeddingCache(tmp_path, "model/a").get_many([text_key("x")])) == {text_key("x")}


def test_each_backend_has_its_own_cache_and_torch_keeps_the_file_it_had(tmp_path):
    # int8 vectors are a little off the fp32 ones: a cache shared by backends would mix them in one index.
    EmbeddingCache(tmp_path, "model/a").put_many([text_key("x")], np.ones((1, 4), dtype=np.float32))
    assert EmbeddingCache(tmp_path, "model/a", "onnx-int8").get_many([text_key("x")]) == {}
    assert EmbeddingCache(tmp_path, "model/a", "torch").path.name == "model_a.sqlite"
    assert EmbeddingCache(tmp_path, "model/a", "onnx-int8").path != EmbeddingCache(tmp_path, "model/a", "onnx").path


def test_vectors_of_another_length_replace_the_old_ones(tmp_path):
    cache = EmbeddingCache(tmp_path, "m")
    cache.put_many([text_key("x")], np.ones((1, 4), dtype=np.float32))
    cache.put_many([text_key("y")], np.ones((1, 8), dtype=np.float32))
    assert cache.dimension == 8 and set(cache.get_many([text_key("x"), text_key("y")])) == {text_key("y")}


def test_a_damaged_cache_file_is_replaced_not_fatal(tmp_path):
    cache = EmbeddingCache(tmp_path, "m")
    cache.close()
    cache.path.write_bytes(b"this is not a database" * 100)
    fresh = EmbeddingCache(tmp_path, "m")
    assert len(fresh) == 0


def test_only_unseen_texts_are_embedded_and_vectors_match_the_model(tmp_path, embedder):
    cached = CachedEmbedder(embedder, EmbeddingCache(tmp_path, embedder.name))
    first = cached.encode(["The treaty was signed in 1960.", "Trade grew.", "Trade grew."])
    assert cached.embedded == 2, "a repeated text is embedded once"
    second = cached.encode(["Trade grew.", "The treaty was signed in 1960.", "A new sentence."])
    assert cached.embedded == 3
    np.testing.assert_allclose(second[:2], first[[1, 0]], atol=1e-6)
    np.testing.assert_allclose(second[2], embedder.encode(["A new sentence."])[0], atol=1e-5)


def test_a_fully_cached_build_never_loads_the_model(tmp_path, embedder):
    from index import LazyEmbedder

    warm = CachedEmbedder(embedder, EmbeddingCache(tmp_path, embedder.name))
    expected = warm.encode(["Trade grew.", "The treaty was signed."])
    lazy = LazyEmbedder("", lambda: embedder)
    cold = CachedEmbedder(lazy, EmbeddingCache(tmp_path, embedder.name))
    np.testing.assert_array_equal(cold.encode(["The treaty was signed.", "Trade grew."]), expected[[1, 0]])
    assert cold.dimension == embedder.dimension and cold.embedded == 0 and not lazy.loaded




def test_a_cache_that_cannot_be_opened_fails_the_build_and_is_not_deleted(tmp_path):
    import pytest

    from index import CacheUnavailableError

    path = EmbeddingCache(tmp_path, "m").path
    path.unlink()
    path.mkdir()  # sqlite cannot open it: an operational problem (like a full disk), not a damaged file
    with pytest.raises(CacheUnavailableError, match="vectors are kept.*run the rebuild again"):
        EmbeddingCache(tmp_path, "m")
    assert path.is_dir(), "nothing is deleted on an error that is not damage"


def test_a_paragraph_is_embedded_once_with_its_sentences_and_a_cached_one_loads_no_model(tmp_path, embedder):
    from index import LazyEmbedder

    texts = ["Trade grew in 1960. The treaty was signed.", "Ships sailed west."]
    spans = [[(0, 19), (20, 42)], [(0, 18)]]
    warm = CachedEmbedder(embedder, EmbeddingCache(tmp_path, embedder.name))
    paragraphs, sentences = warm.embed_paragraphs(texts + texts[:1], spans + spans[:1])
    assert warm.embedded == 5, "two paragraphs and their three sentences; the repeated paragraph is embedded once"
    fresh_paragraphs, fresh_sentences = embedder.embed_paragraphs(texts, spans)
    np.testing.assert_array_equal(paragraphs[:2], fresh_paragraphs)
    for ours, theirs in zip(sentences, fresh_sentences + fresh_sentences[:1]):
        np.testing.assert_array_equal(ours, theirs)
    lazy = LazyEmbedder("", lambda: embedder)
    cold = CachedEmbedder(lazy, EmbeddingCache(tmp_path, embedder.name))
    again, again_sentences = cold.embed_paragraphs(texts[::-1], spans[::-1])
    np.testing.assert_array_equal(again, paragraphs[[1, 0]])
    np.testing.assert_array_equal(again_sentences[1], sentences[0])
    assert cold.embedded == 0 and not lazy.loaded
    # The same sentence span in another paragraph is another vector: it is pooled from that paragraph's pass.
    cold.embed_paragraphs(["Trade grew in 1960. The treaty was not signed."], [[(0, 19), (20, 46)]])
    assert cold.embedded == 3 and lazy.loaded
