"""The lazy embedder: named like the model without loading it, loaded once when first needed."""

from __future__ import annotations

import numpy as np

from index import LazyEmbedder


def test_named_like_the_real_embedder_and_loaded_once_on_first_use(embedder):
    loads = []

    def load():
        loads.append(1)
        return embedder

    lazy = LazyEmbedder("", load)
    assert lazy.name == embedder.name and not lazy.loaded and loads == []
    np.testing.assert_allclose(lazy.encode(["Trade grew."]), embedder.encode(["Trade grew."]), atol=1e-6)
    assert lazy.dimension == embedder.dimension and lazy.loaded and loads == [1]


def test_a_model_folder_is_named_by_its_folder_name():
    assert LazyEmbedder("/models/my-minilm", lambda: None).name == "my-minilm"
