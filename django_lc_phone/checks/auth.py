"""Checks of how users sign in: the token issuer is there (E003, E004), one of our backends is
enabled (W002), and no ModelBackend checks a phone user's password first (E020)."""

from __future__ import annotations

import importlib.util
from typing import Any

from django.apps import apps
from django.conf import settings
from django.utils.module_loading import import_string

from ..conf import get_settings
from .base import AppConfigs, CheckResult, error, valid, warning
from .messages import BACKENDS
from .values import imported


def check_token_issuer(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E003 / E004: the token issuer's app or package is there."""
    issuer = get_settings().TOKEN_ISSUER
    if not valid("TOKEN_ISSUER"):
        return []
    if issuer == "authtoken":
        return [] if apps.is_installed("rest_framework.authtoken") else [error("E003")]
    if issuer == "simplejwt":
        found = importlib.util.find_spec("rest_framework_simplejwt") is not None
        return [] if found else [error("E004", issuer=issuer)]
    if issuer == "session" or imported(issuer) is not None:
        return []
    return [error("E004", issuer=issuer)]


def check_backends(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W002: one of our authentication backends (or a subclass) is enabled."""
    from ..backends import PhoneCodeBackend, PhonePasswordBackend

    for path in settings.AUTHENTICATION_BACKENDS:
        if path in BACKENDS:
            return []
        try:
            backend = import_string(path)
        except ImportError:
            continue  # Django reports broken backend paths itself, at the first login
        if isinstance(backend, type) and issubclass(
            backend, (PhoneCodeBackend, PhonePasswordBackend)
        ):
            return []
    return [warning("W002")]


def check_backend_order(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E020: no ModelBackend checks a password before PhonePasswordBackend has spent its budget."""
    from django.contrib.auth.backends import ModelBackend

    from ..backends import PhonePasswordBackend

    for path in settings.AUTHENTICATION_BACKENDS:
        backend = imported(path)
        if not isinstance(backend, type):
            continue  # Django reports broken backend paths itself, at the first login
        if issubclass(backend, PhonePasswordBackend):
            return []
        if issubclass(backend, ModelBackend):
            return [error("E020", backend=path)]
    return []
