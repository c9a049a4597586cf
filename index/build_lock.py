"""One rebuild at a time per data directory: an ``flock`` the kernel releases when its holder dies."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

from index.errors import IndexBusyError


class BuildLock:
    """An exclusive lock on ``<data_dir>/build.lock``; the file also names the holder's pid.

    Args:
        path: The lock file (created if missing; never deleted, so every process locks the same inode).

    Example:
        with BuildLock(data_dir.lock_path).acquire(wait=False):
            ...  # build
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._handle = None

    def __repr__(self) -> str:
        return f"BuildLock({str(self.path)!r})"

    def holder(self) -> int | None:
        """The pid written by the process that holds (or last held) the lock."""
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        return int(text) if text.isdigit() else None

    def acquire(self, wait: bool = True, on_wait: Callable[[int | None], None] | None = None) -> BuildLock:
        """Take the lock, waiting for the current holder unless ``wait`` is False.

        Args:
            wait: Block until the lock is free. Defaults to True.
            on_wait: Called once with the holder's pid before blocking, to say why nothing happens.

        Raises:
            IndexBusyError: ``wait`` is False and another process holds the lock.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # "a" rather than "w": opening must not erase the holder's pid before we hold the lock.
        handle = open(self.path, "a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                handle.close()
                raise IndexBusyError(
                    f"Another rebuild (pid {self.holder()}) is running in '{self.path.parent}'; "
                    "try again when it has finished, or wait for it (leave out --no-wait)."
                ) from None
            if on_wait is not None:
                on_wait(self.holder())
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.truncate(0)
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    def __enter__(self) -> BuildLock:
        if self._handle is None:
            self.acquire()
        return self

    def __exit__(self, *exc_info) -> None:
        self.release()
