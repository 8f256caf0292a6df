"""The example site's test controls (inbox, outbox, clock) exist only with DEBUG, its clock moves
only by a bounded amount, and its limits live in a cache that never evicts them.

Each configuration runs in its own process, as ``example_project.wsgi`` would serve it: the
requests go through the site's WSGI application (the emulator routing included), in process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.test_example_site import ROOT, _env

# Runs in the site's process: migrate, then each request through the WSGI application, with
# the demo app's id and key (which only /1.1/ reads).
_PROBE = """
import json, sys
from io import BytesIO
from wsgiref.util import setup_testing_defaults

import example_project.wsgi as wsgi
from django.core.management import call_command
from django_lc_phone.conf import get_settings
from django_lc_phone.emulator import DEMO_APP_ID, DEMO_APP_KEY

call_command("migrate", verbosity=0, interactive=False)
answers = []
for method, path, body in json.loads(sys.argv[1]):
    data = body.encode()
    environ = {
        "REQUEST_METHOD": method, "PATH_INFO": path, "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)), "wsgi.input": BytesIO(data),
        "HTTP_X_LC_ID": DEMO_APP_ID, "HTTP_X_LC_KEY": DEMO_APP_KEY,
    }
    setup_testing_defaults(environ)
    status = []
    content = b"".join(wsgi.application(environ, lambda s, h, e=None: status.append(s)))
    answers.append([int(status[0].split()[0]), content.decode(errors="replace")[-300:]])
print(json.dumps({"answers": answers, "clock": get_settings().CLOCK}))
"""

CONTROLS = [
    ("GET", "/emulator/", ""),
    ("GET", "/emulator/v1/messages", ""),
    ("GET", "/emulator/v1/clock", ""),
    ("POST", "/emulator/v1/clock", '{"advance": 86400}'),
]
EMULATOR_CONTROLS = [
    ("POST", "/emulator/v1/reset", ""),
    ("GET", "/emulator/v1/faults", ""),
    ("POST", "/emulator/v1/faults", '{"fault": "drop", "count": 100}'),
]
SMS = ("POST", "/auth/phone/sms-code/", '{"phone": "+8613800138000"}')


def _probe(tmp: Path, requests: list[tuple[str, str, str]], **env: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(requests)],
        cwd=ROOT,
        env=_env(tmp, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _statuses(result: dict[str, Any]) -> list[int]:
    return [status for status, _ in result["answers"]]


@pytest.mark.parametrize("mode", ["local", "emulator"])
def test_without_debug_no_test_control_is_served(tmp_path: Path, mode: str) -> None:
    """Finding 14: with DEBUG off the example site served its clock, outbox and inbox (and in
    emulator mode every emulator control) to anybody: one anonymous clock advance reset every
    limit. Now they are 404 and the limits run on the real clock; the phone API and, in
    emulator mode, LeanCloud's ``/1.1/`` (the upstream) still work."""
    provider = {"LC_PHONE_PROVIDER": "local"} if mode == "local" else {}
    extra = EMULATOR_CONTROLS if mode == "emulator" else []
    upstream = [("GET", "/1.1/date", "")] if mode == "emulator" else []
    result = _probe(tmp_path, [*CONTROLS, *extra, SMS, *upstream], DJANGO_DEBUG="0", **provider)
    assert _statuses(result) == [404] * (len(CONTROLS) + len(extra)) + [202] + [200] * len(upstream)
    assert result["clock"] is None


@pytest.mark.parametrize("mode", ["local", "emulator"])
def test_with_debug_the_test_controls_are_served(tmp_path: Path, mode: str) -> None:
    provider = {"LC_PHONE_PROVIDER": "local"} if mode == "local" else {}
    result = _probe(tmp_path, CONTROLS, **provider)
    assert _statuses(result) == [200] * len(CONTROLS)
    assert result["clock"] == f"example_project.{'outbox' if mode == 'local' else 'emulator'}.now"
    advanced = json.loads(result["answers"][-1][1])["now"]
    before = json.loads(result["answers"][-2][1])["now"]
    assert advanced - before == pytest.approx(86400, abs=5)


