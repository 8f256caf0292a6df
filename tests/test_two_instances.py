"""Two gunicorn instances of the example site behind one database, one cache and one LeanCloud.

Both instances share a fresh PostgreSQL database, one Redis (the Django cache that holds the
phone API's limits) and one emulator served over HTTP as their LeanCloud upstream. The tests
show that the per-number resend cooldown holds across instances (a second code request on the
other instance is refused, and only one SMS goes out), and that a burst of concurrent sign-ups
for one number, spread over both instances, creates exactly one local user and never a 5xx.

The emulator's own copy of LeanCloud's per-number SMS limits (code 1 within 10 s, 601) is
turned off here: with it on, the emulator would refuse the second send by itself and hide a
missing or per-process cooldown in the site. So every refusal seen here is the site's own.

Needs PostgreSQL and Redis on 127.0.0.1 (as ``tests/settings.py`` decides ``USE_SERVICES``):
skipped without them, except with ``CI=true``, where the suite requires them.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import redis
import requests
from psycopg import sql
from psycopg.conninfo import make_conninfo

from django_lc_phone.emulator import (
    DEMO_APP_ID,
    DEMO_APP_KEY,
    DEMO_MASTER_KEY,
    Emulator,
    EmulatorConfig,
    RunningServer,
    SmsLimits,
    serve_in_thread,
)
from django_lc_phone.models import PhoneProfile
from tests.settings import USE_SERVICES

pytestmark = [
    pytest.mark.skipif(
        not USE_SERVICES, reason="needs PostgreSQL and Redis on 127.0.0.1 (see tests/settings.py)"
    ),
    pytest.mark.timeout(180),
]

ROOT = Path(__file__).resolve().parent.parent
PG_USER = os.environ.get("LC_PHONE_TEST_PG_USER", "postgres")
PG_HOST, PG_PORT = "127.0.0.1", "5432"
REDIS_URL = os.environ.get("LC_PHONE_TEST_REDIS", "redis://127.0.0.1:6379/7")
RUN = f"lc_phone_two_inst_{os.getpid()}"  # database name and cache key prefix of this run

# The profiles' table (app label lc_phone), as the model names it.
PROFILES_WITH_PHONE = sql.SQL("SELECT count(*) FROM {} WHERE phone = %s").format(
    sql.Identifier(PhoneProfile._meta.db_table)
)
PHONE = "+8613800138000"
CLIENTS = 20
REQUEST_TIMEOUT = 30.0  # seconds: generous, a slow answer is not what these tests are about
GUNICORN = [
    sys.executable,
    "-m",
    "gunicorn",
    "example_project.wsgi:application",
    "--workers",
    "2",
    "--threads",
    "4",
    "--worker-class",
    "gthread",
    "--graceful-timeout",
    "5",
]
# LeanCloud's own per-number limits, off (see the module docstring).
NO_UPSTREAM_LIMITS = SmsLimits(
    resend_interval=0, signature_interval=0, verification_per_day=1_000_000
)
# The emulator these tests (and the rehearsal) run as LeanCloud: demo credentials, no limits.
UPSTREAM_CONFIG = EmulatorConfig(
    app_id=DEMO_APP_ID,
    app_key=DEMO_APP_KEY,
    master_key=DEMO_MASTER_KEY,
    limits=NO_UPSTREAM_LIMITS,
)


# --- plumbing --------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Answer:
    """One HTTP answer of a site, kept for the assertions."""

    site: str
    path: str
    status: int
    body: Any
    retry_after: str | None

    def __repr__(self) -> str:
        return f"<{self.status} from {self.site}{self.path}: {self.body!r}>"


@dataclass
class Instance:
    """One gunicorn instance of the example site."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        """What gunicorn printed so far."""
        return self.log.read_text(encoding="utf-8", errors="replace")

    def post(self, path: str, body: dict[str, Any]) -> Answer:
        """A JSON POST to ``/auth/phone/<path>``, on a connection of its own."""
        full = f"/auth/phone/{path}"
        with requests.Session() as http:
            http.trust_env = False  # never through a proxy
            response = http.post(self.url + full, json=body, timeout=REQUEST_TIMEOUT)
        try:
            payload: Any = response.json()
        except ValueError:
            payload = response.text[:500]
        return Answer(
            self.url, full, response.status_code, payload, response.headers.get("Retry-After")
        )


@dataclass
class Cluster:
    """The two instances and their shared upstream, database and cache."""

    emulator: RunningServer
    sites: tuple[Instance, Instance]
    database: str
    cache_prefix: str

    def outbox(self, phone: str) -> list[dict[str, Any]]:
        """The emulator's messages to ``phone``, oldest first, read over HTTP."""
        response = requests.get(
            f"{self.emulator.url}/emulator/v1/messages",
            params={"mobilePhoneNumber": phone},
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code == 200, response.text
        messages: list[dict[str, Any]] = response.json()["messages"]
        return messages

    def latest_code(self, phone: str) -> str:
        """The code of the newest message to ``phone`` (the one a person would type)."""
        codes = [message["code"] for message in self.outbox(phone) if message["code"]]
        assert codes, f"no code was sent to {phone}"
        return str(codes[-1])

    def local_users_with(self, phone: str) -> int:
        """How many local phone profiles hold ``phone``, straight from PostgreSQL."""
        with psycopg.connect(_conninfo(self.database)) as conn:
            row = conn.execute(PROFILES_WITH_PHONE, (phone,)).fetchone()
        assert row is not None
        return int(row[0])


def _conninfo(dbname: str) -> str:
    return make_conninfo(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _fresh_phone() -> str:
    """A valid CN mobile number no other test of this run uses."""
    return f"+86139{random.randrange(10**8):08d}"


def _site_env(emulator_url: str, database: str) -> dict[str, str]:
    """The example site's environment: production-like, on the shared services and upstream.

    Nothing of the caller's own example-site configuration leaks in.
    """
    inherited = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LEANCLOUD_", "DJANGO_", "EXAMPLE_", "EMULATOR_"))
    }
    return {
        **inherited,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": f"two-instances-test-only-{RUN}",
        "LEANCLOUD_SERVER_URL": emulator_url,
        "LEANCLOUD_APP_ID": DEMO_APP_ID,
        "LEANCLOUD_APP_KEY": DEMO_APP_KEY,
        "LEANCLOUD_MASTER_KEY": DEMO_MASTER_KEY,
        "EXAMPLE_PG_NAME": database,
        "EXAMPLE_PG_HOST": PG_HOST,
        "EXAMPLE_PG_PORT": PG_PORT,
        "EXAMPLE_PG_USER": PG_USER,
        "EXAMPLE_REDIS_URL": REDIS_URL,
        "EXAMPLE_CACHE_PREFIX": RUN,
        "PYTHONUNBUFFERED": "1",
    }


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Stop gunicorn arbiters and their workers (each instance its own process group)."""
    running = [process for process in processes if process.poll() is None]
    for process in running:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
    for process in running:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _start(env: dict[str, str], log: Path) -> Instance:
    port = _free_port()
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*GUNICORN, "--bind", f"127.0.0.1:{port}"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so teardown reaches the workers
        )
    return Instance(f"http://127.0.0.1:{port}", process, log)


def _wait_until_up(site: Instance, deadline: float) -> None:
    while True:
        try:
            # The arbiter listens before its workers have imported Django: allow for that.
            response = requests.get(site.url + "/", timeout=10)
        except (requests.ConnectionError, requests.Timeout):
            if time.monotonic() > deadline or site.process.poll() is not None:
                raise AssertionError(
                    f"gunicorn on {site.url} did not start:\n{site.output()}"
                ) from None
            time.sleep(0.2)
            continue
        assert response.status_code == 200, f"{site.url}/ answered {response.status_code}"
        return


def _in_parallel(count: int, prepare: Callable[[int], Callable[[], Answer]]) -> list[Answer]:
    """``count`` clients on threads of their own: each prepares its request (``prepare(i)``),
    then all fire it at once."""
    start = threading.Barrier(count)

    def client(i: int) -> Answer:
        request = prepare(i)
        start.wait(timeout=REQUEST_TIMEOUT)
        return request()

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(client, range(count)))


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def upstream() -> Iterator[RunningServer]:
    """One emulator over HTTP, with the demo credentials, for both instances."""
    with serve_in_thread(Emulator(UPSTREAM_CONFIG)) as running:
        yield running


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, dropped afterwards."""
    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(RUN))
    drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(RUN))
    with psycopg.connect(_conninfo("postgres"), autocommit=True) as conn:
        conn.execute(drop)
        conn.execute(create)
    try:
        yield RUN
    finally:
        with psycopg.connect(_conninfo("postgres"), autocommit=True) as conn:
            conn.execute(drop)


