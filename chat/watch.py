"""Watching a corpus folder for changes, by polling: no dependency, works on any filesystem."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)


def corpus_snapshot(corpus: Path) -> dict[str, tuple[int, int]]:
    """``{path: (mtime_ns, size)}`` of every file under ``corpus`` (or of ``corpus`` itself)."""
    root = Path(corpus)
    files = [root] if root.is_file() else (p for p in root.rglob("*") if p.is_file())
    snapshot = {}
    for path in files:
        try:
            status = path.stat()
        except FileNotFoundError:  # deleted between listing and stat: the next poll sees it gone
            continue
        snapshot[str(path)] = (status.st_mtime_ns, status.st_size)
    return snapshot


def settled_changes(corpus: Path, debounce: float, poll: float = 0.5) -> Iterator[None]:
    """Yield once each time the corpus has changed and then stayed quiet for ``debounce`` seconds.

    The corpus as it is when this is called is the baseline: a change made after the
    call, even before the first ``next()``, is seen. An operator copying a dozen files
    gets one rebuild, not a dozen.

    Args:
        corpus: Folder (or file) to watch.
        debounce: Quiet seconds required after the last change.
        poll: Seconds between looks at the files. Defaults to 0.5.
    """
    return _settled(corpus, corpus_snapshot(corpus), debounce, poll)


def _settled(corpus: Path, seen: dict, debounce: float, poll: float) -> Iterator[None]:
    changed_at: float | None = None
    while True:
        time.sleep(min(poll, debounce) if debounce > 0 else poll)
        now = corpus_snapshot(corpus)
        if now != seen:
            seen, changed_at = now, time.monotonic()
            log.debug("change seen in %s; waiting for %.1f quiet seconds", corpus, debounce)
        elif changed_at is not None and time.monotonic() - changed_at >= debounce:
            changed_at = None
            yield
