"""Circuit breakers around remote calls, shared by every worker through the Django cache.

Each remote a provider calls has its own breaker, by name: LeanCloud's REST API
(``"leancloud"``), each SMS gateway of the local provider (``"sms:<gateway class>"``). Work that
touches only the database never consults one, so an SMS gateway's outage cannot stop a
password login. Closed: calls go through, and consecutive outages (unreachable, timed out,
invalid answers) are counted. After ``CIRCUIT_FAILURES`` of them it opens: calls fail at once with
:class:`ProviderUnavailable` and ``Retry-After``, instead of each waiting out a timeout.
After ``CIRCUIT_RESET_TIMEOUT`` seconds one worker's call goes through as a probe; success
closes the circuit, failure opens it again. Business answers (a wrong code, a rate limit) show
the provider is up: they never count as failures.
"""

from __future__ import annotations

import logging
import pickle
import threading
import time
from collections.abc import Callable
from typing import Final, TypeVar

from django.core.signals import request_finished, request_started

from .. import signals
from ..conf import get_settings
from ..exceptions import ProviderError, ProviderMisconfigured, ProviderUnavailable
from . import windows as ratelimit
from .windows import cache, key, retry_after

logger = logging.getLogger("django_lc_phone.security")

T = TypeVar("T")

# The breaker of a call that names none (a provider of the site's own, say).
DEFAULT: Final = "provider"
# State outlives any sensible reset timeout; a stale "opened" just means "probe next".
_STATE_TTL = 24 * 3600
# How long a state the limiter read for this thread stands in for the breaker's own read: the
# limits' checks and the call they guard are one request, a few milliseconds apart.
_PREFETCH_SECONDS: Final = 1.0

# The breakers this process has called: the limiter reads their state with its own checks.
_NAMES: set[str] = set()
_prefetch = threading.local()


def _keys(name: str) -> tuple[str, str, str]:
    """The failure count, opening time and probe keys of breaker ``name``."""
    prefix = key("circuit", name)
    return f"{prefix}:failures", f"{prefix}:opened", f"{prefix}:probe"


def state_keys(name: str) -> tuple[str, str]:
    """The keys :func:`call` reads of breaker ``name``: its opening time, its failures."""
    failures_key, opened_key, _ = _keys(name)
    return opened_key, failures_key


def names_in_use() -> list[str]:
    """The breakers this process has called, whose state a request's limit checks read."""
    return sorted(_NAMES)


def prefetched(states: dict[str, tuple[object, object]]) -> None:
    """The state of each breaker (opening time, failures), read by the limiter for this
    thread's request: its next call of each breaker uses it instead of reading the cache."""
    _prefetch.states = dict(states)
    _prefetch.at = time.monotonic()


def forget_prefetched(**_: object) -> None:
    """Drop this thread's prefetched states (at each request's start and end): a state read
    for one request never stands in for the breaker's own read in the next."""
    _prefetch.states = None


request_started.connect(forget_prefetched, dispatch_uid="django_lc_phone.breaker.started")
request_finished.connect(forget_prefetched, dispatch_uid="django_lc_phone.breaker.finished")


def _state(name: str) -> tuple[object, object]:
    """Breaker ``name``'s opening time and failures: prefetched for this request (once), or
    read now."""
    states = getattr(_prefetch, "states", None)
    if states and name in states and time.monotonic() - _prefetch.at < _PREFETCH_SECONDS:
        state: tuple[object, object] = states.pop(name)
        return state
    opened_key, failures_key = state_keys(name)
    try:
        read = cache().get_many([opened_key, failures_key])
    except (pickle.UnpicklingError, ValueError, TypeError, EOFError):
        # Written by something else: no state of ours. A breaker guards availability, so an
        # unreadable state reads as closed (the next failures build it again).
        logger.warning("circuit breaker %s: unreadable state, read as closed", name)
        return None, None
    return read.get(opened_key), read.get(failures_key)


def _moment(value: object) -> float | None:
    """An opening time as stored (seconds), or None for none or anything else."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _now() -> float:
    return ratelimit.clock()


def call(action: Callable[[], T], name: str = DEFAULT) -> T:
    """Run ``action`` (one remote call) through the breaker called ``name``."""
    conf = get_settings()
    if conf.CIRCUIT_FAILURES is None:
        return action()
    _NAMES.add(name)
    store = cache()
    probe_key = _keys(name)[2]
    # One read for both (usually none: the limiter read them): a healthy remote's call
    # costs this read only.
    stored, failures = _state(name)
    opened = _moment(stored)
    had_failures = bool(failures)
    probing = False
    if opened is not None:
        wait = opened + conf.CIRCUIT_RESET_TIMEOUT - _now()
        if wait > 0:
            raise ProviderUnavailable(retry_after=retry_after(wait))
        # Half open: one probe at a time, across all workers.
        probing = store.add(probe_key, 1, timeout=_probe_ttl())
        if not probing:
            raise ProviderUnavailable(retry_after=retry_after(conf.CIRCUIT_RESET_TIMEOUT))
    try:
        result = action()
    except ProviderMisconfigured:
        # Refused before any I/O: it says nothing of the remote's health either way.
        if probing:
            store.delete(probe_key)
        raise
    except ProviderError:
        _failed(name, probing)
        raise
    except Exception:
        _succeeded(name, probing, opened is not None, had_failures)
        raise
    _succeeded(name, probing, opened is not None, had_failures)
    return result


def _probe_ttl() -> int:
    conf = get_settings()
    # Long enough for the probe's own timeouts, so a second probe cannot start meanwhile.
    return int(conf.CONNECT_TIMEOUT * (conf.MAX_CONNECT_RETRIES + 1) + conf.READ_TIMEOUT) + 1


def _failed(name: str, probing: bool) -> None:
    conf = get_settings()
    store = cache()
    failures_key, opened_key, probe_key = _keys(name)
    if probing:
        store.set(opened_key, _now(), timeout=_STATE_TTL)
        store.delete(probe_key)
        logger.warning("circuit breaker %s: probe failed, open again", name)
        return
    store.add(failures_key, 0, timeout=_STATE_TTL)
    try:
        failures = store.incr(failures_key)
    except ValueError:
        return
    limit = conf.CIRCUIT_FAILURES
    if limit is not None and failures >= limit and store.add(opened_key, _now(), _STATE_TTL):
        logger.error("circuit breaker %s open after %d consecutive failures", name, failures)
        signals.circuit_state_changed.send(
            sender=ProviderError, state="open", failures=failures, name=name
        )


def _succeeded(name: str, probing: bool, was_open: bool, had_failures: bool) -> None:
    store = cache()
    failures_key, opened_key, probe_key = _keys(name)
    # A failure another worker counts after the read above came after this success, so
    # leaving it keeps "consecutive failures" true; nothing to reset when none was counted.
    if had_failures:
        store.delete(failures_key)
    if probing or was_open:
        store.delete_many([opened_key, probe_key])
        logger.warning("circuit breaker %s closed: the remote answers again", name)
        signals.circuit_state_changed.send(
            sender=ProviderError, state="closed", failures=0, name=name
        )


def reset(name: str = DEFAULT) -> None:
    """Close breaker ``name`` and forget its failures (tests, or an operator after a fix)."""
    cache().delete_many(list(_keys(name)))
