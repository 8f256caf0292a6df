"""The SMS gateway seam of the local provider: one message in, sent or a domain error out.

Gateways are chosen by dotted path, the way Django chooses an e-mail backend
(``LC_PHONE["SMS_GATEWAY"]``), and built with ``LC_PHONE["SMS_GATEWAY_OPTIONS"]`` as keyword
arguments. A gateway raises only the errors of ``django_lc_phone.exceptions``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

Channel = Literal["sms", "voice"]

# What a code is for; the same names as the emulator's outbox ``purpose``.
Purpose = Literal["generic", "login", "verify_phone", "reset_password", "change_phone"]
PURPOSES: tuple[Purpose, ...] = (
    "generic",
    "login",
    "verify_phone",
    "reset_password",
    "change_phone",
)


@dataclass(frozen=True)
class SmsMessage:
    """One text (or call) to send.

    ``code`` is set for verification codes, ``template`` and ``variables`` for a site's
    allowlisted template messages; ``text`` is the rendered message for gateways that send
    free text (console, file, Twilio). ``code`` is a secret: it is left out of ``repr``.
    """

    phone: str  # E.164
    purpose: Purpose
    text: str = field(repr=False)
    code: str | None = field(default=None, repr=False)
    template: str | None = None
    variables: Mapping[str, str] = field(default_factory=dict, repr=False)
    channel: Channel = "sms"
    ttl_minutes: int = 10
    # When the provider handed it over (seconds since the epoch), for outboxes and logs.
    created_at: float = field(default_factory=time.time)


@runtime_checkable
class SmsGateway(Protocol):
    """Sends messages; raises ``SmsNotDelivered``, ``SendThrottled``, ``InvalidPhoneNumber``,
    ``ProviderUnavailable`` or ``ProviderTimeout`` when it cannot."""

    supports_voice: bool

    def send(self, message: SmsMessage) -> None:
        """Send one message (or place one call when ``message.channel == "voice"``)."""


def gateway_options(options: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``SMS_GATEWAY_OPTIONS`` (never logged: it holds credentials)."""
    return dict(options or {})
