"""The limiter on a real Redis Cluster: three nodes this module starts (``redis-server
--cluster-enabled yes`` on spare ports), joins (``redis-cli --cluster create``) and stops.

The concurrency tests are the limiter's own (imported from the one-Redis suites and run again
here with ``LC_PHONE["CACHE"]`` on :class:`RedisClusterCache`), plus what only a cluster can
break: keys of one request in one slot, Django's many-key calls across slots, and the scripts
finding their node. With ``CI=true`` the cluster is mandatory: no Redis binaries is a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.cache import caches
from django.test import override_settings
from redis.cluster import RedisCluster
from redis.crc import key_slot

from django_lc_phone.exceptions import TooManyAttempts
from django_lc_phone.guards import limits
from django_lc_phone.guards.cluster import RedisClusterCache
from django_lc_phone.guards.plan import Reservation, Slot
from django_lc_phone.guards.windows import Cooldown, Window, cache
from tests.app._api import lc_phone_settings
from tests.guards.test_ratelimit import (  # the limiter's own, run again on the cluster
    test_a_failed_probe_opens_the_circuit_again,
    test_concurrent_back_off_hits_let_exactly_one_through,
    test_concurrent_cooldown_hits_let_exactly_one_through,
    test_concurrent_hits_never_exceed_the_limit,
    test_one_token_answers_every_gate_of_a_plan,
    test_the_breaker_opens_after_consecutive_failures_and_probes_later,
)
from tests.limiter import FakeClock
from tests.security.test_d_backoff_pumping import (  # end to end, both providers and surfaces
    site,
    test_a_flood_of_codes_nobody_enters_needs_a_captcha,
    test_a_prefix_whose_codes_are_entered_is_not_asked,
    test_the_resend_wait_grows_and_a_verified_code_starts_it_again,
)
from tests.security.test_d_pumping import (  # end to end through the API, on the cluster
    test_t20_concurrent_guesses_cannot_exceed_the_attempt_limit,
    test_t20_twenty_concurrent_requests_send_one_code,
)

__all__ = [
    "site",
    "test_a_failed_probe_opens_the_circuit_again",
    "test_a_flood_of_codes_nobody_enters_needs_a_captcha",
    "test_a_prefix_whose_codes_are_entered_is_not_asked",
    "test_concurrent_back_off_hits_let_exactly_one_through",
    "test_concurrent_cooldown_hits_let_exactly_one_through",
    "test_concurrent_hits_never_exceed_the_limit",
    "test_one_token_answers_every_gate_of_a_plan",
    "test_t20_concurrent_guesses_cannot_exceed_the_attempt_limit",
    "test_t20_twenty_concurrent_requests_send_one_code",
    "test_the_breaker_opens_after_consecutive_failures_and_probes_later",
    "test_the_resend_wait_grows_and_a_verified_code_starts_it_again",
]

NODES = 3
CLUSTER_OPTIONS = ("--cluster-enabled", "yes", "--save", "", "--appendonly", "no")
WINDOW_START = 1_800_000_000.0


def _free_port() -> int:
    """A port free for a node and for its cluster bus (the port + 10000)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port >= 55535:
            continue
        with socket.socket() as bus:
            try:
                bus.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair for a cluster node")


