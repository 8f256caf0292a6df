"""A development gateway that appends each message to a file as one JSON line.

Other processes (an end-to-end test, a script that signs in) read the codes from the file,
so each line holds the full number and the code: the file is created readable by its owner
only, and this gateway is for development and tests, never production.
"""

from __future__ import annotations

import json
import os
import threading
from datetime import datetime, timezone
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import SmsMessage


class FileGateway:
    """Appends ``{"sent_at", "phone", "purpose", "channel", "text", "code", ...}`` lines to
    ``path`` (created with mode 0600, parent folders too)."""

    supports_voice = True

    def __init__(self, *, path: str | os.PathLike[str] | None = None) -> None:
        if not path:
            raise ImproperlyConfigured(
                "FileGateway: set path in LC_PHONE['SMS_GATEWAY_OPTIONS'] (a file to append to)"
            )
        self.path = Path(path)
        self._lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        """Append one line; one ``write`` on an ``O_APPEND`` file, so lines from several
        processes do not interleave."""
        record = {
            "sent_at": datetime.now(timezone.utc).isoformat(),
            "phone": message.phone,
            "purpose": message.purpose,
            "channel": message.channel,
            "template": message.template,
            "variables": dict(message.variables),
            "text": message.text,
            "code": message.code,
            "ttl_minutes": message.ttl_minutes,
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)

    def read(self) -> list[dict[str, object]]:
        """Every message written so far (for tests and scripts)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.strip()]
