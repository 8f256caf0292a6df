"""System checks for ``LC_PHONE``: registers each one, in order, under the ``lc_phone`` tag.

The checks live by area (``keys``, ``providers``, ``auth``, ``limits``), their texts in
``messages``. Each is registered with the ``lc_phone`` tag (``manage.py check --tag
lc_phone``) and the standard tag it belongs to. A check never raises on bad settings: it
reports them. ``lc_phone.E011`` reports every value that breaks its key's rule
(``values.py``); the other checks skip such a key, so it is reported once.
"""

from __future__ import annotations

import functools
from typing import Any

from django.core import checks

from . import auth, keys, limits, providers, testnumbers
from .base import TAG, AppConfigs, Check, CheckResult, error
from .messages import BACKENDS, Hints, Messages

__all__ = ["BACKENDS", "TAG", "Hints", "Messages"]


def _register(check: Check, *tags: str) -> Check:
    """Register a check under the ``lc_phone`` tag and ``tags``. A check that crashes all the
    same reports E014, naming itself and the exception's type (never its text: it may hold a
    setting's value), so ``manage.py check`` still shows every other message."""

    @functools.wraps(check)
    def safe(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
        try:
            return check(app_configs, **kwargs)
        except Exception as exc:
            return [error("E014", check=check.__name__, error=type(exc).__name__)]

    checks.register(safe, TAG, *tags)
    return safe


check_values = _register(keys.check_values)
check_provider = _register(providers.check_provider)
check_local_provider = _register(providers.check_local_provider)
check_webhook_gateway = _register(providers.check_webhook_gateway, checks.Tags.security)
check_credentials = _register(providers.check_credentials)
check_compat_credentials = _register(providers.check_compat_credentials, checks.Tags.security)
check_master_key = _register(providers.check_master_key)
check_master_key_features = _register(providers.check_master_key_features)
check_token_issuer = _register(auth.check_token_issuer)
check_unknown_keys = _register(keys.check_unknown_keys)
check_renamed_keys = _register(keys.check_renamed_keys)
check_backends = _register(auth.check_backends, checks.Tags.security)
check_backend_order = _register(auth.check_backend_order, checks.Tags.security)
check_task_backend = _register(limits.check_task_backend)
check_server_url = _register(providers.check_server_url, checks.Tags.security)
check_cache = _register(limits.check_cache, checks.Tags.caches)
check_sms_destinations = _register(keys.check_sms_destinations)
check_test_numbers = _register(testnumbers.check_test_numbers)
check_test_numbers_master_key = _register(testnumbers.check_test_numbers_master_key)
