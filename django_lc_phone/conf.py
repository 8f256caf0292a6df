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
    # A token sign-in moves the user's last_login only when it is at least this many seconds
    # old (0: every time, as Django's own login() does).
    "LAST_LOGIN_PRECISION": 300,
    # SMS templates clients may name in sms-code/ (LeanCloud template names).
    "SMS_TEMPLATES": (),
    "SMS_SIGN": None,
    # Allow clients to ask for voice codes in sms-code/ (calls are the toll-fraud channel).
    "ALLOW_VOICE": False,
    # Sign requestSmsCode / verifySmsCode with the master key (generic SMS closed to clients).
    "SMS_USE_MASTER_KEY": False,
    # Keep the LeanCloud session token server-side (needed for phone change).
    "STORE_SESSION_TOKEN": True,
    "CAPTURE_PASSWORDS": True,
    # --- the local provider (PROVIDER = "local"; docs/providers.md) ---
    # Dotted path of the SMS gateway class, and the keyword arguments it is built with.
    "SMS_GATEWAY": "django_lc_phone.sms.console.ConsoleGateway",
    "SMS_GATEWAY_OPTIONS": {},
    # Minutes a code stays valid.
    "CODE_TTL_MINUTES": 10,
    # Dotted path of the CAPTCHA verifier class (captcha/ and captcha/verify/).
    "CAPTCHA_VERIFIER": "django_lc_phone.providers.local.captcha.ImageCaptcha",
    # The keyword arguments it is built with: a vendor's keys, thresholds, timeouts.
    "CAPTCHA_VERIFIER_OPTIONS": {},
    # --- store-review numbers and the phone-change notice (docs/security.md) ---
    # {"+8613800000000": {"code": "123456", "expires": "2027-06-30"}}: no SMS, a fixed code.
    "TEST_NUMBERS": {},
    # SMS the old number when a user's number changes; None: on with the local provider only.
    "PHONE_CHANGE_NOTICE": None,
    # Its template: a LeanCloud template name, or a key of the local gateway's templates...
    "PHONE_CHANGE_NOTICE_TEMPLATE": "phone_change_notice",
    # ...and its text for gateways that send text; None: the translated default.
    "PHONE_CHANGE_NOTICE_TEXT": None,
    # The site's name in that notice ("" leaves it out).
    "SITE_NAME": "",
    # --- abuse resistance (docs/security.md); None switches a limit off ---
    # Largest request body the API reads, in bytes (the largest valid one is about 3 KB).
    "MAX_BODY_BYTES": 16 * 1024,
    # Countries (ISO 3166 codes) whose numbers may receive codes. None: DEFAULT_REGION alone;
    # "*": every country (not recommended: SMS pumping).
    "ALLOWED_REGIONS": None,
    # phonenumbers.PhoneNumberType names that may receive codes (numbers that take an SMS)...
    "CODE_NUMBER_TYPES": ("MOBILE", "FIXED_LINE_OR_MOBILE"),
    # ...and those that never do, whatever CODE_NUMBER_TYPES says.
    "BLOCKED_NUMBER_TYPES": (
        "PREMIUM_RATE",
        "SHARED_COST",
        "TOLL_FREE",
        "UAN",
        "VOICEMAIL",
        "PAGER",
        "UNKNOWN",
    ),
    # How many proxies in front of the site append to X-Forwarded-For (0: use REMOTE_ADDR).
    "TRUSTED_PROXIES": 0,
    # IPv6 clients are counted per network of this prefix length (one /64 is one client).
    "IPV6_PREFIX": 64,
    # Seconds before a number may receive another code.
    "SMS_RESEND_COOLDOWN": 60,
    # A back-off instead: the waits after a number's 1st, 2nd, ... code of the day, the last
    # repeating, e.g. [60, 120, 300] (replaces SMS_RESEND_COOLDOWN; a verified code restarts
    # it). None: the flat SMS_RESEND_COOLDOWN.
    "SMS_RESEND_BACKOFF": None,
    "SMS_PER_PHONE_HOUR": 5,
    "SMS_PER_PHONE_DAY": 10,
    "SMS_PER_IP_MINUTE": 5,
    "SMS_PER_IP_HOUR": 20,
    # Per number prefix (the number without its last 4 digits): runs of adjacent numbers.
    "SMS_PER_PREFIX_HOUR": 10,
    # The pumping guard: once a prefix (the number without its last PUMPING_PREFIX_DROP_DIGITS
    # digits) had PUMPING_MIN_SENDS code sends this hour and the last and fewer than
    # PUMPING_MIN_VERIFIED_RATIO of them were verified, its code requests need a CAPTCHA.
    "PUMPING_MIN_SENDS": 20,
    "PUMPING_MIN_VERIFIED_RATIO": 0.2,
    "PUMPING_PREFIX_DROP_DIGITS": 6,
    # Site-wide spending caps; when spent, code requests answer 503 sms_budget_exhausted.
    "SMS_BUDGET_HOUR": 200,
    "SMS_BUDGET_DAY": 1000,
    # Failed code checks per number within CODE_ATTEMPTS_WINDOW seconds.
    "CODE_ATTEMPTS": 5,
    "CODE_ATTEMPTS_WINDOW": 600,
    # Failed password logins per number within PASSWORD_ATTEMPTS_WINDOW seconds (LeanCloud
    # locks an account after 6 failures in 15 minutes: stay below it).
    "PASSWORD_ATTEMPTS": 5,
    "PASSWORD_ATTEMPTS_WINDOW": 900,
    # Failed code or password attempts per client IP per minute.
    "ATTEMPTS_PER_IP_MINUTE": 10,
    # Failed attempts on one number from every client before all are refused (NIST SP
    # 800-63B-4: at most 100 consecutive failures); a sign-in resets it, else it is forgotten
    # after FAILURES_PER_NUMBER_WINDOW seconds.
    "FAILURES_PER_NUMBER": 100,
    "FAILURES_PER_NUMBER_WINDOW": 86400,
    # Failures on one number (from every client, within its attempt window) after which its
    # attempts need a solved CAPTCHA: a number under attack steps up instead of locking.
    "CAPTCHA_AFTER_FAILURES": 5,
    # CAPTCHA answers per client IP per minute.
    "CAPTCHA_ATTEMPTS_PER_IP_MINUTE": 10,
    # Username and email changes per user per hour (compat PUT users/<id>).
    "RENAMES_PER_HOUR": 5,
    # Require a solved CAPTCHA (validate_token) with every code request...
    "CAPTCHA_REQUIRED": False,
    # ...or once an IP has asked for this many codes within an hour.
    "CAPTCHA_AFTER_SENDS_PER_IP": None,
    # Circuit breaker shared by all workers: open after this many consecutive upstream
    # failures, let one probe through after CIRCUIT_RESET_TIMEOUT seconds.
    "CIRCUIT_FAILURES": 5,
    "CIRCUIT_RESET_TIMEOUT": 60,
    # The alias (a key of CACHES) of the cache that holds the limits and the breaker: shared
    # by every worker and never evicting (docs/security.md). CACHE_ALIAS is its old name.
    "CACHE": "default",
    "CACHE_ALIAS": None,
    # Seconds an X-LC-Sign timestamp may be off the site's clock, either way (compat).
    "SIGN_MAX_AGE": 900,
    # Serve compat's username + password sign-up (POST /1.1/users without smsCode); off: 119.
    "COMPAT_USERNAME_SIGNUP": False,
    # Account-dependent code sends (login, reset, phone change, compat verification) run
    # outside the request, so no answer or timing tells who has an account...
    "SEND_IN_BACKGROUND": True,
    # ...through this backend of Django's tasks framework (TASKS) when it queues them, else
    # on a thread of the web process.
    "TASK_BACKEND": "default",
    # Dotted path of a callable returning the time in seconds, for the limits and the
    # breaker; None is time.time. Tests, and a development site whose emulator clock can be
    # moved, point it at their own clock.
    "CLOCK": None,
}

