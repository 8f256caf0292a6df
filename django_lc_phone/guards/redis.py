"""The rate limiter's steps in one round trip each on Django's own Redis cache backend.

Through the generic cache API a window hit costs four round trips (``add``; ``incr``, which
Django's Redis backend makes an ``EXISTS`` and an ``INCRBY``; ``get``) and giving a slot back
two. A password login takes and gives back two slots, so the limiter alone made 12 round
trips to Redis per login, the largest part of the login's own cost in ``bench/`` (docs/
benchmarks.md). Here a hit is one ``MULTI``/``EXEC`` (``SET NX EX``, ``INCRBY``, ``GET``:
atomic, so the key always has its expiry) and a give-back one script that decrements only an
existing key; values stay Django's own encoding (plain integers), so both paths read the same
keys. Any other cache backend keeps the generic path.
"""

from __future__ import annotations

from typing import Any, Final, TypeGuard

from django.core.cache import BaseCache
from django.core.cache.backends.redis import RedisCache

# Decrement only a key that still exists (Django's decr() raises ValueError for a missing one;
# creating it here would leave a counter without an expiry).
_DECR_IF_EXISTS: Final = (
    "if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], -1) end "
    "return false"
)


def supports(store: BaseCache) -> TypeGuard[RedisCache]:
    """Whether ``store`` is Django's Redis backend (subclasses may store differently)."""
    return type(store) is RedisCache


def _client(store: RedisCache, key: str) -> Any:
    return store._cache.get_client(key, write=True)


def hit(store: RedisCache, key: str, previous_key: str, timeout: int) -> tuple[int, int]:
    """``add(key, 0, timeout)``, ``incr(key)`` and ``get(previous_key, 0)`` in one round trip:
    this window's count after the hit, and the previous window's count."""
    current = store.make_and_validate_key(key)
    previous = store.make_and_validate_key(previous_key)
    pipe = _client(store, current).pipeline(transaction=True)
    pipe.set(current, 0, ex=store.get_backend_timeout(timeout), nx=True)
    pipe.incrby(current, 1)
    pipe.get(previous)
    _, count, earlier = pipe.execute()
    return int(count), int(earlier) if earlier is not None else 0


def decr(store: RedisCache, key: str) -> None:
    """Give one hit back, unless the key has expired meanwhile (one round trip)."""
    current = store.make_and_validate_key(key)
    _client(store, current).eval(_DECR_IF_EXISTS, 1, current)
