"""The per-client sliding window, on a clock the test controls."""

from __future__ import annotations

import pytest

from chat.rate_limit import RateLimitedError, RateLimiter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_n_requests_a_minute_then_refused_with_the_wait():
    clock = Clock()
    limiter = RateLimiter(3, clock)
    for _ in range(3):
        limiter.check("a")
        clock.now += 10
    with pytest.raises(RateLimitedError, match="limit is 3 a minute") as refused:
        limiter.check("a")
    assert refused.value.retry_after == 30  # the first request, at t=0, leaves the window at t=60; now is t=30


def test_the_window_slides_instead_of_resetting_each_minute():
    clock = Clock()
    limiter = RateLimiter(2, clock)
    limiter.check("a")
    clock.now += 59
    limiter.check("a")
    clock.now += 2  # the first request has left the window, the second has not
    limiter.check("a")
    with pytest.raises(RateLimitedError):
        limiter.check("a")


def test_clients_are_counted_apart_and_zero_means_no_limit():
    clock = Clock()
    limiter = RateLimiter(1, clock)
    limiter.check("a")
    limiter.check("b")
    with pytest.raises(RateLimitedError):
        limiter.check("a")
    unlimited = RateLimiter(0, clock)
    for _ in range(1000):
        unlimited.check("a")


def test_idle_clients_are_forgotten():
    clock = Clock()
    limiter = RateLimiter(5, clock)
    for client in range(100):
        limiter.check(f"10.0.0.{client}")
    clock.now += 120
    limiter.check("10.0.1.1")
    assert len(limiter._seen) == 1


def test_a_negative_limit_is_refused():
    with pytest.raises(ValueError, match="Invalid rate_limit: -1"):
        RateLimiter(-1)
