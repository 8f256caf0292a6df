"""The limiter's one-round-trip steps on Django's Redis cache (``ratelimit_redis``).

``bench/`` showed the limiter's Redis round trips as the largest part of a login's own cost
(12 of the login's 14 commands). These tests pin the round trips and show that the fast path
keeps the generic path's meaning: the same counts, an expiry on every key, and no counter
created by giving a slot back after its key expired. The rest of the limiter's tests
(``test_ratelimit.py``) run on this path too whenever the suite runs on Redis.
"""

from __future__ import annotations

import pytest
from django.core.cache import caches
from redis.connection import AbstractConnection

from django_lc_phone.guards import redis as ratelimit_redis
from django_lc_phone.guards.windows import Slot, Window, cache
from tests.limiter import FakeClock
from tests.settings import USE_SERVICES

pytestmark = pytest.mark.skipif(
    not USE_SERVICES, reason="needs Redis on 127.0.0.1 (see tests/settings.py)"
)

START = 1_800_000_000.0  # a multiple of 60


@pytest.fixture
def clock(limiter_clock: FakeClock) -> FakeClock:
    limiter_clock.now = START
    return limiter_clock


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the writes to Redis: one per command, one per pipeline or script."""
    sent = [0]
    original = AbstractConnection.send_packed_command

    def counting(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        sent[0] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return sent


def _raw(key: str) -> tuple[object, int]:
    """The stored value and the TTL of a limiter key, read past Django's API."""
    store = cache()
    assert ratelimit_redis.supports(store)
    full = store.make_and_validate_key(key)
    client = store._cache.get_client(full, write=True)
    return client.get(full), client.ttl(full)


def test_the_suites_cache_takes_the_fast_path() -> None:
    assert ratelimit_redis.supports(caches["default"])


def test_a_hit_is_one_round_trip_and_giving_it_back_another(
    clock: FakeClock, round_trips: list[int]
) -> None:
    window = Window("bench", 5, 60)
    slot = window.hit("someone")
    assert isinstance(slot, Slot)
    assert round_trips[0] == 1
    slot.release()
    assert round_trips[0] == 2


def test_counts_as_the_generic_path_does(clock: FakeClock) -> None:
    window = Window("bench", 3, 60)
    slots = [window.hit("someone") for _ in range(3)]
    assert all(isinstance(s, Slot) for s in slots)
    refused = window.hit("someone")
    assert isinstance(refused, float)
    assert refused == pytest.approx(120.0)  # this window alone is full: wait past the next
    assert window.count("someone") == 3  # read through Django's get(): same encoding
    first = slots[0]
    assert isinstance(first, Slot)
    first.release()
    assert window.count("someone") == 2
    assert isinstance(window.hit("someone"), Slot)


def test_the_previous_window_counts_too(clock: FakeClock) -> None:
    window = Window("bench", 3, 60)
    for _ in range(2):
        window.hit("someone")
    clock.now += 60
    assert isinstance(window.hit("someone"), Slot)
    assert isinstance(window.hit("someone"), float)  # 2 before + 1 now fill the limit


def test_every_key_gets_its_expiry(clock: FakeClock) -> None:
    window = Window("bench", 3, 60)
    slot = window.hit("someone")
    assert isinstance(slot, Slot)
    value, ttl = _raw(slot.key)
    assert value == b"1"
    assert 0 < ttl <= 121


def test_giving_back_after_expiry_creates_no_counter(clock: FakeClock) -> None:
    window = Window("bench", 3, 60)
    slot = window.hit("someone")
    assert isinstance(slot, Slot)
    cache().delete(slot.key)  # as if it expired before the slot was given back
    slot.release()
    assert _raw(slot.key) == (None, -2)  # -2: no such key
