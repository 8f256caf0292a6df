"""System checks for ``LC_PHONE``, as data: each check has an id, a message and a hint.

One small function per check, each registered with the ``lc_phone`` tag (``manage.py check
--tag lc_phone``) and the standard tag it belongs to. A check never raises on bad settings: it
reports them. ``lc_phone.E011`` reports every value that breaks its key's rule
(``validation.py``); the other checks skip such a key, so it is reported once.
"""

from __future__ import annotations

import functools
import importlib.util
from collections.abc import Callable, Sequence
from typing import Any, Final
from urllib.parse import urlsplit

import phonenumbers
from django.apps import AppConfig, apps
from django.conf import settings
from django.core import checks
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.memcached import BaseMemcachedCache
from django.core.exceptions import ImproperlyConfigured
from django.urls import NoReverseMatch, reverse
from django.utils.module_loading import import_string

from ..compat import LOCAL_PROVIDERS
from ..conf import RENAMED, get_settings, given_as, unknown_keys, user_settings
from . import redis as redis_policy
from .values import imported, invalid_keys, problems

TAG: Final = "lc_phone"
BACKENDS: Final = (
    "django_lc_phone.backends.PhoneCodeBackend",
    "django_lc_phone.backends.PhonePasswordBackend",
)
# Cache backends that lose the limits (lockouts, cooldowns, budgets), and how (E012).
_LOSSY_CACHES: Final[tuple[tuple[type[BaseCache], str], ...]] = (
    (LocMemCache, "lives in one process and culls entries beyond MAX_ENTRIES"),
    (DummyCache, "stores nothing"),
    (BaseMemcachedCache, "evicts the least recently used keys when memcached is full"),
    (FileBasedCache, "culls entries beyond MAX_ENTRIES"),
    (DatabaseCache, "culls entries beyond MAX_ENTRIES"),
)
_CREDENTIALS: Final = ("APP_ID", "APP_KEY", "SERVER_URL")
_COMPAT_CREDENTIALS: Final = ("APP_ID", "APP_KEY")


class Messages:
    """Check messages, by id."""

    E001 = "LC_PHONE is missing {keys} for the LeanCloud provider."
    E002 = "LC_PHONE['PROVIDER'] {provider!r} cannot be imported."
    E003 = "LC_PHONE['TOKEN_ISSUER'] is 'authtoken' but rest_framework.authtoken is not installed."
    E004 = "LC_PHONE['TOKEN_ISSUER'] {issuer!r} cannot be imported."
    E005 = "LC_PHONE['SMS_USE_MASTER_KEY'] is on but LC_PHONE['MASTER_KEY'] is empty."
    W001 = "LC_PHONE has unknown keys: {keys}."
    W002 = "No django_lc_phone backend is in AUTHENTICATION_BACKENDS."
    W003 = "LC_PHONE['SERVER_URL'] is not https while DEBUG is off."
    E006 = "No country may receive codes: LC_PHONE['ALLOWED_REGIONS'] is empty."
    E007 = "LC_PHONE['{key}'] has unknown types: {types}."
    E008 = "LC_PHONE['{key}'] {alias!r} is not in CACHES."
    E009 = "LC_PHONE['{key}'] {path!r} cannot be imported."
    W005 = "The local provider's SMS gateway is {path!r} while DEBUG is off: no SMS reaches anyone."
    E010 = "The LeanCloud-compatible endpoints (lc_compat) are served but LC_PHONE has no {keys}."
    E011 = "{setting} is {value}: it must be {expected}."
    E012 = "The limits' cache {alias!r} ({backend}) {reason}: lockouts and cooldowns do not hold."
    E013 = (
        "The limits' cache {alias!r} is a Redis server whose maxmemory-policy is {policy!r}: "
        "at maxmemory it evicts keys, lockouts and cooldowns included. It must be "
        f"{redis_policy.NO_EVICTION!r}."
    )
    E014 = "The system check {check} crashed ({error})."
    W006 = (
        "Could not read the maxmemory-policy of the limits' cache {alias!r} (Redis: {error}); "
        f"it must be {redis_policy.NO_EVICTION!r}."
    )
    W007 = "Cannot tell whether the limits' cache {alias!r} ({backend}) evicts keys."
    W008 = "LC_PHONE['{old}'] is deprecated: it was renamed LC_PHONE['{new}']."
    E020 = (
        "AUTHENTICATION_BACKENDS lists {backend} before django_lc_phone's "
        "PhonePasswordBackend: the password of a phone-number username (a phone user's "
        "username is the number) is checked there with no attempt limit."
    )
    W020 = (
        "Code sends that leave the request run on a thread of the web process ({reason}): a "
        "send still queued when a process is killed is lost."
    )
    E021 = (
        "LC_PHONE['TASK_BACKEND'] {alias!r} is a DummyBackend: login, reset and phone-change "
        "codes are queued and never sent."
    )


