"""The two providers behind one test interface: where codes arrive, and how many were sent."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from django.conf import settings
from django.test import override_settings

from django_lc_phone.sms.base import SmsMessage
from tests import upstream


class Inbox(Protocol):
    """What the tests need from a provider's SMS side."""

    name: str

    def last_code(self, phone: str) -> str:
        """The newest code sent to ``phone``."""

    def count(self, phone: str) -> int:
        """How many messages ``phone`` received."""

    def channels(self, phone: str) -> list[str]:
        """``sms`` or ``voice``, per message."""


class EmulatorInbox:
    """LeanCloud, played by the in-process emulator."""

    name = "leancloud"

    def last_code(self, phone: str) -> str:
        return upstream.EMULATOR.last_code(phone)

    def count(self, phone: str) -> int:
        return len(upstream.EMULATOR.messages(phone))

    def channels(self, phone: str) -> list[str]:
        return [str(m["smsType"]) for m in upstream.EMULATOR.messages(phone)]


@dataclass
class GatewayInbox:
    """The local provider, with a recording gateway."""

    name: str = "local"
    messages: list[SmsMessage] = field(default_factory=list)

    def last_code(self, phone: str) -> str:
        codes = [m.code for m in self.messages if m.phone == phone and m.code]
        assert codes, f"no code was sent to {phone}"
        return codes[-1]

    def count(self, phone: str) -> int:
        return sum(m.phone == phone for m in self.messages)

    def channels(self, phone: str) -> list[str]:
        return [m.channel for m in self.messages if m.phone == phone]


class RecordingGateway:
    """An SMS gateway that keeps what it was given (voice included) for :class:`GatewayInbox`."""

    supports_voice = True
    inbox: GatewayInbox | None = None
    _lock = threading.Lock()

    def send(self, message: SmsMessage) -> None:
        with self._lock:
            assert RecordingGateway.inbox is not None
            RecordingGateway.inbox.messages.append(message)


@contextmanager
def local_provider() -> Iterator[GatewayInbox]:
    """``PROVIDER = "local"`` with the recording gateway, for the duration."""
    inbox = GatewayInbox()
    RecordingGateway.inbox = inbox
    lc_phone = {
        **settings.LC_PHONE,
        "PROVIDER": "local",
        "SMS_GATEWAY": "tests.contract.backends.RecordingGateway",
    }
    with override_settings(LC_PHONE=lc_phone):
        yield inbox
    RecordingGateway.inbox = None
