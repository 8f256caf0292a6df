"""Checks of what keeps the limits and the sends: the limits' cache exists and never loses a
lockout (E008, E012, E013, W006, W007), and the background sends are queued by a backend that
runs them (W020, E021)."""

from __future__ import annotations

from typing import Any, Final

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.memcached import BaseMemcachedCache

from ..conf import get_settings, given_as
from . import redis as redis_policy
from .base import AppConfigs, CheckResult, error, valid, warning
from .values import imported

# Cache backends that lose the limits (lockouts, cooldowns, budgets), and how (E012).
_LOSSY_CACHES: Final[tuple[tuple[type[BaseCache], str], ...]] = (
    (LocMemCache, "lives in one process and culls entries beyond MAX_ENTRIES"),
    (DummyCache, "stores nothing"),
    (BaseMemcachedCache, "evicts the least recently used keys when memcached is full"),
    (FileBasedCache, "culls entries beyond MAX_ENTRIES"),
    (DatabaseCache, "culls entries beyond MAX_ENTRIES"),
)


def check_task_backend(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """W020: the sends that leave the request are queued, unless DEBUG is on; E021: by a
    backend that runs them."""
    from .. import deliveries

    conf = get_settings()
    if not valid("SEND_IN_BACKGROUND", "TASK_BACKEND") or not conf.SEND_IN_BACKGROUND:
        return []
    backend = deliveries.queue_backend()
    if backend is not None and type(backend).__name__ == "DummyBackend":
        return [error("E021", alias=conf.TASK_BACKEND)]
    if backend is not None or settings.DEBUG:
        return []
    if deliveries.framework() is None:
        reason = "Django's tasks framework is not installed"
    else:
        reason = f"TASKS has no backend {conf.TASK_BACKEND!r} that queues"
    return [warning("W020", reason=reason)]


def check_cache(app_configs: AppConfigs = None, **kwargs: Any) -> CheckResult:
    """E008: the limits' cache exists; unless DEBUG is on, E012 / E013: it keeps every limit
    (shared by every worker, never evicting), W006 / W007: or we cannot tell."""
    key = given_as("CACHE")
    if not valid(key):
        return []
    alias = get_settings().CACHE
    if alias not in settings.CACHES:
        return [error("E008", key=key, alias=alias)]
    if settings.DEBUG:
        return []
    return eviction(alias)


def eviction(alias: str) -> CheckResult:
    """What the cache ``alias`` does to the limits when it fills up, if it may lose them."""
    backend = imported(settings.CACHES[alias].get("BACKEND", ""))
    if not isinstance(backend, type):
        return []  # Django refuses it at first use (InvalidCacheBackendError): not our setting
    name = f"{backend.__module__}.{backend.__qualname__}"
    for lossy, reason in _LOSSY_CACHES:
        if issubclass(backend, lossy):
            return [error("E012", alias=alias, backend=name, reason=reason)]
    if not redis_policy.is_redis(backend):
        return [warning("W007", alias=alias, backend=name)]
    try:
        policy = redis_policy.read(redis_policy.client_of(caches[alias]))
    except Exception as exc:  # unreachable, CONFIG disabled, a pool we cannot copy...
        return [warning("W006", alias=alias, error=type(exc).__name__)]
    return [error("E013", alias=alias, policy=policy.policy)] if policy.evicts else []
