"""What decides what a build writes (``IndexConfig``), saved in each version's manifest and compared
by the next rebuild, and what only decides how a loaded version searches (``SearchOptions``).

The defaults written here are the settings table's (chat/settings.py takes them from here).
"""

from __future__ import annotations

from dataclasses import dataclass

from index.embedder import BACKENDS, DEFAULT_MODEL_NAME
from index.faiss_store import FaissOptions, FaissStore

# "alone": each sentence embedded on its own; "pooled": mean-pooled from its paragraph's own pass (``index.pooling``).
SENTENCE_VECTOR_MODES = ("alone", "pooled")


@dataclass(frozen=True)
class IndexConfig:
    """Everything a build's output depends on besides the corpus: a version built with another
    config is rebuilt, not kept.

    Args:
        model: The model's name as manifests record it (``index.model_name`` of the model setting).
        backend: The engine that embeds (``BACKENDS``): vectors differ a little between them.
        max_words: Words per paragraph part; longer paragraphs are split at sentences.
        sentence_vectors: How sentences are embedded (``SENTENCE_VECTOR_MODES``).
        exact_search_limit: Paragraph count above which the dense index is approximate (FAISS IVF).
        ivf_lists: Clusters of the approximate index; 0 picks about the square root of the count.
    """

    model: str = DEFAULT_MODEL_NAME
    backend: str = "onnx"
    max_words: int = 180
    sentence_vectors: str = "pooled"
    exact_search_limit: int = FaissOptions.exact_search_limit
    ivf_lists: int = FaissOptions.ivf_lists

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"Invalid backend: {self.backend!r}. Valid values are: {', '.join(BACKENDS)}.")
        if self.sentence_vectors not in SENTENCE_VECTOR_MODES:
            raise ValueError(f"Invalid sentence_vectors: {self.sentence_vectors!r}. Valid values are: {SENTENCE_VECTOR_MODES}.")
        if self.max_words < 1:
            raise ValueError(f"Invalid max_words: {self.max_words!r}. It must be at least 1.")
        self.dense_options()  # FaissOptions checks its own

    def dense_options(self) -> FaissOptions:
        """The dense index's options for a build (its probes are a search option: ``SearchOptions``)."""
        return FaissOptions(exact_search_limit=self.exact_search_limit, ivf_lists=self.ivf_lists)

    def to_dict(self) -> dict:
        """The manifest's fields for this config, as ``manifest.json`` lays them out."""
        return {
            "model": self.model,
            "backend": self.backend,
            "chunking": {"max_words": self.max_words},
            "sentence_vectors": self.sentence_vectors,
            "dense_index": {"exact_search_limit": self.exact_search_limit, "ivf_lists": self.ivf_lists},
        }

    @classmethod
    def from_dict(cls, fields: dict) -> IndexConfig:
        """The config ``to_dict`` wrote. A manifest from before the dense options were recorded has
        no ``dense_index``: it reads as the defaults, which built it unless they were set otherwise."""
        dense = fields.get("dense_index") or {}
        return cls(
            model=fields["model"],
            backend=fields["backend"],
            max_words=fields["chunking"]["max_words"],
            sentence_vectors=fields["sentence_vectors"],
            **{name: dense[name] for name in ("exact_search_limit", "ivf_lists") if name in dense},
        )


@dataclass(frozen=True)
class SearchOptions:
    """How a loaded version searches, whatever it was built with: a restart changes these, no rebuild.

    Fusion, its weight and the candidates are arguments of each ``SearchIndex.search``.

    Args:
        ivf_probes: Clusters an approximate dense index scans per query: more finds more true
            neighbours, slower. No effect on an exact index.
    """

    ivf_probes: int = FaissOptions.ivf_probes

    def __post_init__(self) -> None:
        FaissOptions(ivf_probes=self.ivf_probes)  # which checks it

    def apply_to(self, dense: FaissStore) -> None:
        """Make ``dense`` search this way (an exact index has nothing to set)."""
        if dense.approximate:
            dense.probes = self.ivf_probes
