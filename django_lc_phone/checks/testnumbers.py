"""The checks of ``LC_PHONE["TEST_NUMBERS"]``: each entry well formed (E032), a master key to
sign a test number in with under LeanCloud (E033), and an expiry in production (W031). No
message shows a fixed code, nor a full number (``mask_phone``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from ..conf import get_settings
from ..providers.testnumbers import entries, parse
from ..redaction import mask_phone
from .base import AppConfigs, CheckResult, error, uses_leancloud, valid, warning


def _shown(number: Any) -> str:
    if isinstance(number, str):
        return repr(mask_phone(number))
    return f"of type {type(number).__name__}"


def check_test_numbers(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E032 for a malformed entry; W031 for one without ``expires`` while DEBUG is off."""
    if not valid("TEST_NUMBERS"):
        return []
    found: CheckResult = []
    for number, entry in entries().items():
        try:
            parsed = parse(number, entry)
        except ValueError as exc:
            found.append(error("E032", number=_shown(number), reason=exc))
            continue
        if parsed.expires is None and not settings.DEBUG:
            found.append(warning("W031", number=_shown(number)))
    return found


def check_test_numbers_master_key(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E033: test numbers under LeanCloud without the master key their sign-in needs."""
    if not valid("TEST_NUMBERS", "MASTER_KEY") or not entries() or not uses_leancloud():
        return []
    return [] if get_settings().MASTER_KEY else [error("E033")]
