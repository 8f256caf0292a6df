"""The ``LC_PHONE`` settings: one table of defaults, read when used, cached until they change.

``get_settings()`` merges ``settings.LC_PHONE`` over :data:`DEFAULTS` and caches the result; a
``setting_changed`` receiver clears the cache, so ``override_settings`` works with no reload.
Nothing reads settings at import time.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field, fields
from typing import Any, Final

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver

SETTING_NAME: Final = "LC_PHONE"

# Every key with its default; docs/settings.md explains each one.
DEFAULTS: Final[dict[str, Any]] = {
    "APP_ID": "",
    "APP_KEY": "",
    "MASTER_KEY": "",
    # Your app's bound API domain, e.g. "https://api.example.com" (no /1.1 suffix).
    "SERVER_URL": "",
    # "leancloud", or the dotted path of a class implementing providers.base.PhoneAuthProvider.
    "PROVIDER": "leancloud",
    # Region for numbers typed without a country code, e.g. "CN"; None requires "+<country>".
    "DEFAULT_REGION": None,
    "CONNECT_TIMEOUT": 3.05,
    "READ_TIMEOUT": 10.0,
    "MAX_CONNECT_RETRIES": 1,
    "POOL_MAXSIZE": 10,
    # Dotted path of a callable returning a requests.Session (tests, the in-process emulator).
    "HTTP_SESSION_FACTORY": None,
    # What signup/ and login/ hand back: "authtoken", "session", "simplejwt" or a dotted path.
    "TOKEN_ISSUER": "authtoken",
    # SMS templates clients may name in sms-code/ (LeanCloud template names).
    "SMS_TEMPLATES": (),
    "SMS_SIGN": None,
    # Allow clients to ask for voice codes in sms-code/.
    "ALLOW_VOICE": True,
    # Sign requestSmsCode / verifySmsCode with the master key (generic SMS closed to clients).
    "SMS_USE_MASTER_KEY": False,
    # Keep the LeanCloud session token server-side (needed for phone change).
    "STORE_SESSION_TOKEN": True,
}


@dataclass(frozen=True)
class LcPhoneSettings:
    """Typed view of ``LC_PHONE``; secrets are left out of ``repr``."""

    APP_ID: str
    APP_KEY: str = field(repr=False)
    MASTER_KEY: str = field(repr=False)
    SERVER_URL: str
    PROVIDER: str
    DEFAULT_REGION: str | None
    CONNECT_TIMEOUT: float
    READ_TIMEOUT: float
    MAX_CONNECT_RETRIES: int
    POOL_MAXSIZE: int
    HTTP_SESSION_FACTORY: str | None
    TOKEN_ISSUER: str
    SMS_TEMPLATES: tuple[str, ...]
    SMS_SIGN: str | None
    ALLOW_VOICE: bool
    SMS_USE_MASTER_KEY: bool
    STORE_SESSION_TOKEN: bool


def user_settings() -> dict[str, Any]:
    """``settings.LC_PHONE`` as given (an empty dict when unset)."""
    value = getattr(settings, SETTING_NAME, None) or {}
    return dict(value) if isinstance(value, dict) else {}


def unknown_keys() -> list[str]:
    """Keys of ``LC_PHONE`` that are not settings (typos the checks warn about)."""
    return sorted(set(user_settings()) - set(DEFAULTS))


@functools.cache
def get_settings() -> LcPhoneSettings:
    """The effective settings; cached until ``LC_PHONE`` changes."""
    merged = {**DEFAULTS, **{k: v for k, v in user_settings().items() if k in DEFAULTS}}
    templates = merged["SMS_TEMPLATES"] or ()
    # A lone name is one template, not a tuple of its characters.
    merged["SMS_TEMPLATES"] = (templates,) if isinstance(templates, str) else tuple(templates)
    names = {f.name for f in fields(LcPhoneSettings)}
    return LcPhoneSettings(**{k: v for k, v in merged.items() if k in names})


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in (SETTING_NAME, "CACHES", "AUTHENTICATION_BACKENDS"):
        get_settings.cache_clear()
        from . import services  # the provider is built from the settings

        services.reset_provider()
