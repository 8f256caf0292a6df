"""The two providers behind one test interface: where codes arrive, and how many were sent."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from django.conf import settings
from django.test import override_settings

from django_lc_phone.sms import get_gateway
from django_lc_phone.sms.base import SmsMessage
from django_lc_phone.sms.console import ConsoleGateway
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
    """The local provider, with the console gateway (what it printed, as it keeps it)."""

    name: str = "local"

    @property
    def messages(self) -> list[SmsMessage]:
        gateway = get_gateway()
        assert isinstance(gateway, ConsoleGateway)
        return gateway.recent()

    def last_code(self, phone: str) -> str:
        codes = [m.code for m in self.messages if m.phone == phone and m.code]
        assert codes, f"no code was sent to {phone}"
        return codes[-1]

    def count(self, phone: str) -> int:
        return sum(m.phone == phone for m in self.messages)

    def channels(self, phone: str) -> list[str]:
        return [m.channel for m in self.messages if m.phone == phone]


@contextmanager
def local_provider() -> Iterator[GatewayInbox]:
    """``PROVIDER = "local"`` with the console gateway (printing to a buffer), for the duration."""
    lc_phone = {
        **settings.LC_PHONE,
        "PROVIDER": "local",
        "SMS_GATEWAY": "django_lc_phone.sms.console.ConsoleGateway",
        "SMS_GATEWAY_OPTIONS": {"stream": io.StringIO(), "keep": 1000},
    }
    with override_settings(LC_PHONE=lc_phone):
        yield GatewayInbox()
