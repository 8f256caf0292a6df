"""The limits' cache never loses them: checks ``lc_phone.E012``, ``E013``, ``W006``-``W008``.

Lockouts, cooldowns and budgets live in the cache named by ``LC_PHONE["CACHE"]``; a cache that
evicts lets anyone who fills it wipe them. The Redis tests start their own ``redis-server`` on
a free port (never the suite's shared one, whose policy they must not change), which they need
as the suite needs Redis: skipped without the services, except with ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import redis
from django.core import checks
from django.core.cache import caches
from django.core.cache.backends.base import BaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings

from django_lc_phone import checks as lc_checks
from django_lc_phone.checks import redis as redis_policy
from tests.checks._checks import configured, ids
from tests.settings import CACHES as SUITE_CACHES
from tests.settings import USE_SERVICES

REDIS_CACHE = "django.core.cache.backends.redis.RedisCache"


class SharedLocMemCache(LocMemCache):
    """Still per-process, whatever its name says."""


class ThirdPartyCache(BaseCache):
    """A backend we know nothing about."""


def cache(backend: str, **options: Any) -> Any:
    return override_settings(CACHES={"default": {"BACKEND": backend, **options}})


def redis_cache(url: str) -> Any:
    return cache(REDIS_CACHE, LOCATION=url)


# --- E012: backends that lose entries by design -------------------------------------------------

E012_HINT = (
    "Give LC_PHONE['CACHE'] a cache every worker shares and that never evicts: Redis with "
    "maxmemory-policy noeviction."
)
LOCMEM_REASON = "lives in one process and culls entries beyond MAX_ENTRIES"
CULLS = "culls entries beyond MAX_ENTRIES"
LRU = "evicts the least recently used keys when memcached is full"


@pytest.mark.parametrize(
    ("backend", "reason"),
    [
        ("django.core.cache.backends.locmem.LocMemCache", LOCMEM_REASON),
        (f"{__name__}.SharedLocMemCache", LOCMEM_REASON),
        ("django.core.cache.backends.dummy.DummyCache", "stores nothing"),
        # Not built: the check reads the class, so it needs neither pymemcache nor pylibmc.
        ("django.core.cache.backends.memcached.PyMemcacheCache", LRU),
        ("django.core.cache.backends.memcached.PyLibMCCache", LRU),
        ("django.core.cache.backends.filebased.FileBasedCache", CULLS),
        ("django.core.cache.backends.db.DatabaseCache", CULLS),
    ],
)
def test_e012_a_cache_that_loses_entries(backend: str, reason: str) -> None:
    with configured(), cache(backend, LOCATION="lc-phone-checks"):
        assert lc_checks.check_cache() == [
            checks.Error(
                f"The limits' cache 'default' ({backend}) {reason}: lockouts and cooldowns do "
                "not hold.",
                hint=E012_HINT,
                id="lc_phone.E012",
            )
        ]


def test_e012_names_the_alias_lc_phone_uses() -> None:
    caches_ = {
        "default": {"BACKEND": REDIS_CACHE, "LOCATION": "redis://127.0.0.1:1/0"},
        "limits": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    with configured(CACHE="limits"), override_settings(CACHES=caches_):
        assert ids(lc_checks.check_cache()) == ["lc_phone.E012"]
        assert "'limits'" in str(lc_checks.check_cache()[0].msg)


def test_no_cache_message_with_debug_on() -> None:
    with configured(debug=True), cache("django.core.cache.backends.locmem.LocMemCache"):
        assert lc_checks.check_cache() == []
    with configured(debug=True), redis_cache(f"redis://127.0.0.1:{free_port()}/0"):
        assert lc_checks.check_cache() == []  # not even asked


# --- W007: a backend we cannot judge ----------------------------------------------------------


def test_w007_a_third_party_backend() -> None:
    with configured(), cache(f"{__name__}.ThirdPartyCache"):
        assert lc_checks.check_cache() == [
            checks.Warning(
                f"Cannot tell whether the limits' cache 'default' ({__name__}.ThirdPartyCache) "
                "evicts keys.",
                hint="Lockouts and cooldowns live in it: make sure every worker shares it and "
                "it never evicts, then add lc_phone.W007 to SILENCED_SYSTEM_CHECKS.",
                id="lc_phone.W007",
            )
        ]


# --- W008 and E008: CACHE_ALIAS, the old name of CACHE -----------------------------------------

W008 = checks.Warning(
    "LC_PHONE['CACHE_ALIAS'] is deprecated: it was renamed LC_PHONE['CACHE'].",
    hint="Rename the key; the old name is read only while the new one is not set.",
    id="lc_phone.W008",
)


def test_w008_cache_alias_is_deprecated_but_still_read() -> None:
    with configured(CACHE_ALIAS="limits"):
        assert lc_checks.check_renamed_keys() == [W008]
        assert lc_checks.check_cache() == [
            checks.Error(
                "LC_PHONE['CACHE_ALIAS'] 'limits' is not in CACHES.",
                hint="Name one of the aliases in CACHES (a cache every worker shares).",
                id="lc_phone.E008",
            )
        ]
    with configured(CACHE_ALIAS="limits", CACHE="default", debug=True):
        assert lc_checks.check_renamed_keys() == [W008]
        assert lc_checks.check_cache() == []  # CACHE wins: no E008 for 'limits'


def test_no_w008_without_cache_alias() -> None:
    with configured(CACHE="default"):
        assert lc_checks.check_renamed_keys() == []
    with override_settings(LC_PHONE={"CACHE_ALIAS": None}):
        assert lc_checks.check_renamed_keys() == []


# --- Redis: what the server says ----------------------------------------------------------------


def free_port() -> int:
    """A port nothing listens on (as long as nobody takes it meanwhile)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _redis_server_binary() -> str:
    if not USE_SERVICES:
        pytest.skip("needs the suite's services (Redis; see tests/settings.py)")
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true needs redis-server on PATH for the cache checks")
        pytest.skip("needs redis-server on PATH")
    return binary


