"""What each ``LC_PHONE`` value may be: one rule per key, and the values that break theirs.

A rule knows a value's shape (its type, its range, the regions phonenumbers supports, what
kind of object a dotted path must name) and says in words what it expects; system check
``lc_phone.E011`` reports every value that breaks its rule. What needs more than the value
(is the alias in CACHES, does the provider's path import, are the number types' names real)
stays a check of its own in ``checks.py``, which skips a key this module already reports.
"""

from __future__ import annotations

import math
import reprlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Final
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.utils.module_loading import import_string

from ..conf import COLLECTIONS, SETTING_NAME, LcPhoneSettings, user_settings
from ..providers import _BUILTIN
from ..providers.base import PhoneAuthProvider


@dataclass(frozen=True)
class Rule:
    """What a key takes: ``expected`` in words (the check message says it), ``accepts`` in code."""

    expected: str
    accepts: Callable[[Any], bool]


@dataclass(frozen=True)
class Problem:
    """A value that breaks its rule: the setting, how the message shows the value, the rule."""

    setting: str
    value: str
    expected: str


# Keys whose values are secrets (left out of the settings' repr): a message names their type.
SECRET_KEYS: Final = frozenset(f.name for f in fields(LcPhoneSettings) if not f.repr)
_REPR: Final = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60


def imported(path: str) -> object | None:
    """What the dotted ``path`` names, or None when it does not import, whatever the reason
    (a module that fails to import is as unusable as a missing one)."""
    try:
        target: object = import_string(path)
    except Exception:
        return None
    return target


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)  # True is not a count


def _ints(minimum: int, maximum: int | None = None, *, off: bool = False) -> Rule:
    """An int in ``[minimum, maximum]``; with ``off``, or None (the limit is off)."""
    between = f"from {minimum} to {maximum}" if maximum is not None else f">= {minimum}"
    expected = f"an int {between}"

    def accepts(value: Any) -> bool:
        if value is None:
            return off
        return _is_int(value) and value >= minimum and (maximum is None or value <= maximum)

    return Rule(expected + (", or None (off)" if off else ""), accepts)


def _seconds(value: Any) -> bool:
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return number and math.isfinite(value) and value > 0


def _text(*, none: bool = False) -> Rule:
    return Rule(
        "a str, or None" if none else "a str",
        lambda value: isinstance(value, str) or (none and value is None),
    )


def _is_names(value: Any, *, empty: bool = True) -> bool:
    """A name (str), or a list, tuple or set of them (``empty``: possibly none)."""
    if isinstance(value, str):
        return bool(value)
    if not isinstance(value, COLLECTIONS) or not (empty or value):
        return False
    return all(isinstance(item, str) for item in value)


def _region(value: Any) -> bool:
    return isinstance(value, str) and value.upper() in phonenumbers.SUPPORTED_REGIONS


def _allowed_regions(value: Any) -> bool:
    if value is None or value == "*" or _region(value):
        return True
    if isinstance(value, (list, tuple)) and list(value) == ["*"]:
        return True
    return isinstance(value, COLLECTIONS) and all(_region(item) for item in value)


def _server_url(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if value == "":
        return True  # unset: check lc_phone.E001 says whether the provider needs it
    try:
        parts = urlsplit(value)
        _ = parts.port  # raises ValueError for a port that is not a number
    except ValueError:
        return False
    return (
        parts.scheme.lower() in ("http", "https")
        and bool(parts.hostname)
        and not parts.query
        and not parts.fragment
        # The client appends /1.1/<path> itself.
        and not parts.path.rstrip("/").endswith("/1.1")
    )


def _provider(value: Any) -> bool:
    """A built-in name, or the path of a PhoneAuthProvider class (a path that does not import
    is check lc_phone.E002's to report)."""
    if not isinstance(value, str):
        return False
    if value in _BUILTIN:
        return True
    target = imported(value)
    return target is None or (isinstance(target, type) and issubclass(target, PhoneAuthProvider))


def _class_with(*methods: str) -> Callable[[Any], bool]:
    """The path of a class with ``methods`` (one that does not import is check lc_phone.E009's
    to report, with the local provider: nothing else builds it)."""

    def accepts(value: Any) -> bool:
        if not isinstance(value, str):
            return False
        target = imported(value)
        if target is None:
            return True
        return isinstance(target, type) and all(callable(getattr(target, m, None)) for m in methods)

    return accepts


def _callable_or_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and callable(imported(value)))


