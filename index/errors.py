"""Errors of the index layer. Each message says what to do next."""

from __future__ import annotations

# The one command every "build the index first" message names: it builds a first version,
# and rebuilds one of another format or model.
REBUILD_COMMAND = "citewise index rebuild"


class IndexNotFoundError(FileNotFoundError):
    """No index has been built in this data directory yet."""


class IndexMismatchError(ValueError):
    """The saved index was built with another model or format: it must be rebuilt."""


class CorruptIndexError(ValueError):
    """A saved index version is incomplete or unreadable."""


class IndexBusyError(RuntimeError):
    """Another rebuild holds the data directory's build lock."""


class IndexWriteError(OSError):
    """A new index version could not be written (disk full, read-only, no permission); the serving one is untouched."""


class DamagedCacheError(RuntimeError):
    """The embedding cache file turned out damaged during a rebuild; it was removed, the next rebuild starts a new one."""


class RayClusterError(RuntimeError):
    """A distributed rebuild cannot use its Ray cluster (unreachable, the model missing on a node, every actor lost)."""