@contextmanager
def redis_server(directory: Path, *options: str) -> Iterator[str]:
    """A redis-server of this test's own on a free port, stopped on the way out: its URL."""
    port = free_port()
    log = directory / f"redis-{port}.log"
    command = [_redis_server_binary(), "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(directory), *options]
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_up(process, port, log)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"redis-server exited: {log.read_text(errors='replace')}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"redis-server did not answer on port {port}")


EVICTING = ("--maxmemory", "10mb", "--maxmemory-policy", "allkeys-lru")


@pytest.fixture(scope="module")
def evicting_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis"), *EVICTING) as url:
        yield url


@pytest.fixture(scope="module")
def noeviction_redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    options = ("--maxmemory", "10mb", "--maxmemory-policy", "noeviction")
    with redis_server(tmp_path_factory.mktemp("redis"), *options) as url:
        yield url


@contextmanager
def policy(url: str, name: str, maxmemory: str = "10mb") -> Iterator[None]:
    """The server at ``url`` with another policy for a while (it is this module's own)."""
    server = redis.Redis.from_url(url)
    server.config_set("maxmemory-policy", name)
    server.config_set("maxmemory", maxmemory)
    try:
        yield
    finally:
        server.config_set("maxmemory-policy", EVICTING[3])
        server.config_set("maxmemory", EVICTING[1])
        server.close()


def e013(policy_name: str) -> checks.Error:
    return checks.Error(
        f"The limits' cache 'default' is a Redis server whose maxmemory-policy is "
        f"{policy_name!r}: at maxmemory it evicts keys, lockouts and cooldowns included. It "
        "must be 'noeviction'.",
        hint="Set maxmemory-policy noeviction on that server, or give the limits a Redis of "
        "their own: every limit key carries an expiry, so the volatile-* policies evict them "
        "too.",
        id="lc_phone.E013",
    )


def test_e013_redis_that_evicts(evicting_redis: str) -> None:
    with configured(), redis_cache(evicting_redis):
        assert lc_checks.check_cache() == [e013("allkeys-lru")]


@pytest.mark.parametrize("name", ["volatile-lru", "volatile-ttl", "allkeys-random"])
def test_e013_every_evicting_policy_even_volatile_ones(evicting_redis: str, name: str) -> None:
    with configured(), redis_cache(evicting_redis), policy(evicting_redis, name):
        assert lc_checks.check_cache() == [e013(name)]


def test_no_e013_for_noeviction_or_no_maxmemory(noeviction_redis: str, evicting_redis: str) -> None:
    with configured(), redis_cache(noeviction_redis):
        assert lc_checks.check_cache() == []
    with configured(), redis_cache(evicting_redis), policy(evicting_redis, "allkeys-lru", "0"):
        assert lc_checks.check_cache() == []


def connections(url: str) -> int:
    """How many clients the server at ``url`` has, this one included."""
    with redis.Redis.from_url(url) as client:
        return len(client.client_list())


def test_the_probe_closes_its_connection_and_leaves_the_cache_s_alone(
    evicting_redis: str,
) -> None:
    with configured(), redis_cache(evicting_redis):
        store = caches["default"]
        store.set("lc-phone-checks", 1)
        before = connections(evicting_redis)
        assert lc_checks.check_cache() == [e013("allkeys-lru")]
        deadline = time.monotonic() + 2  # the server notices a closed socket on its next turn
        while connections(evicting_redis) != before and time.monotonic() < deadline:
            time.sleep(0.05)
        assert connections(evicting_redis) == before
        assert store.get("lc-phone-checks") == 1


# --- W006: a Redis we cannot ask ---------------------------------------------------------------

W006_HINT = (
    "Make sure the server is up and never evicts (maxmemory-policy noeviction, or maxmemory 0): "
    "every limit key carries an expiry, so the volatile-* policies evict them too. Managed "
    "Redis services often disable CONFIG: look the policy up in their console."
)


def w006(error: str) -> checks.Warning:
    return checks.Warning(
        f"Could not read the maxmemory-policy of the limits' cache 'default' (Redis: {error}); "
        "it must be 'noeviction'.",
        hint=W006_HINT,
        id="lc_phone.W006",
    )


def test_w006_config_is_disabled(tmp_path: Path) -> None:
    """As on managed Redis services, where CONFIG is renamed or refused."""
    disabled = ("--rename-command", "CONFIG", "")
    with redis_server(tmp_path, *EVICTING, *disabled) as url, configured(), redis_cache(url):
        assert lc_checks.check_cache() == [w006("ResponseError")]


def test_w006_nobody_listens() -> None:
    with configured(), redis_cache(f"redis://127.0.0.1:{free_port()}/0"):
        started = time.monotonic()
        assert lc_checks.check_cache() == [w006("ConnectionError")]
    assert time.monotonic() - started < 2 * redis_policy.TIMEOUT  # no retries with backoff


def test_w006_a_server_that_never_answers_does_not_hang_the_check() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections are accepted by the kernel, and never read
        url = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        with configured(), redis_cache(url):
            started = time.monotonic()
            assert lc_checks.check_cache() == [w006("TimeoutError")]
    assert time.monotonic() - started < 3 * redis_policy.TIMEOUT


# --- django-redis (not a dependency: a stand-in with its client API) ---------------------------


class DjangoRedisStandIn(BaseCache):
    """django_redis.cache.RedisCache's surface the check uses: ``client.get_client(write=)``."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(params)
        self.client = types.SimpleNamespace(
            get_client=lambda write=False: redis.Redis.from_url(server)
        )


@pytest.fixture
def django_redis(monkeypatch: pytest.MonkeyPatch) -> str:
    """``django_redis.cache.RedisCache``, importable as if the package were installed."""
    package, module = types.ModuleType("django_redis"), types.ModuleType("django_redis.cache")
    module.RedisCache = DjangoRedisStandIn  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "django_redis", package)
    monkeypatch.setitem(sys.modules, "django_redis.cache", module)
    return "django_redis.cache.RedisCache"


def test_django_redis_is_asked_too(
    django_redis: str, evicting_redis: str, noeviction_redis: str
) -> None:
    with configured(), cache(django_redis, LOCATION=evicting_redis):
        assert lc_checks.check_cache() == [e013("allkeys-lru")]
    with configured(), cache(django_redis, LOCATION=noeviction_redis):
        assert lc_checks.check_cache() == []


# --- the suite's own cache ----------------------------------------------------------------------


def test_the_suite_s_own_cache_keeps_the_limits() -> None:
    """Redis as CI starts it (noeviction) with the services, else LocMemCache."""
    with configured(), override_settings(CACHES=SUITE_CACHES):
        found = ids(lc_checks.check_cache())
    assert found == ([] if USE_SERVICES else ["lc_phone.E012"])
