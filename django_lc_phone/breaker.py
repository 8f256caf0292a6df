"""A circuit breaker around the provider, shared by every worker through the Django cache.

Closed: calls go through, and consecutive outages (unreachable, timed out, invalid answers)
are counted. After ``CIRCUIT_FAILURES`` of them it opens: calls fail at once with
:class:`ProviderUnavailable` and ``Retry-After``, instead of each waiting out a timeout.
After ``CIRCUIT_RESET_TIMEOUT`` seconds one worker's call goes through as a probe; success
closes the circuit, failure opens it again. Business answers (a wrong code, a rate limit) show
the provider is up: they never count as failures.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from . import ratelimit, signals
from .conf import get_settings
from .exceptions import ProviderError, ProviderUnavailable
from .ratelimit import cache, retry_after

logger = logging.getLogger("django_lc_phone.security")

T = TypeVar("T")

_FAILURES_KEY = "lc_phone:circuit:failures"
_OPENED_KEY = "lc_phone:circuit:opened"
_PROBE_KEY = "lc_phone:circuit:probe"
# State outlives any sensible reset timeout; a stale "opened" just means "probe next".
_STATE_TTL = 24 * 3600


def _now() -> float:
    return ratelimit.clock()


def call(action: Callable[[], T]) -> T:
    """Run ``action`` (one provider call) through the breaker."""
    conf = get_settings()
    if conf.CIRCUIT_FAILURES is None:
        return action()
    store = cache()
    # One round trip for both: a healthy provider's call then costs this read only.
    state = store.get_many([_OPENED_KEY, _FAILURES_KEY])
    opened = state.get(_OPENED_KEY)
    had_failures = bool(state.get(_FAILURES_KEY))
    probing = False
    if opened is not None:
        wait = opened + conf.CIRCUIT_RESET_TIMEOUT - _now()
        if wait > 0:
            raise ProviderUnavailable(retry_after=retry_after(wait))
        # Half open: one probe at a time, across all workers.
        probing = store.add(_PROBE_KEY, 1, timeout=_probe_ttl())
        if not probing:
            raise ProviderUnavailable(retry_after=retry_after(conf.CIRCUIT_RESET_TIMEOUT))
    try:
        result = action()
    except ProviderError:
        _failed(probing)
        raise
    except Exception:
        _succeeded(probing, opened is not None, had_failures)
        raise
    _succeeded(probing, opened is not None, had_failures)
    return result


def _probe_ttl() -> int:
    conf = get_settings()
    # Long enough for the probe's own timeouts, so a second probe cannot start meanwhile.
    return int(conf.CONNECT_TIMEOUT * (conf.MAX_CONNECT_RETRIES + 1) + conf.READ_TIMEOUT) + 1


def _failed(probing: bool) -> None:
    conf = get_settings()
    store = cache()
    if probing:
        store.set(_OPENED_KEY, _now(), timeout=_STATE_TTL)
        store.delete(_PROBE_KEY)
        logger.warning("circuit breaker: probe failed, open again")
        return
    store.add(_FAILURES_KEY, 0, timeout=_STATE_TTL)
    try:
        failures = store.incr(_FAILURES_KEY)
    except ValueError:
        return
    limit = conf.CIRCUIT_FAILURES
    if limit is not None and failures >= limit and store.add(_OPENED_KEY, _now(), _STATE_TTL):
        logger.error("circuit breaker open after %d consecutive provider failures", failures)
        signals.circuit_state_changed.send(sender=ProviderError, state="open", failures=failures)


def _succeeded(probing: bool, was_open: bool, had_failures: bool) -> None:
    store = cache()
    # A failure another worker counts after the read above came after this success, so
    # leaving it keeps "consecutive failures" true; nothing to reset when none was counted.
    if had_failures:
        store.delete(_FAILURES_KEY)
    if probing or was_open:
        store.delete_many([_OPENED_KEY, _PROBE_KEY])
        logger.warning("circuit breaker closed: the provider answers again")
        signals.circuit_state_changed.send(sender=ProviderError, state="closed", failures=0)


def reset() -> None:
    """Close the circuit and forget failures (tests, or an operator after a fix)."""
    cache().delete_many([_FAILURES_KEY, _OPENED_KEY, _PROBE_KEY])


class GuardedProvider:
    """Wraps a provider so that each of its methods runs through :func:`call`."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        @functools.wraps(attribute)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            return call(lambda: attribute(*args, **kwargs))

        return guarded
