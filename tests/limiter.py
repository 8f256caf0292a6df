"""The limiter's test clock, and emptying the limits between tests."""

from __future__ import annotations

import time


class FakeClock:
    """The limiter's clock, frozen at the real time until a test moves it."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


LIMITER_CLOCK = FakeClock()


def clear_limits() -> None:
    """Forget every limit and the circuit breaker's state (keys of this run only)."""
    from django.core.cache import cache

    client = getattr(cache, "_cache", None)
    if client is not None and hasattr(client, "get_client"):  # Redis: only our prefix
        redis = client.get_client(write=True)
        for key in redis.scan_iter(match=f"{cache.key_prefix}:*"):
            redis.delete(key)
    else:
        cache.clear()
