"""The data directory: index versions side by side, and a pointer to the one serving.

    var/
      CURRENT              name of the serving version, replaced atomically
      build.lock           held (flock) by the one rebuild running, names its pid
      cache/               embeddings already computed, per model and backend
      models/              the model exported for the onnx backends, per source weights (index.onnx_engine)
      versions/v0001/      one complete index (manifest.json written last)
      versions/v0002/
      versions/.build-*    a build in progress, invisible to readers
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from index.errors import REBUILD_COMMAND, IndexNotFoundError

_VERSION = re.compile(r"v([0-9]{4,})")
# CURRENT holds one version name; more than this is garbage, and never read whole.
_POINTER_BYTES = 64


def file_name_part(name: str) -> str:
    """``name`` (a model's, say) as part of a file or folder name in the data directory: each run of
    anything but letters, digits, ``.``, ``_`` and ``-`` becomes one ``_``."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "model"


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class DataDir:
    """Where index versions live, and which of them is serving."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.versions_dir = self.root / "versions"
        self.pointer = self.root / "CURRENT"
        self.lock_path = self.root / "build.lock"
        self.cache_dir = self.root / "cache"
        self.models_dir = self.root / "models"

    def __repr__(self) -> str:
        return f"DataDir({str(self.root)!r})"

    def versions(self) -> list[str]:
        """Names of the complete versions, oldest first."""
        if not self.versions_dir.is_dir():
            return []
        names = [p.name for p in self.versions_dir.iterdir() if _VERSION.fullmatch(p.name) and p.is_dir()]
        return sorted(names, key=lambda n: int(_VERSION.fullmatch(n).group(1)))

    def _pointer(self) -> str | None:
        """What CURRENT holds, stripped (at most a few bytes of it); None if there is no CURRENT."""
        try:
            with open(self.pointer, "rb") as handle:
                return handle.read(_POINTER_BYTES).decode("utf-8", errors="replace").strip()
        except FileNotFoundError:
            return None

    def pointer_problem(self) -> str | None:
        """Why CURRENT names no version here (empty, not a version name, a missing version,
        unreadable), or None if it names one, or if there is neither CURRENT nor any version yet."""
        try:
            name = self._pointer()
        except OSError as error:
            return f"CURRENT in '{self.root}' cannot be read ({error.strerror or error})."
        if name is None:
            return f"CURRENT is missing from '{self.root}'." if self.versions() else None
        if not name:
            return f"CURRENT in '{self.root}' is empty."
        if not _VERSION.fullmatch(name):
            return f"CURRENT in '{self.root}' holds {name[:40]!r}, which is not a version name (like 'v0001')."
        if not (self.versions_dir / name).is_dir():
            return f"CURRENT in '{self.root}' names {name}, which is not in versions/."
        return None

    def current(self) -> str | None:
        """The serving version's name, or None before the first build.

        That is the version CURRENT names; if CURRENT names none here (``pointer_problem``
        says why: empty, garbage, a path, a deleted version), the newest version, so readers
        fall back to it instead of failing. Never anything but a version name.
        """
        try:
            name = self._pointer()
        except OSError:
            name = None
        if name and _VERSION.fullmatch(name) and (self.versions_dir / name).is_dir():
            return name
        versions = self.versions()
        return versions[-1] if versions else None

    def path_of(self, version: str) -> Path:
        if not _VERSION.fullmatch(version):
            raise IndexNotFoundError(f"Invalid version name: {version!r}; versions look like 'v0001' (see `citewise index list`).")
        return self.versions_dir / version

    def current_path(self) -> Path:
        """The serving version's folder.

        Raises:
            IndexNotFoundError: nothing has been built here yet.
        """
        name = self.current()
        if name is None:
            raise IndexNotFoundError(
                f"No index in '{self.root}': run `{REBUILD_COMMAND}` first."
            )
        return self.path_of(name)

    def next_version(self) -> str:
        existing = [int(_VERSION.fullmatch(n).group(1)) for n in self.versions()]
        return f"v{max(existing, default=0) + 1:04d}"

    def previous(self, version: str) -> str | None:
        """The newest complete version older than ``version``, or None."""
        number = int(self.path_of(version).name[1:])
        older = [v for v in self.versions() if int(v[1:]) < number]
        return older[-1] if older else None

    def staging_path(self, version: str) -> Path:
        """A private folder to build ``version`` in; it becomes visible only by ``publish``."""
        path = self.versions_dir / f".build-{version}-{os.getpid()}"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def publish(self, staging: Path, version: str) -> Path:
        """Move a finished build into place under its version name (not yet serving)."""
        target = self.path_of(version)
        _fsync_directory(staging)
        os.rename(staging, target)
        _fsync_directory(self.versions_dir)
        return target

    def clean_staging(self) -> list[str]:
        """Remove what killed builds left behind (call only while holding the build lock)."""
        leftovers = []
        if self.versions_dir.is_dir():
            leftovers += [p for p in self.versions_dir.iterdir() if p.name.startswith(".build-")]
        if self.root.is_dir():
            leftovers += [p for p in self.root.iterdir() if p.name.startswith(".CURRENT.")]
        for path in leftovers:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        return sorted(p.name for p in leftovers)

    def switch(self, version: str) -> None:
        """Point CURRENT at ``version`` atomically: a reader sees the old name or the new one."""
        if not self.path_of(version).is_dir():
            raise IndexNotFoundError(f"No index version {version!r} in '{self.root}'; see `citewise index list`.")
        temporary = self.root / f".CURRENT.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(version + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, self.pointer)
        _fsync_directory(self.root)

    def prune(self, keep: int) -> list[str]:
        """Delete all but the newest ``keep`` versions (never the serving one); return the deleted."""
        current = self.current()
        old = [v for v in self.versions()[:-keep] if v != current] if keep > 0 else []
        for version in old:
            shutil.rmtree(self.path_of(version), ignore_errors=True)
        return old
