"""The SMS gateway in use: ``LC_PHONE["SMS_GATEWAY"]`` built with ``SMS_GATEWAY_OPTIONS``.

Chosen by dotted path, like Django's e-mail backends; one instance per settings, cached until
``reset_gateway()``, which runs whenever the settings change (``setting_changed``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, Final

from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.module_loading import import_string

from ..conf import RELOAD_ON, get_settings
from ._common import choose, choose_sign
from .base import PURPOSES, Channel, Purpose, SmsGateway, SmsMessage, gateway_options

__all__ = [
    "DEFAULT_GATEWAY",
    "PURPOSES",
    "Channel",
    "Purpose",
    "SmsGateway",
    "SmsMessage",
    "choose",
    "choose_sign",
    "get_gateway",
    "reset_gateway",
]

DEFAULT_GATEWAY: Final = "django_lc_phone.sms.console.ConsoleGateway"

_lock = threading.Lock()
_gateway: SmsGateway | None = None


def build_gateway(path: str, options: Mapping[str, Any] | None = None) -> SmsGateway:
    """Import the class at ``path`` and build it with ``options`` as keyword arguments.

    Errors name the path and the option names, never the option values (they hold keys).
    """
    try:
        cls = import_string(path)
    except ImportError as exc:
        raise ImproperlyConfigured(f"LC_PHONE['SMS_GATEWAY']: cannot import {path!r}") from exc
    try:
        gateway = cls(**gateway_options(options))
    except TypeError as exc:  # an unknown or missing option: the message names it
        raise ImproperlyConfigured(f"{path}: {exc}") from None
    if not isinstance(gateway, SmsGateway):
        raise ImproperlyConfigured(f"{path} is not an SMS gateway (send() and supports_voice)")
    return gateway


def get_gateway() -> SmsGateway:
    """The configured gateway, built on first use and shared by every thread."""
    global _gateway
    gateway = _gateway
    if gateway is not None:
        return gateway
    with _lock:
        if _gateway is None:
            settings = get_settings()
            path = settings.SMS_GATEWAY or DEFAULT_GATEWAY
            _gateway = build_gateway(path, settings.SMS_GATEWAY_OPTIONS)
        return _gateway


def reset_gateway() -> None:
    """Forget the cached gateway, so the next ``get_gateway()`` reads the settings again."""
    global _gateway
    with _lock:
        _gateway = None


@receiver(setting_changed, dispatch_uid="django_lc_phone.sms.reset_gateway")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in RELOAD_ON:
        reset_gateway()
