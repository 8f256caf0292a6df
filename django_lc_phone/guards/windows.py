"""What the limits count: windows and cooldowns on the Django cache, their keys, their waits.

Every worker of a site must see the same counts, so they live in a shared cache (Redis or
Memcached in production). DRF's throttles read, then write, so concurrent requests can all
slip under a limit; here a request takes its slot first and gives it back when it is refused
(``plan.py`` takes every slot of a request together: one round trip on Redis).

Time comes from :func:`clock` (``LC_PHONE["CLOCK"]``), so tests can move it: cache expiry
stays real time, but keys carry their window number, so a moved clock simply reads other keys.
Every key starts with :data:`KEY_TAG`, a Redis Cluster hash tag: all the keys one request
names live in one slot, so one script can read and write them all.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from django.core.cache import BaseCache, caches
from django.utils.module_loading import import_string

from ..conf import get_settings

if TYPE_CHECKING:
    from .plan import Slot

# The hash tag of every limiter and breaker key (Redis Cluster hashes only what is in braces).
KEY_TAG: Final = "{lc_phone}"
# A back-off counts the hits of a day (a verified code starts it again sooner).
LADDER_SECONDS: Final = 86400
# How long a back-off's count and hit times are kept: their day, and a second.
LADDER_TTL: Final = LADDER_SECONDS + 1


def key(*parts: str) -> str:
    """A limiter key: the hash tag, then ``parts``."""
    return ":".join((KEY_TAG, *parts))


def clock() -> float:
    """Seconds since the epoch, from ``LC_PHONE["CLOCK"]`` (``time.time`` by default)."""
    return _clock(get_settings().CLOCK)()


@functools.cache
def _clock(path: str | None) -> Callable[[], float]:
    return import_string(path) if path else time.time


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

    def keys(self, ident: str, now: float | None = None) -> tuple[str, str]:
        """This window's key for ``ident`` and the previous window's."""
        index = int((clock() if now is None else now) // self.seconds)
        prefix = key("rl", self.name, str(self.seconds), ident)
        return f"{prefix}:{index}", f"{prefix}:{index - 1}"

    @property
    def ttl(self) -> int:
        """How long a window's count is kept: while it is this window or the previous one."""
        return 2 * self.seconds + 1

    def wait(self, now: float, count: int, limit: int) -> float:
        """Seconds to wait after a refused hit that found ``count`` hits in this window."""
        window_end = (int(now // self.seconds) + 1) * self.seconds - now
        # Next window: only this one's count remains; if that alone fills it, wait one more.
        return window_end + (self.seconds if count - 1 >= limit else 0)

    def hit(self, ident: str) -> Slot | float:
        """Take a slot (a :class:`~.plan.Slot`), or the seconds to wait when the limit is
        reached (a plan of this one step)."""
        from .plan import take_one  # plan.py builds on this module

        return take_one(self, ident)

    def count(self, ident: str) -> int:
        """Hits in this window and the previous one."""
        store = cache()
        return sum(int(store.get(k, 0)) for k in self.keys(ident))

    def clear(self, ident: str) -> None:
        """Forget the hits (a successful sign-in clears its failures)."""
        cache().delete_many(list(self.keys(ident)))


@dataclass(frozen=True)
class Cooldown:
    """One hit per ``seconds``, measured from the hit (not from a window boundary); with
    ``steps``, a back-off: after the n-th hit of a day the wait is :meth:`period` ``(n)``.

    The hit (its time in milliseconds: a plain integer, which every path stores alike) is kept
    under its window number, one hit per window; a new hit also reads both neighbouring
    windows, so two hits straddling a boundary cannot both pass (if they race on a cache
    without scripts, both may be refused, never both allowed).

    The back-off counts the day's hits (:meth:`ladder_keys`: keys of the day's number, so a
    moved clock reads another day) and keeps each hit's time under the count's parity: the
    last hit is the one of the count's, and a hit given back (the count decremented) leaves
    the one before it in place. Its check only reads, before the first ``seconds`` are
    checked (the longer wait is the one answered), so the cooldown's own keys still decide a
    race. Forgetting the count (a verified code) starts the back-off again.
    """

    name: str
    seconds: int
    steps: tuple[int, ...] = ()

    def keys(self, ident: str, now: float | None = None) -> tuple[str, str, str]:
        """The previous, this and the next window's key for ``ident``."""
        index = int((clock() if now is None else now) // self.seconds)
        prefix = key("rl", self.name, ident)
        return f"{prefix}:{index - 1}", f"{prefix}:{index}", f"{prefix}:{index + 1}"

    def ladder_keys(self, ident: str, now: float | None = None) -> tuple[str, str, str]:
        """The day's hit count for ``ident``, and the times of its even and odd hits."""
        day = int((clock() if now is None else now) // LADDER_SECONDS)
        prefix = key("rl", self.name, "day", ident, str(day))
        return f"{prefix}:n", f"{prefix}:0", f"{prefix}:1"

    @property
    def ttl(self) -> int:
        """How long a hit is kept: past the next window, which still reads it."""
        return 2 * self.seconds + 1

    def period(self, hits: int) -> int:
        """The wait after the ``hits``-th hit of the day: ``seconds``, then each of ``steps``,
        the last one repeating."""
        ladder = (self.seconds, *self.steps)
        return ladder[min(max(hits, 1), len(ladder)) - 1]

    def wait(self, last_ms: int | None, now: float, seconds: int | None = None) -> float:
        """Seconds until the cooldown (of ``seconds``, else the first) of the hit at
        ``last_ms`` ends (at least one)."""
        if last_ms is None:
            return 1.0
        return max(last_ms / 1000 + (seconds or self.seconds) - now, 1.0)

    def hit(self, ident: str) -> Slot | float:
        """Take the slot, or the seconds until the last hit's cooldown ends."""
        from .plan import take_one  # plan.py builds on this module

        return take_one(self, ident)

    def clear(self, ident: str) -> None:
        """Forget the last hit (and the back-off's count)."""
        cache().delete_many([*self.keys(ident), *self.ladder_keys(ident)])


def retry_after(seconds: float) -> int:
    """Whole seconds for a ``Retry-After`` header (at least 1)."""
    return max(1, math.ceil(seconds))
