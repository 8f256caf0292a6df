"""Atomic rate-limit primitives on the Django cache: windows, cooldowns, and rollback.

Every worker of a site must see the same counts, so they live in a shared cache (Redis or
Memcached in production; ``add`` and ``incr`` are atomic there, and under LocMemCache's lock).
DRF's throttles read, then write, so concurrent requests can all slip under a limit; here a
request takes its slot with one ``incr`` and gives it back with ``decr`` when it is refused.

Time comes from :func:`clock` (``LC_PHONE["CLOCK"]``), so tests can move it: cache expiry
stays real time, but keys carry their window number, so a moved clock simply reads other keys.
"""

from __future__ import annotations

import contextlib
import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import BaseCache, caches
from django.utils.module_loading import import_string

from ..conf import get_settings
from . import redis as ratelimit_redis


def clock() -> float:
    """Seconds since the epoch, from ``LC_PHONE["CLOCK"]`` (``time.time`` by default)."""
    return _clock(get_settings().CLOCK)()


@functools.cache
def _clock(path: str | None) -> Callable[[], float]:
    return import_string(path) if path else time.time


_PREFIX = "lc_phone:rl"


def cache() -> BaseCache:
    """The cache that holds every limit (``LC_PHONE["CACHE"]``)."""
    return caches[get_settings().CACHE]


@dataclass(frozen=True)
class Window:
    """At most ``limit`` hits per ``seconds``, counted in fixed windows.

    A hit is allowed only while this window's count plus the previous window's stays within the
    limit, so no span of ``seconds`` (which touches at most two windows) ever holds more than
    ``limit`` hits: stricter than a plain fixed window, which lets ``2 * limit`` through around
    a boundary (enough to set off LeanCloud's own 6-failure lock).
    """

    name: str
    limit: int
    seconds: int

    def _key(self, ident: str, index: int) -> str:
        return f"{_PREFIX}:{self.name}:{self.seconds}:{ident}:{index}"

    def hit(self, ident: str) -> Slot | float:
        """Take a slot (a :class:`Slot`), or the seconds to wait when the limit is reached."""
        now = clock()
        index = int(now // self.seconds)
        key = self._key(ident, index)
        store = cache()
        if ratelimit_redis.supports(store):  # one round trip instead of four
            count, previous = ratelimit_redis.hit(
                store,
                key,
                self._key(ident, index - 1),
                2 * self.seconds + 1,
            )
        else:
            store.add(key, 0, timeout=2 * self.seconds + 1)
            try:
                count = store.incr(key)
            except ValueError:  # expired between add and incr: the window is new
                store.add(key, 0, timeout=2 * self.seconds + 1)
                count = store.incr(key)
            previous = store.get(self._key(ident, index - 1), 0)
        if count + previous <= self.limit:
            return Slot(key)
        _decr(store, key)
        window_end = (index + 1) * self.seconds - now
        # Next window: only this one's count remains; if that alone fills it, wait one more.
        return window_end + (self.seconds if count - 1 >= self.limit else 0)

    def count(self, ident: str) -> int:
        """Hits in this window and the previous one."""
        index = int(clock() // self.seconds)
        store = cache()
        return int(store.get(self._key(ident, index), 0)) + int(
            store.get(self._key(ident, index - 1), 0)
        )

    def clear(self, ident: str) -> None:
        """Forget the hits (a successful sign-in clears its failures)."""
        index = int(clock() // self.seconds)
        cache().delete_many([self._key(ident, index), self._key(ident, index - 1)])


@dataclass(frozen=True)
class Cooldown:
    """One hit per ``seconds``, measured from the hit (not from a window boundary).

    The hit is stored under its window number (``add`` is atomic, so one hit per window); a
    new hit also reads both neighbouring windows, so two hits straddling a boundary cannot both
    pass (if they race, both may be refused, never both allowed).
    """

    name: str
    seconds: int

    def _key(self, ident: str, index: int) -> str:
        return f"{_PREFIX}:{self.name}:{ident}:{index}"

    def hit(self, ident: str) -> Slot | float:
        """Take the slot, or the seconds until the last hit's cooldown ends."""
        now = clock()
        index = int(now // self.seconds)
        key = self._key(ident, index)
        store = cache()
        if not store.add(key, now, timeout=2 * self.seconds + 1):
            return self._wait(store.get(key), now)
        earlier = store.get(self._key(ident, index - 1))
        if earlier is not None and now - earlier < self.seconds:
            store.delete(key)
            return self._wait(earlier, now)
        # A hit in the next window can only be a racing request; it checks this window in
        # turn, so at most one of the two goes ahead.
        racing = store.get(self._key(ident, index + 1))
        if racing is not None:
            store.delete(key)
            return self._wait(racing, now)
        return Slot(key, delete=True)

    def _wait(self, last: float | None, now: float) -> float:
        if last is None:
            return 1.0
        return max(last + self.seconds - now, 1.0)

    def clear(self, ident: str) -> None:
        """Forget the last hit."""
        index = int(clock() // self.seconds)
        cache().delete_many([self._key(ident, i) for i in (index - 1, index, index + 1)])


@dataclass
class Slot:
    """A taken slot that can be given back (the request was not carried out after all)."""

    key: str
    delete: bool = False

    def release(self) -> None:
        """Give the slot back."""
        store = cache()
        if self.delete:
            store.delete(self.key)
        else:
            _decr(store, self.key)


@dataclass
class Reservation:
    """Slots taken together: all are kept, or all given back."""

    slots: list[Slot] = field(default_factory=list)

    def release(self) -> None:
        """Give every slot back."""
        for slot in reversed(self.slots):
            slot.release()
        self.slots.clear()


def _decr(store: BaseCache, key: str) -> None:
    if ratelimit_redis.supports(store):  # one round trip instead of two
        ratelimit_redis.decr(store, key)
        return
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
        store.decr(key)


def retry_after(seconds: float) -> int:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil(seconds))
