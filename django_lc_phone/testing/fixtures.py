"""Helpers for testing a project that uses django-lc-phone, with no network.

The pytest plugin's fixtures (``lc_emulator``, ``sms_outbox``) are built on these, and they
work from ``unittest`` too. Each points ``LC_PHONE`` somewhere safe for one test:

- :class:`EmulatorHandle`: a LeanCloud emulator over HTTP as the provider's server;
- :class:`SmsOutbox`: the local provider sending through the in-memory gateway.

Either way the app's limits live in a cache of the test's own (so one test's resend cooldown
or lockout never leaks into the next, and the project's own caches are not touched) and run on
a clock the test can move (:func:`advance_clock`), so a test can skip a cooldown without
waiting.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator, Sequence
from typing import Any, Final, overload

from django.conf import settings
from django.test import override_settings

from ..emulator import Emulator, RunningServer
from ..emulator.clock import Clock
from ..sms import locmem
from ..sms.base import SmsMessage

CACHE_ALIAS: Final = "lc_phone_testing"
CLOCK: Final = "django_lc_phone.testing.fixtures.now"
LOCMEM_GATEWAY: Final = "django_lc_phone.sms.locmem.LocmemGateway"


# Real time plus an offset the test moves forward; back to real time around each test. The
# emulator's clock is exactly that (standard library only).
_clock = Clock()


def now() -> float:
    """The limits' clock during a test (``LC_PHONE["CLOCK"]`` is this function's path)."""
    return _clock.now()


def advance_clock(seconds: float) -> None:
    """Move the limits' clock forward, e.g. past the 60-second resend cooldown."""
    _clock.advance(seconds)


@contextlib.contextmanager
def lc_phone_test_settings(**overrides: Any) -> Iterator[None]:
    """``LC_PHONE`` as the project sets it, with ``overrides``, limits in a fresh cache of
    this block's own and the movable test clock (reset on entry and exit)."""
    caches = {
        **settings.CACHES,
        # A new LOCATION is a new, empty local-memory cache: nothing carries over.
        CACHE_ALIAS: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"lc-phone-testing-{uuid.uuid4().hex}",
        },
    }
    lc_phone = {
        **getattr(settings, "LC_PHONE", {}),
        "CACHE": CACHE_ALIAS,
        "CLOCK": CLOCK,
        # Codes are in the outbox when the request returns, so a test can read them at once.
        "SEND_IN_BACKGROUND": False,
        **overrides,
    }
    _clock.reset()
    try:
        with override_settings(CACHES=caches, LC_PHONE=lc_phone):
            yield
    finally:
        _clock.reset()


class EmulatorHandle:
    """A running LeanCloud emulator, as a test sees it: its URL, its outbox, its clock, its
    faults. :meth:`settings` is what points ``LC_PHONE`` at it."""

    def __init__(self, server: RunningServer) -> None:
        self.server = server

    @property
    def url(self) -> str:
        """The emulator's base URL (``LC_PHONE["SERVER_URL"]``)."""
        return self.server.url

    @property
    def emulator(self) -> Emulator:
        """The emulator's whole Python API (users, test numbers, ``reset()``...)."""
        return self.server.emulator

    def settings(self) -> dict[str, Any]:
        """The ``LC_PHONE`` keys that make the app use this emulator as LeanCloud."""
        config = self.emulator.config
        return {
            "PROVIDER": "leancloud",
            "SERVER_URL": self.url,
            "APP_ID": config.app_id,
            "APP_KEY": config.app_key,
            "MASTER_KEY": config.master_key,
        }

    def messages(self, phone: str | None = None) -> list[dict[str, Any]]:
        """What the emulator sent (to ``phone``), oldest first, in its outbox's JSON shape."""
        return self.emulator.messages(phone)

    def last_code(self, phone: str) -> str:
        """The newest code sent to ``phone`` (``LookupError`` if none was)."""
        return self.emulator.last_code(phone)

    def advance(self, seconds: float) -> None:
        """Move the emulator's clock (code TTLs, LeanCloud's send limits) and the app's
        limits' clock forward together."""
        self.emulator.clock.advance(seconds)
        advance_clock(seconds)

    def fail_next(self, kind: str, count: int = 1, **options: Any) -> None:
        """Make the next ``count`` LeanCloud calls fail with ``kind``: ``http_error``
        (``status=``), ``html``, ``malformed_json``, ``empty``, ``redirect``, ``hang``
        (``seconds=``) or ``drop``."""
        self.emulator.arm_fault(kind, count, **options)

    def set_latency(self, seconds: float) -> None:
        """Delay every LeanCloud call by ``seconds``."""
        self.emulator.set_latency(seconds)


class SmsOutbox(Sequence[SmsMessage]):
    """The messages the local provider sent through the in-memory gateway, oldest first.

    A read-only sequence of :class:`~django_lc_phone.sms.base.SmsMessage` (``phone``,
    ``purpose``, ``code``, ``text``...), like ``django.core.mail.outbox``.
    """

    settings: Final[dict[str, Any]] = {"PROVIDER": "local", "SMS_GATEWAY": LOCMEM_GATEWAY}

    @overload
    def __getitem__(self, index: int) -> SmsMessage: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[SmsMessage]: ...

    def __getitem__(self, index: int | slice) -> SmsMessage | Sequence[SmsMessage]:
        return list(locmem.outbox)[index]

    def __len__(self) -> int:
        return len(locmem.outbox)

    def to(self, phone: str) -> list[SmsMessage]:
        """The messages sent to ``phone`` (E.164), oldest first."""
        return [message for message in locmem.outbox if message.phone == phone]

    def last_code(self, phone: str, purpose: str | None = None) -> str:
        """The newest code sent to ``phone`` (for ``purpose``: ``"generic"``, ``"login"``,
        ``"reset_password"``, ``"verify_phone"``, ``"change_phone"``)."""
        for message in reversed(self.to(phone)):
            if message.code and purpose in (None, message.purpose):
                return message.code
        what = f"{purpose} code" if purpose else "code"
        raise LookupError(f"no {what} was sent to that number")

    def clear(self) -> None:
        """Forget the messages sent so far (their codes stay valid)."""
        locmem.outbox.clear()

    def advance(self, seconds: float) -> None:
        """Move the app's limits' clock forward (past a resend cooldown, say)."""
        advance_clock(seconds)
