"""Providers: the seam between the app and whoever really sends codes and owns credentials."""

from __future__ import annotations

from django.utils.module_loading import import_string

from ..conf import get_settings
from .base import PhoneAuthProvider

_BUILTIN = {
    "leancloud": "django_lc_phone.providers.leancloud.LeanCloudProvider",
    "local": "django_lc_phone.providers.local.LocalProvider",
}


def load_provider() -> PhoneAuthProvider:
    """A provider built from ``LC_PHONE["PROVIDER"]`` (a built-in name or a dotted path)."""
    name = get_settings().PROVIDER
    cls = import_string(_BUILTIN.get(name, name))
    provider: PhoneAuthProvider = cls.from_settings()
    return provider