# What the clock control must refuse: not finite, negative, past the bound, not a number.
BAD_ADVANCES = [
    '{"advance": 1e308}',
    '{"advance": Infinity}',
    '{"advance": NaN}',
    '{"advance": -61}',
    '{"advance": 31536001}',
    '{"advance": "61"}',
    '{"advance": true}',
    "[61]",
    "not json",
]


def test_the_local_clock_moves_only_by_a_finite_bounded_amount(tmp_path: Path) -> None:
    """Finding 14: ``{"advance": 1e308}`` was taken, and every page that computed a date from
    the limits' clock failed (500) until a restart; negatives moved it back. Now each is a clear
    400, the clock stays, and the site keeps working."""
    clock = ("GET", "/emulator/v1/clock", "")
    moves = [("POST", "/emulator/v1/clock", body) for body in BAD_ADVANCES]
    result = _probe(tmp_path, [clock, *moves, clock, SMS], LC_PHONE_PROVIDER="local")
    (_, before), *refusals, (_, after), (sent, _) = result["answers"]
    for body, (status, refusal) in zip(BAD_ADVANCES, refusals, strict=True):
        assert status == 400, (body, refusal)
        assert json.loads(refusal)["error"], body
    assert json.loads(after)["now"] - json.loads(before)["now"] == pytest.approx(0, abs=5)
    assert sent == 202


def test_the_local_clock_runs_at_most_a_year_ahead_in_all(tmp_path: Path) -> None:
    """Finding 14: bounded steps cannot add up past the bound either."""
    half = ("POST", "/emulator/v1/clock", json.dumps({"advance": 365 * 24 * 3600 // 2}))
    more = ("POST", "/emulator/v1/clock", '{"advance": 3600}')
    result = _probe(tmp_path, [half, half, more, SMS], LC_PHONE_PROVIDER="local")
    assert _statuses(result) == [200, 200, 400, 202]
    assert "a year" in json.loads(result["answers"][2][1])["error"]


# Fills the limits' cache well past LocMemCache's default 300 entries, then reads the first.
_FILL = """
from django.conf import settings
from django.core.cache import caches
from django_lc_phone.conf import get_settings
from django_lc_phone.guards.windows import cache
limits = cache()
limits.set("lc_phone:a-lockout", 1, timeout=900)
for i in range(2000):
    limits.set(f"lc_phone:rl:filler:{i}", 1, timeout=60)
alias = get_settings().CACHE
print(alias, type(limits).__name__, limits.get("lc_phone:a-lockout"), alias in settings.CACHES)
"""


def test_the_limits_cache_never_evicts_a_limit(tmp_path: Path) -> None:
    """Finding 1: the example site kept its limits in the default LocMemCache, which culls a
    third of its entries at 300: a burst of requests evicted lockouts and cooldowns. Now they
    have an alias of their own (``LC_PHONE["CACHE"]``) that never culls."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", _FILL],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    alias, backend, kept, configured = done.stdout.strip().splitlines()[-1].split()
    assert alias != "default"
    assert configured == "True"
    assert backend == "LocMemCache"
    assert kept == "1"


def test_with_redis_the_limits_live_in_redis(tmp_path: Path) -> None:
    """``EXAMPLE_REDIS_URL`` puts the limits' alias on Redis (the settings say it must not
    evict); only the settings are read here, no Redis is needed."""
    show = (
        "from django.conf import settings; from django_lc_phone.conf import get_settings; "
        "print(settings.CACHES[get_settings().CACHE]['BACKEND'])"
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", show],
        cwd=ROOT,
        env=_env(tmp_path, EXAMPLE_REDIS_URL="redis://127.0.0.1:6379/9"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.split()[-1] == "django.core.cache.backends.redis.RedisCache"
