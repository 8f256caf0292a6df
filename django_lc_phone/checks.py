"""System checks for ``LC_PHONE``, as data: each check has an id, a message and a hint."""

from __future__ import annotations

from typing import Any, Final

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.cache import caches
from django.utils.module_loading import import_string

from .conf import get_settings, unknown_keys

BACKENDS: Final = (
    "django_lc_phone.backends.PhoneCodeBackend",
    "django_lc_phone.backends.PhonePasswordBackend",
)
_PER_PROCESS_CACHES: Final = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)


class Messages:
    """Check messages, by id."""

    E001 = "LC_PHONE is missing {keys} for the LeanCloud provider."
    E002 = "LC_PHONE['PROVIDER'] {provider!r} cannot be imported."
    E003 = "LC_PHONE['TOKEN_ISSUER'] is 'authtoken' but rest_framework.authtoken is not installed."
    W001 = "LC_PHONE has unknown keys: {keys}."
    W002 = "No django_lc_phone backend is in AUTHENTICATION_BACKENDS."
    W003 = "LC_PHONE['SERVER_URL'] is not https while DEBUG is off."
    W004 = "The default cache is per-process ({backend}); limits are not shared between workers."


class Hints:
    """Check hints, by id."""

    E001 = "Set APP_ID, APP_KEY and SERVER_URL (your app's bound API domain)."
    E002 = "Use 'leancloud' or the dotted path of a PhoneAuthProvider class."
    E003 = "Add 'rest_framework.authtoken' to INSTALLED_APPS or choose another TOKEN_ISSUER."
    W001 = "Check the spelling against docs/settings.md."
    W002 = f"Add {BACKENDS[0]!r} and/or {BACKENDS[1]!r}."
    W003 = "LeanCloud credentials and session tokens must not travel in clear text."
    W004 = "Use a shared cache such as Redis or Memcached in production."


@checks.register(checks.Tags.security, deploy=False)
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Every ``lc_phone.*`` check."""
    conf = get_settings()
    found: list[checks.CheckMessage] = []
    if conf.PROVIDER == "leancloud":
        missing = [k for k in ("APP_ID", "APP_KEY", "SERVER_URL") if not getattr(conf, k)]
        if missing:
            found.append(_error("E001", keys=", ".join(missing)))
        elif not conf.SERVER_URL.startswith("https://") and not settings.DEBUG:
            found.append(_warning("W003"))
    else:
        try:
            import_string(conf.PROVIDER)
        except ImportError:
            found.append(_error("E002", provider=conf.PROVIDER))
    uses_authtoken = conf.TOKEN_ISSUER == "authtoken"  # noqa: S105 - an issuer name
    if uses_authtoken and not apps.is_installed("rest_framework.authtoken"):
        found.append(_error("E003"))
    if unknown_keys():
        found.append(_warning("W001", keys=", ".join(unknown_keys())))
    if not set(BACKENDS) & set(settings.AUTHENTICATION_BACKENDS):
        found.append(_warning("W002"))
    backend = caches["default"].__class__.__module__ + "." + caches["default"].__class__.__name__
    if backend in _PER_PROCESS_CACHES and not settings.DEBUG:
        found.append(_warning("W004", backend=backend))
    return found


def _error(check_id: str, **values: Any) -> checks.Error:
    return checks.Error(
        getattr(Messages, check_id).format(**values),
        hint=getattr(Hints, check_id),
        id=f"lc_phone.{check_id}",
    )


def _warning(check_id: str, **values: Any) -> checks.Warning:
    return checks.Warning(
        getattr(Messages, check_id).format(**values),
        hint=getattr(Hints, check_id),
        id=f"lc_phone.{check_id}",
    )
