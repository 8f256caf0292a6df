"""A test gateway that keeps messages in memory, like ``django.core.mail.outbox``.

``outbox`` is module-level so tests can read it without reaching the gateway instance; clear
it between tests (``locmem.outbox.clear()``; rebinding it to a new list works too).
"""

from __future__ import annotations

import threading

from .base import SmsMessage

outbox: list[SmsMessage] = []
_lock = threading.Lock()


class LocmemGateway:
    """Appends every message (text or voice) to :data:`outbox`."""

    supports_voice = True

    def send(self, message: SmsMessage) -> None:
        """Remember the message."""
        with _lock:
            # Looked up at call time, so a test that rebinds ``outbox`` still sees its list.
            outbox.append(message)