def _notice_text(value: Any) -> bool:
    if value is None:
        return True
    try:
        return isinstance(value, str) and bool(value % {"site": "", "phone": ""})
    except (KeyError, ValueError, TypeError):
        return False


def _options(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(key, str) for key in value)


def _backoff(value: Any) -> bool:
    """None, or a non-empty list of waits of 1 s to a day (a back-off counts per day)."""
    if value is None:
        return True
    waits = isinstance(value, (list, tuple)) and bool(value)
    return waits and all(_is_int(wait) and 1 <= wait <= 86400 for wait in value)


def _ratio(value: Any) -> bool:
    return _seconds(value) and value <= 1  # a positive, finite share, at most all


_FLAG: Final = Rule("True or False", lambda value: isinstance(value, bool))
_COUNT: Final = _ints(1, off=True)
_POSITIVE: Final = _ints(1)
_NATURAL: Final = _ints(0)
_TIMEOUT: Final = Rule("a positive, finite number of seconds", _seconds)
_NUMBER_TYPES: Final = "phonenumbers.PhoneNumberType names, e.g. ['MOBILE']"
_DOTTED_CALLABLE: Final = Rule("None, or the dotted path of a callable", _callable_or_none)

# One rule per key of conf.DEFAULTS (tests/checks/test_checks_values.py holds them to it).
RULES: Final[Mapping[str, Rule]] = {
    "APP_ID": _text(),
    "APP_KEY": _text(),
    "MASTER_KEY": _text(),
    "SERVER_URL": Rule(
        "'' or an http(s) URL with a host and no /1.1 suffix, query or fragment, "
        "e.g. 'https://api.example.com'",
        _server_url,
    ),
    "PROVIDER": Rule(
        "'leancloud', 'local' or the dotted path of a class implementing "
        "django_lc_phone.providers.base.PhoneAuthProvider",
        _provider,
    ),
    "DEFAULT_REGION": Rule(
        "None, or a region code phonenumbers supports, in capitals, e.g. 'CN'",
        lambda value: value is None or (_region(value) and value == value.upper()),
    ),
    "CONNECT_TIMEOUT": _TIMEOUT,
    "READ_TIMEOUT": _TIMEOUT,
    "MAX_CONNECT_RETRIES": _NATURAL,
    "POOL_MAXSIZE": _POSITIVE,
    "HTTP_SESSION_FACTORY": _DOTTED_CALLABLE,
    "TOKEN_ISSUER": _text(),
    "LAST_LOGIN_PRECISION": _NATURAL,
    "SMS_TEMPLATES": Rule("a template name (str), or a list of them", _is_names),
    "SMS_SIGN": _text(none=True),
    "ALLOW_VOICE": _FLAG,
    "SMS_USE_MASTER_KEY": _FLAG,
    "STORE_SESSION_TOKEN": _FLAG,
    "CAPTURE_PASSWORDS": _FLAG,
    "SMS_GATEWAY": Rule(
        "the dotted path of an SMS gateway class (with send())", _class_with("send")
    ),
    "SMS_GATEWAY_OPTIONS": Rule("a dict of keyword arguments (str keys)", _options),
    "CODE_TTL_MINUTES": _POSITIVE,
    "CAPTCHA_VERIFIER": Rule(
        "the dotted path of a CAPTCHA verifier class (with challenge() and verify())",
        _class_with("challenge", "verify"),
    ),
    "CAPTCHA_VERIFIER_OPTIONS": Rule("a dict of keyword arguments (str keys)", _options),
    "TEST_NUMBERS": Rule(
        # Each entry's own problems are check lc_phone.E032's to report.
        "a dict of E.164 numbers to {'code': ..., 'expires': ...}",
        lambda value: isinstance(value, Mapping),
    ),
    "PHONE_CHANGE_NOTICE": Rule(
        "None (on with the local provider only), True or False",
        lambda value: value is None or isinstance(value, bool),
    ),
    "PHONE_CHANGE_NOTICE_TEMPLATE": Rule(
        "a template name (a non-empty str)", lambda value: isinstance(value, str) and bool(value)
    ),
    "PHONE_CHANGE_NOTICE_TEXT": Rule(
        "None, or a text with only %(site)s and %(phone)s in it", _notice_text
    ),
    "SITE_NAME": _text(),
    "MAX_BODY_BYTES": _POSITIVE,
    "ALLOWED_REGIONS": Rule(
        "None, '*', or a list of region codes phonenumbers supports, e.g. ['CN']",
        _allowed_regions,
    ),
    "CODE_NUMBER_TYPES": Rule(
        f"one or a non-empty list of {_NUMBER_TYPES}",
        lambda value: _is_names(value, empty=False),
    ),
    "BLOCKED_NUMBER_TYPES": Rule(f"one or a list of {_NUMBER_TYPES}", _is_names),
    "TRUSTED_PROXIES": _NATURAL,
    "IPV6_PREFIX": _ints(32, 128),
    "SMS_RESEND_COOLDOWN": _COUNT,
    "SMS_RESEND_BACKOFF": Rule(
        "None, or a non-empty list of ints from 1 to 86400 (seconds), e.g. [60, 120, 300]",
        _backoff,
    ),
    "SMS_PER_PHONE_HOUR": _COUNT,
    "SMS_PER_PHONE_DAY": _COUNT,
    "SMS_PER_IP_MINUTE": _COUNT,
    "SMS_PER_IP_HOUR": _COUNT,
    "SMS_PER_PREFIX_HOUR": _COUNT,
    "PUMPING_MIN_SENDS": _COUNT,
    "PUMPING_MIN_VERIFIED_RATIO": Rule("a number above 0 and at most 1, e.g. 0.2", _ratio),
    # At least 4: a logged prefix never shows more of a number than mask_phone does.
    "PUMPING_PREFIX_DROP_DIGITS": _ints(4, 12),
    "SMS_BUDGET_HOUR": _COUNT,
    "SMS_BUDGET_DAY": _COUNT,
    "CODE_ATTEMPTS": _COUNT,
    "CODE_ATTEMPTS_WINDOW": _POSITIVE,
    "PASSWORD_ATTEMPTS": _COUNT,
    "PASSWORD_ATTEMPTS_WINDOW": _POSITIVE,
    "ATTEMPTS_PER_IP_MINUTE": _COUNT,
    "FAILURES_PER_NUMBER": _COUNT,
    "FAILURES_PER_NUMBER_WINDOW": _POSITIVE,
    "CAPTCHA_AFTER_FAILURES": _COUNT,
    "CAPTCHA_ATTEMPTS_PER_IP_MINUTE": _COUNT,
    "RENAMES_PER_HOUR": _COUNT,
    "CAPTCHA_REQUIRED": _FLAG,
    "CAPTCHA_AFTER_SENDS_PER_IP": _COUNT,
    "CIRCUIT_FAILURES": _COUNT,
    "CIRCUIT_RESET_TIMEOUT": _POSITIVE,
    "CACHE": _text(),
    "CACHE_ALIAS": _text(none=True),
    "SIGN_MAX_AGE": _COUNT,
    "COMPAT_USERNAME_SIGNUP": _FLAG,
    "SEND_IN_BACKGROUND": _FLAG,
    "TASK_BACKEND": _text(),
    "CLOCK": _DOTTED_CALLABLE,
}


