"""Sentence vectors pooled from their paragraph's one model pass: the paragraph vector is exactly what
``encode`` gives, and a sentence the pass does not reach is embedded on its own."""

from __future__ import annotations

import numpy as np

from index.pooling import pool_spans
from ingest import split_sentences

PARAGRAPH = (
    "Japan / Defense\nThe alliance holds drills every year. Keen Sword is the largest of them, "
    "with 30,000 troops in 2020. It was first held in 1986."
)


def test_the_pooled_paragraph_vector_is_the_models_own_vector(embedder):
    texts = [PARAGRAPH, "  Leading spaces and a short one.", "x", "word " * 400]  # the last is truncated
    pooled, _ = embedder.embed_paragraphs(texts, [[] for _ in texts])
    np.testing.assert_allclose(pooled, embedder.encode(texts), atol=1e-5)


def test_token_offsets_point_into_the_text_and_special_tokens_have_none(embedder):
    (tokens, offsets), = embedder.token_vectors(["Keen Sword, 1986."])
    assert tokens.shape == (len(offsets), embedder.dimension)
    assert tuple(offsets[0]) == (0, 0) and tuple(offsets[-1]) == (0, 0), "[CLS] and [SEP]"
    assert "".join("Keen Sword, 1986."[s:e] for s, e in offsets[1:-1]) == "KeenSword,1986."


def test_a_sentence_vector_pools_only_the_tokens_inside_its_span():
    tokens = np.array([[9.0, 9.0], [1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [9.0, -9.0]], dtype=np.float32)
    offsets = np.array([[0, 0], [0, 3], [4, 7], [8, 11], [0, 0]])
    whole, (first, second) = pool_spans(tokens, offsets, [(0, 7), (8, 11)])
    np.testing.assert_allclose(first, [1.0, 0.0])
    np.testing.assert_allclose(second, [0.0, 1.0])
    np.testing.assert_allclose(whole, tokens.mean(axis=0) / np.linalg.norm(tokens.mean(axis=0)), rtol=1e-6)
    _, (beyond,) = pool_spans(tokens, offsets, [(8, 20)])
    assert beyond is None, "a span running past the last token the pass saw needs a pass of its own"


def test_sentences_past_the_truncation_are_embedded_on_their_own(embedder):
    text = " ".join(f"Sentence number {i} talks about the alliance and its yearly drills." for i in range(60))
    spans = split_sentences(text)
    (tokens, offsets), = embedder.token_vectors([text])
    reached = int(offsets[:, 1].max())
    _, (sentences,) = embedder.embed_paragraphs([text], [spans])
    assert len(sentences) == len(spans) and np.allclose(np.linalg.norm(sentences, axis=1), 1.0, atol=1e-5)
    late = [i for i, (_, end) in enumerate(spans) if end > reached]
    early = [i for i, (_, end) in enumerate(spans) if end <= reached]
    assert late and early
    np.testing.assert_allclose(sentences[late], embedder.encode([text[slice(*spans[i])] for i in late]), atol=1e-5)
    # An early sentence is pooled in context: close to its own vector, not equal to it.
    alone = embedder.encode([text[slice(*spans[early[0]])]])[0]
    assert 0.5 < float(sentences[early[0]] @ alone) < 0.9999
