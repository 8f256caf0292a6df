"""Figure 3: upstream calls, database queries and Redis round trips of every endpoint of the
phone API.

Run in a child process, ``python -m bench.figures.cost`` (with ``bench.cost_settings``): it
walks through every flow with Django's test client, the LeanCloud client talking to the
example site's in-process emulator through a counter, ``CaptureQueriesContext`` counting the
queries, and, with ``redis_url``, the caches on that Redis with every round trip counted
(each command, pipeline or script redis-py sends): those made before the answer leaves the
outermost middleware (:class:`AnswerMark`), and those after it (a success's release of its
limits). Prints one JSON object: a list of rows. The suite's tests assert these numbers; this
table only shows them side by side.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

UPSTREAM_CALLS: list[str] = []
# Round trips to Redis so far, and their count when the current request's answer was ready.
REDIS_ROUND_TRIPS = [0]
AT_ANSWER = [0]


def count_redis_round_trips() -> None:
    """Count every round trip redis-py makes (one per command, pipeline or script)."""
    from redis.connection import AbstractConnection

    send = AbstractConnection.send_packed_command

    def counting(self: AbstractConnection, *args: Any, **kwargs: Any) -> None:
        REDIS_ROUND_TRIPS[0] += 1
        send(self, *args, **kwargs)  # type: ignore[no-untyped-call]

    AbstractConnection.send_packed_command = counting  # type: ignore[method-assign]


class AnswerMark:
    """The outermost middleware: notes the round trips made by the time the answer is ready."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        response = self.get_response(request)
        AT_ANSWER[0] = REDIS_ROUND_TRIPS[0]
        return response


def session() -> Any:
    """``HTTP_SESSION_FACTORY``: the example site's in-process emulator, counted."""
    from django_lc_phone.testing.inprocess import wsgi_session
    from example_project import emulator

    def counting(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "").startswith("/1.1/"):
            UPSTREAM_CALLS.append(f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}")
        return emulator._as_site(environ, start_response)

    return wsgi_session(counting, emulator.INPROCESS_URL)


@dataclass
class Row:
    """One request of a flow."""

    endpoint: str
    case: str
    status: int
    upstream: int
    queries: int
    redis: int | None = None  # round trips before the answer (None: not on Redis)
    redis_after: int | None = None  # and after it


