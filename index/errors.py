"""Errors of the index layer. Each message says what to do next."""

from __future__ import annotations

from ingest import CitewiseError

# The one command every "build the index first" message names: it builds a first version,
# and rebuilds one of another format or model.
REBUILD_COMMAND = "citewise index rebuild"


class IndexNotFoundError(CitewiseError, FileNotFoundError):
    """No index has been built in this data directory yet."""

    status = 503


class IndexMismatchError(CitewiseError, ValueError):
    """The saved index was built with another model or format: it must be rebuilt."""

    status = 503


class CorruptIndexError(CitewiseError, ValueError):
    """A saved index version is incomplete or unreadable."""

    status = 503


class IndexBusyError(CitewiseError, RuntimeError):
    """Another rebuild holds the data directory's build lock."""


class IndexWriteError(CitewiseError, OSError):
    """A new index version could not be written (disk full, read-only, no permission); the serving one is untouched."""


class DamagedCacheError(CitewiseError, RuntimeError):
    """The embedding cache file turned out damaged during a rebuild; it was removed, the next rebuild starts a new one."""


class CacheUnavailableError(CitewiseError, OSError):
    """The embedding cache's database cannot be used right now (locked, disk full, no permission); its vectors are kept."""


class ModelNotFoundError(CitewiseError, FileNotFoundError):
    """The embedding model is not installed, or ``--model`` is not a sentence-transformers folder."""


class RayClusterError(CitewiseError, RuntimeError):
    """A distributed rebuild cannot use its Ray cluster (unreachable, the model missing on a node, every actor lost)."""