class Hints:
    """Check hints, by id."""

    E001 = "Set APP_ID, APP_KEY and SERVER_URL (your app's bound API domain)."
    E002 = "Use 'leancloud' or the dotted path of a PhoneAuthProvider class."
    E003 = "Add 'rest_framework.authtoken' to INSTALLED_APPS or choose another TOKEN_ISSUER."
    E004 = (
        "Use 'authtoken', 'session', 'simplejwt' (with djangorestframework-simplejwt installed) "
        "or the dotted path of a TokenIssuer class."
    )
    E005 = "Set MASTER_KEY, or turn SMS_USE_MASTER_KEY off."
    W001 = "Check the spelling against docs/settings.md."
    W002 = f"Add {BACKENDS[0]!r} and/or {BACKENDS[1]!r}."
    W003 = "LeanCloud credentials and session tokens must not travel in clear text."
    E006 = (
        "Set ALLOWED_REGIONS (e.g. ['CN']) or DEFAULT_REGION; '*' allows every country, which "
        "invites SMS pumping."
    )
    E007 = "Use names of phonenumbers.PhoneNumberType, e.g. 'PREMIUM_RATE'."
    E008 = "Name one of the aliases in CACHES (a cache every worker shares)."
    E009 = (
        "Use the dotted path of a class; the real gateways need their extra, e.g. "
        "pip install 'django-lc-phone[aliyun]'."
    )
    W005 = "Configure a real gateway (aliyun, tencent, twilio) in SMS_GATEWAY for production."
    E010 = (
        "Set APP_ID and APP_KEY to the values your apps already ship; until then every call to "
        "the /1.1/ endpoints is refused (an empty app key would let anybody sign one)."
    )
    E011 = "docs/settings.md says what each key takes; the checks that read this key wait for it."
    E012 = (
        "Give LC_PHONE['CACHE'] a cache every worker shares and that never evicts: Redis with "
        "maxmemory-policy noeviction."
    )
    E013 = (
        f"Set maxmemory-policy {redis_policy.NO_EVICTION} on that server, or give the limits a "
        "Redis of their own: every limit key carries an expiry, so the volatile-* policies "
        "evict them too."
    )
    E014 = (
        "This is a bug in django-lc-phone: please report it. Calling "
        "django_lc_phone.checks.{check}() in manage.py shell shows the traceback."
    )
    W006 = (
        "Make sure the server is up and never evicts (maxmemory-policy noeviction, or maxmemory "
        "0): every limit key carries an expiry, so the volatile-* policies evict them too. "
        "Managed Redis services often disable CONFIG: look the policy up in their console."
    )
    W007 = (
        "Lockouts and cooldowns live in it: make sure every worker shares it and it never "
        "evicts, then add lc_phone.W007 to SILENCED_SYSTEM_CHECKS."
    )
    W008 = "Rename the key; the old name is read only while the new one is not set."
    E020 = (
        "List 'django_lc_phone.backends.PhonePasswordBackend' before it: it checks that password "
        "itself, as ModelBackend would, inside the attempt budget, and stops the chain once the "
        "budget is spent."
    )
    W020 = (
        "Configure TASKS with a backend that queues, run its worker (e.g. django-tasks-db) and "
        "name it in LC_PHONE['TASK_BACKEND']; or add lc_phone.W020 to SILENCED_SYSTEM_CHECKS."
    )
    E021 = "Name a backend that runs its tasks, or turn SEND_IN_BACKGROUND off."


CheckResult = list[checks.CheckMessage]
AppConfigs = Sequence[AppConfig] | None
Check = Callable[..., CheckResult]


