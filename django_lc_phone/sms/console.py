"""A development gateway that prints each message, like Django's console e-mail backend.

The text, code included, is printed on purpose: reading it is how a developer signs in. The
number is masked all the same, so a terminal log shared in a bug report names nobody.
"""

from __future__ import annotations

import sys
import threading
from collections import deque
from typing import TextIO

from ..redaction import mask_phone
from .base import SmsMessage


class ConsoleGateway:
    """Writes one line per message to ``stream`` (stdout when None) and keeps the last
    ``keep`` messages for ``recent()``."""

    # Voice codes are printed like texts, so voice flows can be tried out in development.
    supports_voice = True

    def __init__(self, *, stream: TextIO | None = None, keep: int = 50) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self._recent: deque[SmsMessage] = deque(maxlen=max(0, keep))

    def send(self, message: SmsMessage) -> None:
        """Print one line and remember the message."""
        line = self.format(message)
        # stdout is read when sending, not when building: test runners swap it per test.
        stream = self._stream if self._stream is not None else sys.stdout
        with self._lock:
            self._recent.append(message)
            stream.write(line + "\n")
            stream.flush()

    @staticmethod
    def format(message: SmsMessage) -> str:
        """``[sms] +86138****8000 login (sms): <text>`` on one line (a newline in the text
        would let it forge a second line)."""
        text = " ".join(message.text.splitlines())
        template = f" template={message.template}" if message.template else ""
        return (
            f"[sms] {mask_phone(message.phone)} {message.purpose} ({message.channel})"
            f"{template}: {text}"
        )

    def recent(self) -> list[SmsMessage]:
        """The last messages sent, oldest first (a copy)."""
        with self._lock:
            return list(self._recent)

    def clear(self) -> None:
        """Forget the remembered messages."""
        with self._lock:
            self._recent.clear()