def _shown(key: str | None, value: Any) -> str:
    """The value as a message shows it: a secret (or all of LC_PHONE) by its type only."""
    if key is None or key in SECRET_KEYS:
        return f"a value of type {type(value).__name__}"
    try:
        return _REPR.repr(value)
    except Exception:  # a repr that fails is no reason for a check to fail
        return f"a value of type {type(value).__name__}"


def _refuses(rule: Rule, value: Any) -> bool:
    try:
        return not rule.accepts(value)
    except Exception:  # a value that breaks the rule itself (an odd __eq__) breaks the app too
        return True


def _broken() -> dict[str, Any]:
    """The keys of ``LC_PHONE`` whose values break their rules, with those values."""
    return {
        key: value
        for key, value in user_settings().items()
        if key in RULES and _refuses(RULES[key], value)
    }


def problems() -> list[Problem]:
    """Every value of ``LC_PHONE`` that breaks its rule, and ``LC_PHONE`` itself if not a dict."""
    given = getattr(settings, SETTING_NAME, {})
    if not isinstance(given, dict):
        return [Problem(SETTING_NAME, _shown(None, given), "a dict")]
    return [
        Problem(f"{SETTING_NAME}[{key!r}]", _shown(key, value), RULES[key].expected)
        for key, value in _broken().items()
    ]


def invalid_keys() -> frozenset[str]:
    """The keys whose values break their rules: the checks that read them skip them."""
    return frozenset(_broken())
