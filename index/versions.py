"""The operator's view of index versions: which exist, which serves, and going back to one."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass

from index.build_lock import BuildLock
from index.data_dir import DataDir
from index.errors import REBUILD_COMMAND, CorruptIndexError, IndexNotFoundError
from index.manifest import Manifest
from index.search_index import SearchIndex

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VersionInfo:
    """One version on disk: its manifest, or why it cannot be read."""

    version: str
    serving: bool
    manifest: Manifest | None = None
    problem: str | None = None

    def to_dict(self) -> dict:
        return {"version": self.version, "serving": self.serving, "problem": self.problem,
                "manifest": asdict(self.manifest) if self.manifest else None}


def list_versions(data_dir: DataDir, check: bool = False) -> list[VersionInfo]:
    """Every version, oldest first; ``serving`` marks the one CURRENT names (none if CURRENT
    names no version here: see ``DataDir.pointer_problem``).

    Args:
        check: Load and verify each version completely, every part against its checksum, not
            just its manifest (slower, but finds missing or damaged parts). Defaults to False.
    """
    current = None if data_dir.pointer_problem() else data_dir.current()
    infos = []
    for name in data_dir.versions():
        path = data_dir.path_of(name)
        try:
            manifest = SearchIndex.load(path).manifest if check else Manifest.load(path)
            infos.append(VersionInfo(name, name == current, manifest=manifest))
        except CorruptIndexError as error:
            infos.append(VersionInfo(name, name == current, problem=str(error)))
    return infos


def rollback_index(
    data_dir: DataDir, version: str | None = None, on_wait: Callable[[int | None], None] | None = None
) -> tuple[str, str]:
    """Make ``version`` (by default the one before the serving one) the serving version.

    It is loaded and verified first, and the switch happens under the build lock, so a
    rollback never races a rebuild.

    Returns:
        ``(previous, now)``: the version that served before and the one serving now.

    Raises:
        IndexNotFoundError: nothing to roll back to, or no such version.
        CorruptIndexError: the version cannot be read; the serving one is left as it was.
    """
    with BuildLock(data_dir.lock_path).acquire(wait=True, on_wait=on_wait):
        previous = data_dir.current()
        if version is None:
            problem = data_dir.pointer_problem()
            if problem and previous is not None:
                raise IndexNotFoundError(f"{problem} Name the version to serve: `citewise index rollback VERSION` (see `citewise index list`).")
            if previous is None:
                raise IndexNotFoundError(f"No index in '{data_dir.root}' to roll back: run `{REBUILD_COMMAND}` first.")
            version = data_dir.previous(previous)
            if version is None:
                raise IndexNotFoundError(f"{previous} is the oldest version in '{data_dir.root}': there is nothing older to roll back to.")
        if version not in data_dir.versions():
            raise IndexNotFoundError(f"No index version {version!r} in '{data_dir.root}'; see `citewise index list`.")
        SearchIndex.load(data_dir.path_of(version))
        data_dir.switch(version)
    log.info("rolled back from %s to %s", previous, version)
    return previous, version
