"""Fusion on hand-made scores, then hybrid search on the real article index."""

from __future__ import annotations

import numpy as np
import pytest

from index.fusion import fuse

COSINE = np.array([0.9, 0.5, 0.4])
BM25 = np.array([0.0, 10.0, 5.0])


def test_linear_fusion_mixes_cosine_and_max_normalised_bm25():
    fused = fuse(COSINE, BM25, "linear", 0.5)
    assert fused == pytest.approx([0.45, 0.75, 0.45])


def test_weights_at_the_ends_are_one_side_alone():
    assert fuse(COSINE, BM25, "linear", 0.0) == pytest.approx(fuse(COSINE, BM25, "dense", 0.3))
    assert fuse(COSINE, BM25, "linear", 1.0) == pytest.approx(fuse(COSINE, BM25, "lexical", 0.3))
    assert fuse(COSINE, BM25, "lexical", 0.3) == pytest.approx([0.0, 1.0, 0.5])


def test_rrf_uses_ranks_and_gives_no_lexical_credit_without_a_query_word():
    fused = fuse(COSINE, BM25, "rrf", 0.5)
    assert fused[0] == pytest.approx(0.5 / 61)  # dense rank 1, no BM25 match
    assert fused[1] == pytest.approx(0.5 / 62 + 0.5 / 61)  # dense rank 2, BM25 rank 1
    assert fused[2] == pytest.approx(0.5 / 63 + 0.5 / 62)
    assert np.argmax(fused) == 1


def test_no_query_word_anywhere_leaves_the_dense_order():
    fused = fuse(COSINE, np.zeros(3), "linear", 0.3)
    assert list(np.argsort(-fused)) == [0, 1, 2]


def test_unknown_method_names_the_valid_ones():
    with pytest.raises(ValueError, match="Valid methods are"):
        fuse(COSINE, BM25, "max", 0.5)


@pytest.fixture(scope="module")
def article_index(article_data_dir, embedder):
    from index import DataDir, load_index

    return load_index(DataDir(article_data_dir), embedder)


def _search(index, embedder, query, fusion, k=5):
    return index.search(embedder.encode([query])[0], query, k, fusion, 0.5, 20)


def test_lexical_side_finds_a_rare_exact_term_and_hybrid_keeps_it(article_index, embedder):
    # "Keen Sword" is a proper name a small embedding model knows little about; BM25 does.
    query = "Keen Sword"
    lexical = _search(article_index, embedder, query, "lexical")
    assert "Keen Sword" in lexical[0].paragraph.text
    hybrid = _search(article_index, embedder, query, "linear")
    assert "Keen Sword" in hybrid[0].paragraph.text


def test_hits_carry_exact_cosines_whichever_side_found_them(article_index, embedder):
    query = "joint military exercises"
    vector = embedder.encode([query])[0]
    for hit in article_index.search(vector, query, 10, "linear", 0.5, 5):
        paragraph_vector = article_index.dense.vectors(np.array([hit.row]))[0]
        assert hit.dense == pytest.approx(float(paragraph_vector @ vector), abs=1e-5)


def test_search_many_equals_one_search_at_a_time(article_index, embedder):
    queries = ["When was the treaty signed?", "Who visited Japan in April 2021?"]
    vectors = embedder.encode(queries)
    many = article_index.search_many(vectors, queries, 5, "rrf", 0.5, 20)
    one = [article_index.search(v, q, 5, "rrf", 0.5, 20) for v, q in zip(vectors, queries)]
    assert [[h.row for h in hits] for hits in many] == [[h.row for h in hits] for hits in one]
