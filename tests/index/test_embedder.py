"""The embedder: unit vectors from the shipped model, on the number of threads it was given."""

from __future__ import annotations

import faiss
import numpy as np
import torch


def test_embedder_runs_its_model_and_faiss_on_its_threads(embedder):
    # One thread is the default: a single question is several times faster than on two contending threads.
    embedder.encode(["When was the treaty signed?"])
    assert embedder.threads == 1
    if embedder.backend == "torch":
        assert torch.get_num_threads() == 1
    else:  # torch's count is another engine's: what the question ran on is its ONNX Runtime session's
        assert embedder._engine._session(embedder.threads).get_session_options().intra_op_num_threads == 1
    assert faiss.omp_get_max_threads() == 1


def test_vectors_are_unit_length(embedder):
    vectors = embedder.encode(["The treaty was signed in 1960.", "Trade grew."])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
