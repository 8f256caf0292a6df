"""An injectable, advanceable clock so tests can cross TTLs and send limits without waiting."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Final

# How far ahead of real time a clock may run, in all: a year. Enough for any TTL, window or
# lockout; an offset near float's limit (1e308) would make every date computed from it fail.
MAX_OFFSET: Final = 365 * 24 * 60 * 60
ADVANCE_RULE: Final = (
    f"advance must be a number of seconds from 0 to {MAX_OFFSET} (a year), "
    "and the clock may run at most a year ahead of real time"
)


class Clock:
    """Wall-clock time plus an offset that only moves forward (or resets to zero)."""

    def __init__(self, source: Callable[[], float] = time.time) -> None:
        self._source = source
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        """Seconds since the epoch, as the emulator sees them."""
        with self._lock:
            return self._source() + self._offset

    def advance(self, seconds: object) -> float:
        """Move forward by ``seconds``; returns the new time.

        :class:`ValueError` (:data:`ADVANCE_RULE`) for anything but a finite number from 0 to
        :data:`MAX_OFFSET`, or a move past :data:`MAX_OFFSET` in all; the clock is then left
        where it was. ``seconds`` is checked here, not only typed, as it often comes straight
        from a JSON body (NaN, infinities and huge integers included).
        """
        if (
            isinstance(seconds, bool)
            or not isinstance(seconds, int | float)
            or not 0 <= seconds <= MAX_OFFSET  # False for NaN
        ):
            raise ValueError(ADVANCE_RULE)
        with self._lock:
            if self._offset + seconds > MAX_OFFSET:
                raise ValueError(ADVANCE_RULE)
            self._offset += seconds
        return self.now()

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0