# The rate limits (each a count, or None for off): what a test sets to None to measure
# behaviour rather than throttling.
RATE_LIMIT_KEYS: Final = (
    "SMS_RESEND_COOLDOWN",
    "SMS_RESEND_BACKOFF",
    "SMS_PER_PHONE_HOUR",
    "SMS_PER_PHONE_DAY",
    "SMS_PER_IP_MINUTE",
    "SMS_PER_IP_HOUR",
    "SMS_PER_PREFIX_HOUR",
    "PUMPING_MIN_SENDS",
    "SMS_BUDGET_HOUR",
    "SMS_BUDGET_DAY",
    "CODE_ATTEMPTS",
    "PASSWORD_ATTEMPTS",
    "ATTEMPTS_PER_IP_MINUTE",
    "FAILURES_PER_NUMBER",
    "CAPTCHA_AFTER_FAILURES",
    "CAPTCHA_ATTEMPTS_PER_IP_MINUTE",
    "RENAMES_PER_HOUR",
)


# Keys that were renamed, old name to new: the old one is read while the new one is not set.
RENAMED: Final = {"CACHE_ALIAS": "CACHE"}


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
    LAST_LOGIN_PRECISION: int
    SMS_TEMPLATES: tuple[str, ...]
    SMS_SIGN: str | None
    ALLOW_VOICE: bool
    SMS_USE_MASTER_KEY: bool
    STORE_SESSION_TOKEN: bool
    CAPTURE_PASSWORDS: bool
    SMS_GATEWAY: str
    SMS_GATEWAY_OPTIONS: dict[str, Any] = field(repr=False)
    CODE_TTL_MINUTES: int
    CAPTCHA_VERIFIER: str
    CAPTCHA_VERIFIER_OPTIONS: dict[str, Any] = field(repr=False)
    TEST_NUMBERS: dict[str, Any] = field(repr=False)
    PHONE_CHANGE_NOTICE: bool | None
    PHONE_CHANGE_NOTICE_TEMPLATE: str
    PHONE_CHANGE_NOTICE_TEXT: str | None
    SITE_NAME: str
    MAX_BODY_BYTES: int
    ALLOWED_REGIONS: tuple[str, ...] | None
    CODE_NUMBER_TYPES: tuple[str, ...]
    BLOCKED_NUMBER_TYPES: tuple[str, ...]
    TRUSTED_PROXIES: int
    IPV6_PREFIX: int
    SMS_RESEND_COOLDOWN: int | None
    SMS_RESEND_BACKOFF: tuple[int, ...] | None
    SMS_PER_PHONE_HOUR: int | None
    SMS_PER_PHONE_DAY: int | None
    SMS_PER_IP_MINUTE: int | None
    SMS_PER_IP_HOUR: int | None
    SMS_PER_PREFIX_HOUR: int | None
    PUMPING_MIN_SENDS: int | None
    PUMPING_MIN_VERIFIED_RATIO: float
    PUMPING_PREFIX_DROP_DIGITS: int
    SMS_BUDGET_HOUR: int | None
    SMS_BUDGET_DAY: int | None
    CODE_ATTEMPTS: int | None
    CODE_ATTEMPTS_WINDOW: int
    PASSWORD_ATTEMPTS: int | None
    PASSWORD_ATTEMPTS_WINDOW: int
    ATTEMPTS_PER_IP_MINUTE: int | None
    FAILURES_PER_NUMBER: int | None
    FAILURES_PER_NUMBER_WINDOW: int
    CAPTCHA_AFTER_FAILURES: int | None
    CAPTCHA_ATTEMPTS_PER_IP_MINUTE: int | None
    RENAMES_PER_HOUR: int | None
    CAPTCHA_REQUIRED: bool
    CAPTCHA_AFTER_SENDS_PER_IP: int | None
    CIRCUIT_FAILURES: int | None
    CIRCUIT_RESET_TIMEOUT: int
    CACHE: str
    CLOCK: str | None
    SIGN_MAX_AGE: int | None
    COMPAT_USERNAME_SIGNUP: bool
    SEND_IN_BACKGROUND: bool
    TASK_BACKEND: str