def _wait(check: object, what: str, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except Exception:  # noqa: S110 - not up yet
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the test servers did not come up: {what}")


def redis_binaries() -> tuple[str, str]:
    """``redis-server`` and ``redis-cli``: skipped without them, failed with ``CI=true``."""
    binaries = [shutil.which("redis-server"), shutil.which("redis-cli")]
    if None in binaries:
        message = "redis-server and redis-cli are needed for the Redis Cluster and Sentinel tests"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    server, cli = (str(b) for b in binaries)
    return server, cli


@pytest.fixture(scope="module")
def cluster_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh three-node cluster (no replicas); its URL names one node."""
    server, cli = redis_binaries()
    workdir: Path = tmp_path_factory.mktemp("redis-cluster")
    ports: list[int] = []
    while len(ports) < NODES:
        if (port := _free_port()) not in ports:
            ports.append(port)
    nodes = []
    try:
        for port in ports:
            nodes.append(
                subprocess.Popen(
                    [
                        server,
                        "--port",
                        str(port),
                        "--bind",
                        "127.0.0.1",
                        "--cluster-enabled",
                        "yes",
                        "--cluster-config-file",
                        f"nodes-{port}.conf",
                        "--dir",
                        str(workdir),
                        "--save",
                        "",
                        "--appendonly",
                        "no",
                    ],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        for port in ports:
            ping = [cli, "-p", str(port), "ping"]
            _wait(lambda p=ping: b"PONG" in subprocess.check_output(p), f"ping {port}")
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        for port in ports:
            info = [cli, "-p", str(port), "cluster", "info"]
            _wait(
                lambda i=info: b"cluster_state:ok" in subprocess.check_output(i),
                f"cluster_state on {port}",
            )
        yield f"redis://127.0.0.1:{ports[0]}"
    finally:
        for node in nodes:
            node.terminate()
        for node in nodes:
            node.wait(timeout=10)


@pytest.fixture(autouse=True)
def on_cluster(cluster_url: str) -> Iterator[RedisCluster]:
    """The limits on the cluster for each test (emptied before and after)."""
    alias = {
        "BACKEND": "django_lc_phone.guards.cluster.RedisClusterCache",
        "LOCATION": cluster_url,
        "KEY_PREFIX": "lc_phone_cluster_tests",
    }
    from django.conf import settings

    with (
        override_settings(CACHES={**settings.CACHES, "cluster": alias}),
        lc_phone_settings(CACHE="cluster"),
    ):
        store = caches["cluster"]
        assert isinstance(store, RedisClusterCache)
        store.clear()
        client: RedisCluster = store._cache.get_client(write=True)  # type: ignore[assignment]
        yield client
        store.clear()


@pytest.fixture
def clock(limiter_clock: FakeClock) -> FakeClock:
    limiter_clock.now = WINDOW_START
    return limiter_clock


def test_the_cluster_is_three_primaries(on_cluster: RedisCluster) -> None:
    assert len(on_cluster.get_primaries()) == NODES


def test_every_key_of_a_request_is_in_one_slot(clock: FakeClock) -> None:
    window, cooldown = Window("a", 5, 60), Cooldown("b", 60, (120, 300))
    keys = [*window.keys("client"), *window.keys("number"), *cooldown.keys("number")]
    keys += cooldown.ladder_keys("number")  # the back-off's count and hit times
    full = [cache().make_and_validate_key(k) for k in keys]
    assert len({key_slot(k.encode()) for k in full}) == 1


def test_a_whole_attempt_runs_on_the_cluster_and_counts(clock: FakeClock) -> None:
    """The attempt's plan names keys of the client, the pair and the number at once: on a
    cluster that is one script only because they share a slot (else CROSSSLOT)."""
    with lc_phone_settings(PASSWORD_ATTEMPTS=2, CAPTCHA_AFTER_FAILURES=None):
        for _ in range(2):
            with pytest.raises(TooManyAttempts), limits.attempt("password", "+8613800138000", None):
                raise TooManyAttempts()  # a failure the provider reported: it counts
        with (
            pytest.raises(TooManyAttempts) as refused,
            limits.attempt("password", "+8613800138000", None),
        ):
            pytest.fail("a third attempt must be refused before the provider")
    assert refused.value.retry_after is not None


def test_djangos_many_key_calls_work_across_slots(on_cluster: RedisCluster) -> None:
    store = caches["cluster"]
    data = {f"key-{n}": n for n in range(20)}
    assert len({key_slot(store.make_and_validate_key(k).encode()) for k in data}) > 1
    store.set_many(data, timeout=60)
    assert store.get_many(list(data)) == data
    store.delete_many(list(data)[:10])
    assert store.get_many(list(data)) == {k: v for k, v in data.items() if v >= 10}


def test_a_reservation_given_back_on_the_cluster_frees_its_slots(clock: FakeClock) -> None:
    one, two = Window("one", 1, 60), Cooldown("two", 60)
    reservation = Reservation([s for s in (one.hit("a"), two.hit("a")) if isinstance(s, Slot)])
    assert len(reservation.slots) == 2
    assert not isinstance(one.hit("a"), Slot)
    reservation.release()
    assert isinstance(one.hit("a"), Slot)
    assert isinstance(two.hit("a"), Slot)


def test_the_cache_check_asks_every_primary(on_cluster: RedisCluster) -> None:
    """E013 on a cluster: one primary that evicts is enough to lose lockouts."""
    from django_lc_phone import checks as lc_checks

    assert [m.id for m in lc_checks.check_cache()] == []
    node = on_cluster.get_primaries()[-1].redis_connection
    assert node is not None
    node.config_set("maxmemory", "64mb")
    node.config_set("maxmemory-policy", "allkeys-lru")
    try:
        assert [m.id for m in lc_checks.check_cache()] == ["lc_phone.E013"]
    finally:
        node.config_set("maxmemory-policy", "noeviction")
        node.config_set("maxmemory", "0")
