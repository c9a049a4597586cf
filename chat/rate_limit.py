"""A per-client limit of N requests in any 60-second window."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable

from starlette.requests import Request

from ingest import CitewiseError

WINDOW_SECONDS = 60.0


class RateLimitedError(CitewiseError):
    """A client asked more often than the limit allows.

    Args:
        retry_after: Whole seconds until the client may ask again.
    """

    status = 429

    def __init__(self, limit: int, retry_after: int) -> None:
        super().__init__(f"Too many requests: the limit is {limit} a minute per client. Try again in {retry_after} s.")
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}


def client_of(request: Request) -> str:
    """Who is asking, for the rate limit: the peer address, or the client a trusted proxy
    named (``chat.security.RequestGuard`` has already put it in the request's ``client``)."""
    return request.client.host if request.client else "unknown"


class RateLimiter:
    """Counts each client's requests in a sliding 60-second window.

    A sliding window (not a fixed per-minute bucket) means a client can never burst
    2N requests across a minute boundary.

    Args:
        per_minute: Requests allowed per client in any 60 seconds; 0 turns the limit off.
        clock: Seconds, monotonic; replaceable in unit tests.
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        if per_minute < 0:
            raise ValueError(f"Invalid rate_limit: {per_minute!r}. Give requests a minute, or 0 for no limit.")
        self.per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._last_sweep = clock()
        self._lock = threading.Lock()  # sync endpoints run in a thread pool

    def check(self, client: str) -> None:
        """Count one request from ``client``.

        Raises:
            RateLimitedError: ``client`` already made ``per_minute`` requests in the last minute.
        """
        if not self.per_minute:
            return
        now = self._clock()
        with self._lock:
            if now - self._last_sweep > WINDOW_SECONDS:
                self._forget_idle(now)
            times = self._seen.setdefault(client, deque())
            while times and times[0] <= now - WINDOW_SECONDS:
                times.popleft()
            if len(times) >= self.per_minute:
                retry_after = max(1, math.ceil(times[0] + WINDOW_SECONDS - now))
                raise RateLimitedError(self.per_minute, retry_after)
            times.append(now)

    def _forget_idle(self, now: float) -> None:
        # A sweep a minute keeps memory bounded by the clients active in the last minute.
        self._last_sweep = now
        for client in [c for c, times in self._seen.items() if not times or times[-1] <= now - WINDOW_SECONDS]:
            del self._seen[client]
