"""The limiter behind Redis Sentinel, as docs/security.md sets it up: Django's own Redis backend
with redis-py's ``SentinelConnectionPool`` (``OPTIONS``), a primary and a Sentinel this module
starts on spare ports and stops. The backend is Django's, so the plans run as one script; the
limiter's concurrency tests run again on it. With ``CI=true`` the servers are mandatory.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings
from redis.sentinel import Sentinel

from django_lc_phone.guards import redis as ratelimit_redis
from tests.app._api import lc_phone_settings
from tests.guards.test_cluster import _free_port, _wait, redis_binaries
from tests.guards.test_ratelimit import (  # the limiter's own, run again behind Sentinel
    test_concurrent_cooldown_hits_let_exactly_one_through,
    test_concurrent_hits_never_exceed_the_limit,
)
from tests.limiter import FakeClock

__all__ = [
    "test_concurrent_cooldown_hits_let_exactly_one_through",
    "test_concurrent_hits_never_exceed_the_limit",
]

SERVICE = "limits"


@pytest.fixture(scope="module")
def sentinel_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A primary and one Sentinel that monitors it as ``SERVICE``; the Sentinel's port."""
    server, cli = redis_binaries()
    workdir: Path = tmp_path_factory.mktemp("redis-sentinel")
    primary, sentinel = _free_port(), _free_port()
    config = workdir / "sentinel.conf"
    config.write_text(f"port {sentinel}\nsentinel monitor {SERVICE} 127.0.0.1 {primary} 1\n")
    started = []
    try:
        started.append(
            subprocess.Popen(
                [server, "--port", str(primary), "--bind", "127.0.0.1", "--save", ""],
                stdout=subprocess.DEVNULL,
                cwd=workdir,
            )
        )
        started.append(
            subprocess.Popen(
                [server, str(config), "--sentinel", "--bind", "127.0.0.1"],
                stdout=subprocess.DEVNULL,
                cwd=workdir,
            )
        )
        ask = [cli, "-p", str(sentinel), "sentinel", "get-master-addr-by-name", SERVICE]
        _wait(lambda: str(primary).encode() in subprocess.check_output(ask), "sentinel")
        yield sentinel
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=10)


@pytest.fixture(autouse=True)
def behind_sentinel(sentinel_port: int) -> Iterator[None]:
    """The limits behind the Sentinel for each test, configured as docs/security.md says."""
    alias = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://{SERVICE}/0",
        "OPTIONS": {
            "pool_class": "redis.sentinel.SentinelConnectionPool",
            "service_name": SERVICE,
            "sentinel_manager": Sentinel([("127.0.0.1", sentinel_port)], socket_timeout=1.0),
        },
    }
    with (
        override_settings(CACHES={**settings.CACHES, "sentinel": alias}),
        lc_phone_settings(CACHE="sentinel"),
    ):
        caches["sentinel"].clear()
        yield
        caches["sentinel"].clear()


@pytest.fixture
def clock(limiter_clock: FakeClock) -> FakeClock:
    limiter_clock.now = 1_800_000_000.0
    return limiter_clock


def test_the_plans_take_the_script_path_behind_sentinel(clock: FakeClock) -> None:
    store = caches["sentinel"]
    assert ratelimit_redis.supports(store)
    client = store._cache.get_client(write=True)
    assert type(client.connection_pool).__name__ == "SentinelConnectionPool"
    assert client.connection_pool.get_master_address()[0] == "127.0.0.1"  # type: ignore[attr-defined]