class Walker:
    """Sends the API requests and records what each one cost."""

    def __init__(self, local: bool) -> None:
        from django.test import Client

        self.local = local
        self.client = Client()
        self.rows: list[Row] = []

    def call(
        self,
        method: str,
        endpoint: str,
        body: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        case: str = "",
    ) -> dict[str, Any]:
        """One request; its status, upstream calls and queries become a row."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        headers = {"HTTP_AUTHORIZATION": f"Token {token}"} if token else {}
        UPSTREAM_CALLS.clear()
        REDIS_ROUND_TRIPS[0] = AT_ANSWER[0] = 0
        path = f"/auth/phone/{endpoint}"
        with CaptureQueriesContext(connection) as queries:
            if method == "GET":
                response = self.client.get(path, **headers)  # type: ignore[arg-type]
            else:
                response = self.client.post(
                    path,
                    json.dumps(body or {}),
                    content_type="application/json",
                    **headers,  # type: ignore[arg-type]
                )
        row = Row(endpoint, case, response.status_code, len(UPSTREAM_CALLS), len(queries))
        if os.environ.get("EXAMPLE_REDIS_URL"):
            row.redis, row.redis_after = AT_ANSWER[0], REDIS_ROUND_TRIPS[0] - AT_ANSWER[0]
        self.rows.append(row)
        try:
            data: dict[str, Any] = response.json()
        except (ValueError, TypeError):  # 204 No Content has no JSON
            data = {}
        return data

    def code(self, phone: str) -> str:
        """The newest code sent to ``phone``; moves the clocks past every resend limit."""
        if self.local:
            from example_project import outbox

            codes = [m.code for m in outbox.sent() if m.phone == phone and m.code]
            outbox_clock_advance(120)
            return str(codes[-1])
        from example_project.emulator import emulator

        code = emulator().last_code(phone)
        emulator().clock.advance(120)
        return code


def outbox_clock_advance(seconds: float) -> None:
    """Move the local site's clock (the limits' time), as ``POST /emulator/v1/clock`` does on
    the example site with DEBUG (this figure runs with DEBUG off: no such URL)."""
    from example_project import outbox

    outbox.advance(seconds)


def captcha_answer(local: bool, token: str) -> str:
    """The emulator's answer (the local CAPTCHA's is in no store: a wrong answer then)."""
    if local:
        return "XXXX"
    from django_lc_phone.emulator import captcha
    from example_project.emulator import emulator

    with emulator().store.transaction() as db:
        return str(captcha.answer(db, token))


def unverified_user(local: bool, phone: str, password: str) -> None:
    """A user whose phone is not verified yet (for phone/verify/)."""
    if local:
        from django.contrib.auth import get_user_model

        from django_lc_phone.models import PhoneProfile

        user = get_user_model().objects.create_user(username=phone, password=password)
        PhoneProfile.objects.create(user=user, phone=phone, phone_verified=False)
        return
    from bench.upstream import login_headers
    from django_lc_phone.testing.inprocess import wsgi_session
    from example_project import emulator

    http = wsgi_session(emulator._as_site, emulator.INPROCESS_URL)
    body = {"username": phone, "password": password, "mobilePhoneNumber": phone}
    http.post(emulator.INPROCESS_URL + "/1.1/users", json=body, headers=login_headers())


def walk(local: bool) -> list[Row]:
    """Every endpoint, in the order a user meets them."""
    w = Walker(local)
    p1, p2, p3 = "+8613700001111", "+8613700002222", "+8613700003333"
    pw, pw2 = "first-Passw0rd", "second-Passw0rd"
    challenge = w.call("GET", "captcha/")
    w.call(
        "POST",
        "captcha/verify/",
        {
            "captcha_token": challenge.get("captcha_token", ""),
            "captcha_code": captcha_answer(local, challenge.get("captcha_token", "")),
        },
        case="wrong answer" if local else "",
    )
    w.call("POST", "sms-code/", {"phone": p1})
    w.call("POST", "sms-code/verify/", {"phone": p1, "code": w.code(p1)})
    w.call("POST", "sms-code/", {"phone": p1}, case="(for signup)")
    w.call("POST", "signup/", {"phone": p1, "code": w.code(p1), "password": pw}, case="new")
    w.call("POST", "login/sms-code/", {"phone": p1})
    w.call("POST", "login/", {"phone": p1, "code": w.code(p1)}, case="code")
    token = w.call("POST", "login/", {"phone": p1, "password": pw}, case="password").get("token")
    w.call("POST", "login/", {"phone": p1, "password": "wrong-Passw0rd"}, case="wrong password")
    w.call("GET", "me/", token=token)
    w.call("POST", "password-reset/sms-code/", {"phone": p1})
    w.call("POST", "password-reset/", {"phone": p1, "code": w.code(p1), "password": pw2})
    token = w.call("POST", "login/", {"phone": p1, "password": pw2}, case="password").get("token")
    w.call("POST", "phone/change/sms-code/", {"phone": p2}, token=token)
    # A phone change ends the user's other credentials and answers new ones.
    changed = w.call("POST", "phone/change/", {"phone": p2, "code": w.code(p2)}, token=token)
    token = changed.get("token", token)
    unverified_user(local, p3, pw)
    token3 = w.call("POST", "login/", {"phone": p3, "password": pw}, case="unverified").get("token")
    w.call("POST", "phone/verify/sms-code/", {}, token=token3)
    w.call("POST", "phone/verify/", {"code": w.code(p3)}, token=token3)
    w.call("POST", "logout/", token=token)
    return w.rows


def main() -> None:
    """Migrate a fresh SQLite database, walk the flows, print the rows as JSON."""
    local = os.environ.get("LC_PHONE_PROVIDER") == "local"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    if os.environ.get("EXAMPLE_REDIS_URL"):
        count_redis_round_trips()
    rows = walk(local)
    sys.stdout.write(json.dumps([r.__dict__ for r in rows]) + "\n")


def run(env: dict[str, str], redis_url: str | None = None) -> list[dict[str, Any]]:
    """Run :func:`main` in a child process with ``env`` (called from ``run.py``), its caches
    on ``redis_url`` (keys of this run only) or in local memory."""
    import subprocess

    from ..processes import ROOT

    with tempfile.TemporaryDirectory() as tmp:
        child_env = {
            **os.environ,
            **env,
            "DJANGO_SETTINGS_MODULE": "bench.cost_settings",
            "EXAMPLE_DB": str(Path(tmp) / "cost.sqlite3"),
            "EMULATOR_STATE": str(Path(tmp) / "emulator.sqlite3"),
        }
        for key in ("LEANCLOUD_SERVER_URL", "EXAMPLE_PG_NAME", "EXAMPLE_REDIS_URL"):
            child_env.pop(key, None)
        if redis_url:
            child_env["EXAMPLE_REDIS_URL"] = redis_url
            child_env["EXAMPLE_CACHE_PREFIX"] = f"bench-cost-{os.getpid()}-{Path(tmp).name}"
        done = subprocess.run(
            [sys.executable, "-m", "bench.figures.cost"],
            cwd=ROOT,
            env=child_env,
            capture_output=True,
            text=True,
            check=False,
        )
    if done.returncode != 0:
        raise RuntimeError(f"cost figure failed:\n{done.stderr[-3000:]}")
    rows: list[dict[str, Any]] = json.loads(done.stdout.strip().splitlines()[-1])
    return rows


if __name__ == "__main__":
    # Through the package, not __main__: the session factory imports bench.figures.cost, and
    # the counter must be that module's list.
    from bench.figures.cost import main as package_main

    package_main()