def _register(*tags: str) -> Callable[[Check], Check]:
    """Register a check under the ``lc_phone`` tag and ``tags``. A check that crashes all the
    same reports E014, naming itself and the exception's type (never its text: it may hold a
    setting's value), so ``manage.py check`` still shows every other message."""

    def register(check: Check) -> Check:
        @functools.wraps(check)
        def safe(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
            try:
                return check(app_configs, **kwargs)
            except Exception as exc:
                return [_error("E014", check=check.__name__, error=type(exc).__name__)]

        checks.register(safe, TAG, *tags)
        return safe

    return register


def _valid(*keys: str) -> bool:
    """Whether every one of ``keys`` follows its rule (else E011 reports it, once)."""
    return not invalid_keys().intersection(keys)


def _uses_leancloud() -> bool | None:
    """Whether the provider is LeanCloud's (``None``: it is invalid or cannot be imported)."""
    from ..providers import _BUILTIN
    from ..providers.leancloud import LeanCloudProvider

    if not _valid("PROVIDER"):
        return None
    name = get_settings().PROVIDER
    provider = imported(_BUILTIN.get(name, name))
    if provider is None:
        return None
    return isinstance(provider, type) and issubclass(provider, LeanCloudProvider)


@_register()
def check_values(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E011: LC_PHONE is a dict, and each of its values is one its key takes."""
    return [
        _error("E011", setting=p.setting, value=p.value, expected=p.expected) for p in problems()
    ]


@_register()
def check_provider(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E002: the provider can be imported."""
    if _valid("PROVIDER") and _uses_leancloud() is None:
        return [_error("E002", provider=get_settings().PROVIDER)]
    return []


# Gateways that send nothing to a phone: fine in development, a silent outage in production.
_DEVELOPMENT_GATEWAYS: Final = (
    "console.ConsoleGateway",
    "locmem.LocmemGateway",
    "file.FileGateway",
)


@_register()
def check_local_provider(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E009: the local provider's gateway and CAPTCHA verifier import; W005: a real gateway
    when DEBUG is off."""
    conf = get_settings()
    if conf.PROVIDER != "local":
        return []
    messages: CheckResult = []
    for key in ("SMS_GATEWAY", "CAPTCHA_VERIFIER"):
        path = getattr(conf, key)
        if _valid(key) and imported(path) is None:
            messages.append(_error("E009", key=key, path=path))
    gateway = conf.SMS_GATEWAY
    if not settings.DEBUG and _valid("SMS_GATEWAY") and gateway.endswith(_DEVELOPMENT_GATEWAYS):
        messages.append(_warning("W005", path=gateway))
    return messages


@_register()
def check_credentials(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E001: LeanCloud's provider has an app id, app key and server URL."""
    conf = get_settings()
    missing = [key for key in _CREDENTIALS if _valid(key) and not getattr(conf, key)]
    if missing and _uses_leancloud():
        return [_error("E001", keys=", ".join(missing))]
    return []


def _compat_served() -> bool:
    """Whether the URLconf includes ``django_lc_phone.compat.urls`` (namespace ``lc_compat``)."""
    try:
        reverse("lc_compat:login")
    except (NoReverseMatch, ImportError, ImproperlyConfigured):
        # Not included; or a URLconf that does not load, which Django's own check reports.
        return False
    return True


@_register(checks.Tags.security)
def check_compat_credentials(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E010: the compat endpoints check every call against APP_ID and APP_KEY."""
    conf = get_settings()
    missing = [key for key in _COMPAT_CREDENTIALS if _valid(key) and not getattr(conf, key)]
    if missing and conf.PROVIDER in LOCAL_PROVIDERS and _compat_served():
        return [_error("E010", keys=" or ".join(missing))]
    return []


@_register()
def check_master_key(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E005: master-key SMS calls need the master key (else every send fails)."""
    conf = get_settings()
    if not _valid("SMS_USE_MASTER_KEY", "MASTER_KEY"):
        return []
    if conf.SMS_USE_MASTER_KEY and not conf.MASTER_KEY and _uses_leancloud():
        return [_error("E005")]
    return []


@_register()
def check_token_issuer(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E003 / E004: the token issuer's app or package is there."""
    issuer = get_settings().TOKEN_ISSUER
    if not _valid("TOKEN_ISSUER"):
        return []
    if issuer == "authtoken":
        return [] if apps.is_installed("rest_framework.authtoken") else [_error("E003")]
    if issuer == "simplejwt":
        found = importlib.util.find_spec("rest_framework_simplejwt") is not None
        return [] if found else [_error("E004", issuer=issuer)]
    if issuer == "session" or imported(issuer) is not None:
        return []
    return [_error("E004", issuer=issuer)]


@_register()
def check_unknown_keys(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W001: every key of ``LC_PHONE`` is a setting."""
    unknown = unknown_keys()
    return [_warning("W001", keys=", ".join(unknown))] if unknown else []


@_register()
def check_renamed_keys(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W008: no key goes by its old name."""
    given = user_settings()
    return [
        _warning("W008", old=old, new=new)
        for old, new in RENAMED.items()
        if given.get(old) is not None
    ]


@_register(checks.Tags.security)
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
    return [_warning("W002")]


@_register(checks.Tags.security)
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
            return [_error("E020", backend=path)]
    return []


@_register()
def check_task_backend(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W020: the sends that leave the request are queued, unless DEBUG is on; E021: by a
    backend that runs them."""
    from .. import deliveries

    conf = get_settings()
    if not _valid("SEND_IN_BACKGROUND", "TASK_BACKEND") or not conf.SEND_IN_BACKGROUND:
        return []
    backend = deliveries.queue_backend()
    if backend is not None and type(backend).__name__ == "DummyBackend":
        return [_error("E021", alias=conf.TASK_BACKEND)]
    if backend is not None or settings.DEBUG:
        return []
    if deliveries.framework() is None:
        reason = "Django's tasks framework is not installed"
    else:
        reason = f"TASKS has no backend {conf.TASK_BACKEND!r} that queues"
    return [_warning("W020", reason=reason)]


@_register(checks.Tags.security)
def check_server_url(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W003: LeanCloud is reached over https unless DEBUG is on."""
    url = get_settings().SERVER_URL
    if not _valid("SERVER_URL") or not url or settings.DEBUG or not _uses_leancloud():
        return []
    if urlsplit(url).scheme.lower() != "https":
        return [_warning("W003")]
    return []


@_register(checks.Tags.caches)
def check_cache(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E008: the limits' cache exists; unless DEBUG is on, E012 / E013: it keeps every limit
    (shared by every worker, never evicting), W006 / W007: or we cannot tell."""
    key = given_as("CACHE")
    if not _valid(key):
        return []
    alias = get_settings().CACHE
    if alias not in settings.CACHES:
        return [_error("E008", key=key, alias=alias)]
    if settings.DEBUG:
        return []
    return _eviction(alias)


def _eviction(alias: str) -> CheckResult:
    """What the cache ``alias`` does to the limits when it fills up, if it may lose them."""
    backend = imported(settings.CACHES[alias].get("BACKEND", ""))
    if not isinstance(backend, type):
        return []  # Django refuses it at first use (InvalidCacheBackendError): not our setting
    name = f"{backend.__module__}.{backend.__qualname__}"
    for lossy, reason in _LOSSY_CACHES:
        if issubclass(backend, lossy):
            return [_error("E012", alias=alias, backend=name, reason=reason)]
    if not redis_policy.is_redis(backend):
        return [_warning("W007", alias=alias, backend=name)]
    try:
        policy = redis_policy.read(redis_policy.client_of(caches[alias]))
    except Exception as exc:  # unreachable, CONFIG disabled, a pool we cannot copy...
        return [_warning("W006", alias=alias, error=type(exc).__name__)]
    return [_error("E013", alias=alias, policy=policy.policy)] if policy.evicts else []


@_register()
def check_sms_destinations(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E006: some country may receive codes; E007: the number types exist."""
    conf = get_settings()
    errors: CheckResult = []
    if _valid("ALLOWED_REGIONS", "DEFAULT_REGION") and conf.ALLOWED_REGIONS == ():
        errors.append(_error("E006"))
    for key in ("CODE_NUMBER_TYPES", "BLOCKED_NUMBER_TYPES"):
        names = getattr(conf, key) if _valid(key) else ()
        unknown = [name for name in names if not _is_number_type(name)]
        if unknown:
            errors.append(_error("E007", key=key, types=", ".join(unknown)))
    return errors


def _is_number_type(name: str) -> bool:
    return isinstance(getattr(phonenumbers.PhoneNumberType, name, None), int)


def _error(check_id: str, **values: Any) -> checks.Error:
    return checks.Error(
        getattr(Messages, check_id).format(**values),
        hint=getattr(Hints, check_id).format(**values),
        id=f"lc_phone.{check_id}",
    )


def _warning(check_id: str, **values: Any) -> checks.Warning:
    return checks.Warning(
        getattr(Messages, check_id).format(**values),
        hint=getattr(Hints, check_id).format(**values),
        id=f"lc_phone.{check_id}",
    )
