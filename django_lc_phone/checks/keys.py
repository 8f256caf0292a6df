"""Checks of ``LC_PHONE``'s keys themselves and the SMS destinations: each value is one its key
takes (E011), no unknown or renamed key (W001, W008), some country may receive codes and the
number types exist (E006, E007)."""

from __future__ import annotations

from typing import Any

import phonenumbers

from ..conf import RENAMED, get_settings, unknown_keys, user_settings
from .base import AppConfigs, CheckResult, error, valid, warning
from .values import problems


def check_values(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E011: LC_PHONE is a dict, and each of its values is one its key takes."""
    return [
        error("E011", setting=p.setting, value=p.value, expected=p.expected) for p in problems()
    ]


def check_unknown_keys(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W001: every key of ``LC_PHONE`` is a setting."""
    unknown = unknown_keys()
    return [warning("W001", keys=", ".join(unknown))] if unknown else []


def check_renamed_keys(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W008: no key goes by its old name."""
    given = user_settings()
    return [
        warning("W008", old=old, new=new)
        for old, new in RENAMED.items()
        if given.get(old) is not None
    ]


def check_sms_destinations(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E006: some country may receive codes; E007: the number types exist."""
    conf = get_settings()
    errors: CheckResult = []
    if valid("ALLOWED_REGIONS", "DEFAULT_REGION") and conf.ALLOWED_REGIONS == ():
        errors.append(error("E006"))
    for key in ("CODE_NUMBER_TYPES", "BLOCKED_NUMBER_TYPES"):
        names = getattr(conf, key) if valid(key) else ()
        unknown = [name for name in names if not _is_number_type(name)]
        if unknown:
            errors.append(error("E007", key=key, types=", ".join(unknown)))
    return errors


def _is_number_type(name: str) -> bool:
    return isinstance(getattr(phonenumbers.PhoneNumberType, name, None), int)