@pytest.fixture(scope="module")
def cache_prefix() -> Iterator[str]:
    """This run's key prefix in the shared Redis; its keys are deleted afterwards."""
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    try:
        yield RUN
    finally:
        keys = list(client.scan_iter(match=f"{RUN}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@pytest.fixture(scope="module")
def cluster(
    upstream: RunningServer,
    database: str,
    cache_prefix: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Cluster]:
    """Migrate once, then two gunicorn instances (2 workers x 4 threads each) on free ports."""
    env = _site_env(upstream.url, database)
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert migrate.returncode == 0, migrate.stdout + migrate.stderr
    logs = tmp_path_factory.mktemp("two-instances")
    sites: list[Instance] = []
    try:
        for name in ("a", "b"):
            sites.append(_start(env, logs / f"gunicorn-{name}.log"))
        deadline = time.monotonic() + 60
        for site in sites:
            _wait_until_up(site, deadline)
        yield Cluster(upstream, (sites[0], sites[1]), database, cache_prefix)
    finally:
        _stop([site.process for site in sites])


# --- tests -----------------------------------------------------------------------------------


def test_resend_cooldown_holds_across_instances(cluster: Cluster) -> None:
    """A code request on A, then on B: B refuses with 429 and only one SMS goes out."""
    a, b = cluster.sites

    first = a.post("sms-code/", {"phone": PHONE})
    assert first.status == 202, first

    second = b.post("sms-code/", {"phone": PHONE})
    assert second.status == 429, second
    assert isinstance(second.body, dict), second
    assert second.body["code"] == "sms_rate_limited", second
    assert second.retry_after is not None, second
    assert int(second.retry_after) >= 1, second

    outbox = cluster.outbox(PHONE)
    assert len(outbox) == 1, outbox


def test_concurrent_signups_over_both_instances(cluster: Cluster) -> None:
    """20 clients, alternating instances: one SMS, one local user, at least one 201, no 5xx."""
    phone = _fresh_phone()

    def site_of(i: int) -> Instance:
        return cluster.sites[i % 2]

    def send(i: int) -> Callable[[], Answer]:
        return lambda: site_of(i).post("sms-code/", {"phone": phone})

    sends = _in_parallel(CLIENTS, send)
    outbox = cluster.outbox(phone)
    assert outbox, sends

    def sign_up(i: int) -> Callable[[], Answer]:
        code = cluster.latest_code(phone)  # each client reads the code, as a person would
        return lambda: site_of(i).post("signup/", {"phone": phone, "code": code})

    signups = _in_parallel(CLIENTS, sign_up)

    # Whatever the cooldown does: no request failed, and the race made exactly one user.
    failures = [answer for answer in sends + signups if answer.status >= 500]
    assert not failures
    assert cluster.local_users_with(phone) == 1
    signup_statuses = sorted(answer.status for answer in signups)
    assert 201 in signup_statuses, signups

    # The cooldown: exactly one send went through, on one instance; the others were refused.
    send_statuses = sorted(answer.status for answer in sends)
    assert send_statuses == [202] + [429] * (CLIENTS - 1), sends
    assert len(outbox) == 1, outbox
