"""The manifest: what an index version is, what built it, and whether it can be read."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

from index.config import IndexConfig
from index.errors import REBUILD_COMMAND, CorruptIndexError, IndexMismatchError

# 2: the manifest holds the SHA-256 of every part (``checksums``); format 1 had none.
# 3: sentence vectors are float16 (half the memory of a loaded index); format 2 kept them float32.
# 4: a paragraph record holds its ``page`` (PDF page, slide number, or null); format 3 had none.
# How a version was built (``IndexConfig``: sentence vectors, dense index options...) is in the manifest's fields,
# not its format: a manifest without a field (written before it) reads as what built it.
FORMAT_VERSION = 4
FILE_NAME = "manifest.json"


def _library_versions() -> dict[str, str]:
    versions = {}
    for name in ("citewise", "sentence-transformers", "faiss-cpu", "bm25s", "numpy"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


@dataclass
class Manifest:
    """Describes one saved index version; written last, so its presence means complete."""

    version: str
    model: str
    dimension: int
    chunking: dict
    corpus_fingerprint: str
    documents: int
    paragraphs: int
    sentences: int
    # The engine that embedded it (index.embedder.BACKENDS); manifests from before there was a choice were torch's.
    backend: str = "torch"
    format_version: int = FORMAT_VERSION
    created_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    libraries: dict = field(default_factory=_library_versions)
    # Part file (relative to the version folder) -> SHA-256 of its bytes, filled by ``SearchIndex.save``.
    checksums: dict = field(default_factory=dict)
    # Corpus files left out of this version, each {"file": ..., "reason": ...}: nothing is skipped silently.
    skipped: list = field(default_factory=list)
    # One of SENTENCE_VECTOR_MODES; a version built one way is rebuilt when asked for the other.
    sentence_vectors: str = "alone"
    # exact_search_limit and ivf_lists (``IndexConfig``); empty in a manifest written before they were recorded.
    dense_index: dict = field(default_factory=dict)

    def config(self) -> IndexConfig:
        """The build configuration this version was written with (``IndexConfig.to_dict`` round-trips it).

        Raises:
            KeyError, TypeError, ValueError: the manifest's configuration fields are malformed.
        """
        return IndexConfig.from_dict({name: getattr(self, name) for name in IndexConfig().to_dict()})

    def save(self, directory: Path) -> None:
        (Path(directory) / FILE_NAME).write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path) -> Manifest:
        path = Path(directory) / FILE_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(**data)
        except FileNotFoundError:
            raise CorruptIndexError(f"Index version '{directory}' has no {FILE_NAME}: it is incomplete.") from None
        except (UnicodeDecodeError, json.JSONDecodeError, TypeError) as error:
            raise CorruptIndexError(f"Index version '{directory}' has an unreadable {FILE_NAME}: {error}") from None

    def check_compatible(self, model: str, dimension: int, backend: str) -> None:
        """Raise ``IndexMismatchError`` unless this index can serve queries embedded by ``model`` on ``backend``."""
        if self.format_version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"Index version {self.version} has format {self.format_version}, this citewise reads "
                f"format {FORMAT_VERSION}: run `{REBUILD_COMMAND}` to rebuild it."
            )
        if self.model != model or self.dimension != dimension:
            raise IndexMismatchError(
                f"Index version {self.version} was built with model {self.model!r} ({self.dimension} dimensions), "
                f"not {model!r} ({dimension}): run `{REBUILD_COMMAND}` with this model to rebuild it."
            )
        if self.backend != backend:
            # int8 vectors are a little off the fp32 ones: questions must be embedded as the paragraphs were.
            raise IndexMismatchError(
                f"Index version {self.version} was embedded with backend {self.backend!r}, not {backend!r}: run "
                f"`{REBUILD_COMMAND} --backend {backend}` to rebuild it, or serve it with --backend {self.backend}."
            )
