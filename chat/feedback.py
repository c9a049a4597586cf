"""Thumbs up/down on answers, appended to a JSONL log with what was asked and cited."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import threading
from collections import OrderedDict
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from chat.answer import Answer
from chat.settings import Settings

log = logging.getLogger(__name__)

FILE_NAME = "feedback.jsonl"


def feedback_path(settings: Settings) -> Path:
    """``settings.feedback_log``, else ``feedback.jsonl`` in the data directory."""
    return Path(settings.feedback_log) if settings.feedback_log else Path(settings.data_dir) / FILE_NAME


class FeedbackLog:
    """Appends one JSON object a line: time, rating, index version, and the answer's JSON.

    Each record is one ``write`` of the whole line to a file opened ``O_APPEND``, under a lock of
    this process and an flock of ``<log>.lock`` that other processes share: votes of several
    threads or several replicas (`citewise serve` processes on one data directory) never
    interleave inside a line, and only one of them rotates a full log. (On storage shared by
    several machines, give each replica its own ``feedback_log``: NFS does not make appends
    atomic across machines.) Lines are pure ASCII (``ensure_ascii``): no U+2028, U+0085 or
    other character a line-based reader would split on ever reaches the file.
    The log is bounded: once it reaches ``max_bytes`` it becomes ``<name>.1`` (replacing
    the previous one) and a new log starts, so votes take at most twice that on disk.

    Args:
        path: The JSONL file; its folder is created if needed.
        max_bytes: Size at which the log is rotated.
    """

    def __init__(self, path: Path, max_bytes: int = 10 * 1024 * 1024) -> None:
        self.path = Path(path)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()

    @property
    def rotated(self) -> Path:
        return self.path.with_name(self.path.name + ".1")

    @contextmanager
    def _other_replicas_wait(self):
        """Hold ``<log>.lock`` (an flock) while appending or rotating: several `citewise serve` replicas may share
        one log, and two that both found it full would each rotate it, the second throwing the first one's votes away."""
        with open(self.path.with_name(self.path.name + ".lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def record(self, answer: Answer, liked: bool) -> dict:
        """Append a vote on ``answer`` and return the record written."""
        entry = {
            "time": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "rating": "up" if liked else "down",
            "index_version": answer.index_version,
            **answer.to_dict(),
        }
        line = (json.dumps(entry, ensure_ascii=True) + "\n").encode("ascii")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._other_replicas_wait():
                try:
                    full = self.path.stat().st_size + len(line) > self.max_bytes
                except FileNotFoundError:
                    full = False
                if full:
                    os.replace(self.path, self.rotated)
                    log.info("feedback log reached %d KiB: moved to %s", self.max_bytes // 1024, self.rotated)
                descriptor = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
                try:
                    os.write(descriptor, line)  # one write of the whole line, at the end of the file
                finally:
                    os.close(descriptor)
        log.info("feedback %s on %r saved to %s", entry["rating"], answer.question[:80], self.path)
        return entry


class ShownAnswers:
    """The answers the page showed last, by answer id, so a vote logs exactly what was read
    (even after the index has been swapped), not an answer computed again.

    Args:
        capacity: How many answers to keep; older ones are forgotten first.
    """

    def __init__(self, capacity: int = 2000) -> None:
        self.capacity = capacity
        self._answers: OrderedDict[str, Answer] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, answer_id: str, answer: Answer) -> None:
        with self._lock:
            self._answers[answer_id] = answer
            while len(self._answers) > self.capacity:
                self._answers.popitem(last=False)

    def get(self, answer_id: str) -> Answer | None:
        with self._lock:
            return self._answers.get(answer_id)