def user_settings() -> dict[str, Any]:
    """``settings.LC_PHONE`` as given (an empty dict when unset, or when not a dict: check
    ``lc_phone.E011`` reports that)."""
    value = getattr(settings, SETTING_NAME, None) or {}
    return dict(value) if isinstance(value, dict) else {}


def unknown_keys() -> list[str]:
    """Keys of ``LC_PHONE`` that are not settings (typos the checks warn about)."""
    return sorted(str(key) for key in set(user_settings()) - set(DEFAULTS))


@functools.cache
def get_settings() -> LcPhoneSettings:
    """The effective settings; cached until ``LC_PHONE`` changes.

    Values of the documented shapes are normalized (a lone template name is one template,
    region codes are upper-cased); any other value is kept as given, never refused here: the
    system checks read these settings to report it (``lc_phone.E011``).
    """
    given = user_settings()
    merged = {**DEFAULTS, **{k: v for k, v in given.items() if k in DEFAULTS}}
    merged["SMS_TEMPLATES"] = _names(merged["SMS_TEMPLATES"])
    merged["ALLOWED_REGIONS"] = _regions(merged["ALLOWED_REGIONS"], merged["DEFAULT_REGION"])
    merged["BLOCKED_NUMBER_TYPES"] = _names(merged["BLOCKED_NUMBER_TYPES"])
    merged["CODE_NUMBER_TYPES"] = _names(merged["CODE_NUMBER_TYPES"])
    if isinstance(merged["SMS_RESEND_BACKOFF"], list):
        merged["SMS_RESEND_BACKOFF"] = tuple(merged["SMS_RESEND_BACKOFF"])
    for key in RENAMED.values():
        merged[key] = merged[given_as(key)]  # an old name is still honoured
    names = {f.name for f in fields(LcPhoneSettings)}
    return LcPhoneSettings(**{k: v for k, v in merged.items() if k in names})


def given_as(key: str) -> str:
    """The key of ``LC_PHONE`` that sets ``key``: its old name while only that one is set."""
    given = user_settings()
    for old, new in RENAMED.items():
        if new == key and new not in given and given.get(old) is not None:
            return old
    return key


# What a list of names may come as (order matters to none of them).
COLLECTIONS: Final = (list, tuple, set, frozenset)


def _names(value: Any) -> Any:
    """A tuple of names; a lone name is one name, not a tuple of its characters."""
    if not value:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, COLLECTIONS) else value


def _regions(value: Any, default_region: Any) -> Any:
    """Upper-case region codes; None means every region ("*")."""
    if value == "*" or value == ("*",) or value == ["*"]:
        return None
    if value is None:
        given = isinstance(default_region, str) and default_region
        return (default_region.upper(),) if given else ()
    values = _names(value)
    if not isinstance(values, tuple):
        return values
    return tuple(region.upper() if isinstance(region, str) else region for region in values)


# Settings whose change (``override_settings`` in tests) invalidates what was built from them:
# this module's cache, and the provider and gateway, which reset themselves on the same signal.
RELOAD_ON: Final = (SETTING_NAME, "CACHES", "AUTHENTICATION_BACKENDS")


@receiver(setting_changed)
def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in RELOAD_ON:
        get_settings.cache_clear()
