"""The cutover rehearsed with real processes: PostgreSQL, Redis, the emulator over HTTP playing
LeanCloud, the example site under gunicorn, and LeanCloud's official Python and JS SDKs.

The story (docs/migrating-off-leancloud.md, "Rehearse the cutover"):

1. Users are made straight on LeanCloud with the SDKs: by SMS code only, by code and then a
   password, by username with an unverified number, by username alone, and one by the JS SDK.
2. The site runs on LeanCloud; the export is taken and imported.
3. After the export: one user signs in through ``auth/phone/`` (its password is captured),
   one resets its password through the site, one changes it through the site
   (``password/change/``), one changes it straight on LeanCloud, and a new user signs up
   through the site.
4. A delta import; ``lc_cutover_check`` names exactly the user who changed its password on
   LeanCloud; ``lc_cutover``. No SMS has gone out since the export's sign-ins.
5. The site restarts on the local provider and the emulator stops. Every other user signs in
   with its latest password through ``auth/phone/`` and through both SDKs pointed at the site
   (the username users by username), and the SDK sessions made before still answer
   ``users/me``. No SMS goes out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from django_lc_phone.emulator import (
    DEMO_APP_ID,
    DEMO_APP_KEY,
    DEMO_MASTER_KEY,
    Emulator,
    serve_in_thread,
)
from django_lc_phone.leancloud.wire import HEADER_ID, HEADER_KEY
from tests.settings import USE_SERVICES
from tests.test_official_js_sdk import js_sdk  # noqa: F401 (the fixture)
from tests.test_official_python_sdk import _sdk_python
from tests.test_two_instances import (
    UPSTREAM_CONFIG,
    Instance,
    _site_env,
    _start,
    _stop,
    _wait_until_up,
    cache_prefix,  # noqa: F401 (the fixture)
    database,  # noqa: F401 (the fixture)
)

pytestmark = [
    pytest.mark.skipif(
        not USE_SERVICES, reason="needs PostgreSQL and Redis on 127.0.0.1 (see tests/settings.py)"
    ),
    pytest.mark.timeout(600),
]

ROOT = Path(__file__).resolve().parent.parent
SDK_DIR = ROOT / "tests" / "sdk"
NEW_USER = {"phone": "+8613700000008", "password": "site-Signup-8"}
# The console gateway's line for every message it sends (sms/console.py).
SMS_SENT = "code is"


def _run(argv: list[str], env: dict[str, str], *, cwd: Path = ROOT) -> str:
    result = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _manage(env: dict[str, str], *args: str) -> str:
    return _run([sys.executable, "manage.py", *args], env)


def _python_sdk(server: str, *args: str) -> list[dict[str, Any]]:
    env = {**os.environ, "LEANCLOUD_API_SERVER": server}
    env.pop("LEANCLOUD_APP_ENV", None)
    out = _run(
        [
            str(_sdk_python()),
            str(SDK_DIR / "rehearsal_python.py"),
            DEMO_APP_ID,
            DEMO_APP_KEY,
            *args,
        ],
        env,
    )
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _js_sdk(js_dir: Path, server: str, action: str, **extra: str) -> list[dict[str, Any]]:
    env = {
        **os.environ,
        "LC_SERVER_URL": server,
        "LC_APP_ID": DEMO_APP_ID,
        "LC_APP_KEY": DEMO_APP_KEY,
        "LC_OUTBOX_URL": f"{server}/emulator/v1/messages",
        "LC_ACTION": action,
        **extra,
    }
    out = _run(["node", str(js_dir / "rehearsal.mjs")], env, cwd=js_dir)
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def _code(emulator_url: str, phone: str, purpose: str) -> str:
    deadline = time.monotonic() + 10
    while True:
        messages = requests.get(
            f"{emulator_url}/emulator/v1/messages",
            params={"mobilePhoneNumber": phone},
            timeout=10,
        ).json()["messages"]
        codes = [m["code"] for m in messages if m["purpose"] == purpose]
        if codes:
            return str(codes[-1])
        assert time.monotonic() < deadline, f"no {purpose} code for {phone}"
        time.sleep(0.05)


def _sent(emulator_url: str) -> int:
    messages = requests.get(f"{emulator_url}/emulator/v1/messages", timeout=10).json()
    return len(messages["messages"])


def _login(site: Instance, phone: str, password: str) -> int:
    return site.post("login/", {"phone": phone, "password": password}).status


def test_the_cutover_loses_no_user_password_or_session(
    database: str,  # noqa: F811
    cache_prefix: str,  # noqa: F811
    js_sdk: Path,  # noqa: F811
    tmp_path: Path,
) -> None:
    with serve_in_thread(Emulator(UPSTREAM_CONFIG)) as leancloud:
        # 1. Users made straight on LeanCloud by its SDKs.
        users: dict[str, dict[str, Any]] = _python_sdk(leancloud.url, "create")[-1]["users"]
        users["js"] = _js_sdk(js_sdk, leancloud.url, "create")[-1]["user"]

        # 2. The site on LeanCloud; the export taken and imported.
        env = _site_env(leancloud.url, database)
        _manage(env, "migrate", "--noinput")
        export = requests.get(
            f"{leancloud.url}/emulator/v1/export/_User",
            headers={HEADER_ID: DEMO_APP_ID, HEADER_KEY: f"{DEMO_MASTER_KEY},master"},
            timeout=30,
        )
        assert export.status_code == 200, export.text
        exported = tmp_path / "_User.json"
        exported.write_bytes(export.content)
        _manage(env, "lc_import_users", str(exported))
        site = _start(env, tmp_path / "leancloud-mode.log")
        try:
            _wait_until_up(site, time.monotonic() + 60)
            # 3. After the export.
            known = users["phone_password"]
            assert _login(site, known["phone"], known["password"]) == 200  # captured
            resets = users["resets_on_site"]
            assert site.post("password-reset/sms-code/", {"phone": resets["phone"]}).status == 202
            reset = site.post(
                "password-reset/",
                {
                    "phone": resets["phone"],
                    "code": _code(leancloud.url, resets["phone"], "reset_password"),
                    "password": "after-Reset-3",
                },
            )
            assert reset.status == 200, reset
            resets["latest_password"] = "after-Reset-3"
            resets.pop("session")  # a reset through the site ends the user's sessions
            changes = users["changes_on_site"]
            signed_in = site.post(
                "login/", {"phone": changes["phone"], "password": changes["password"]}
            )
            assert signed_in.status == 200, signed_in
            changed = requests.post(
                f"{site.url}/auth/phone/password/change/",
                json={"old_password": changes["password"], "new_password": "after-Change-9"},
                headers={"Authorization": f"Token {signed_in.body['token']}"},
                timeout=30,
            )
            assert changed.status_code == 200, changed.text
            changes["latest_password"] = "after-Change-9"
            changes.pop("session")  # LeanCloud's updatePassword rotated the SDK's session
            upstream = users["changes_upstream"]
            _python_sdk(
                leancloud.url, "change", upstream["phone"], upstream["password"], "after-Change-4"
            )
            upstream["latest_password"] = "after-Change-4"
            upstream["needs_reset"] = True
            upstream.pop("session")  # LeanCloud rotated it
            assert site.post("sms-code/", {"phone": NEW_USER["phone"]}).status == 202
            signup = site.post(
                "signup/",
                {**NEW_USER, "code": _code(leancloud.url, NEW_USER["phone"], "generic")},
            )
            assert signup.status == 201, signup

            # 4. The delta import, the check, the data steps: no SMS goes out.
            sent = _sent(leancloud.url)
            _manage(env, "lc_import_users", "--from-api", "--updated-since", "auto")
            report = json.loads(
                subprocess.run(
                    [sys.executable, "manage.py", "lc_cutover_check", "--json"],
                    cwd=ROOT,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    check=False,
                ).stdout
            )
            items = {item["id"]: item for item in report["items"]}
            assert items["password_resets"]["object_ids"] == [upstream["object_id"]], items
            _manage(env, "lc_cutover")
            assert _sent(leancloud.url) == sent
        finally:
            _stop([site.process])

    # 5. The site on the local provider; LeanCloud is gone.
    local_env = {**env, "LC_PHONE_PROVIDER": "local"}
    local_env.pop("LEANCLOUD_SERVER_URL")
    site = _start(local_env, tmp_path / "local-mode.log")
    try:
        _wait_until_up(site, time.monotonic() + 60)
        for name in ("phone_password", "js"):
            users[name]["latest_password"] = users[name]["password"]
        for name in ("unverified", "username_only"):
            users[name]["latest_password"] = users[name]["password"]
        for name in ("phone_password", "resets_on_site", "changes_on_site", "js"):
            user = users[name]
            assert _login(site, user["phone"], user["latest_password"]) == 200, name
        assert _login(site, NEW_USER["phone"], NEW_USER["password"]) == 200
        assert _login(site, upstream["phone"], upstream["latest_password"]) == 401

        python_users = {k: v for k, v in users.items() if k != "js"}
        listed = tmp_path / "users.json"
        listed.write_text(json.dumps(python_users))
        steps = _python_sdk(site.url, "after", str(listed))
        kept = sorted(s["user"] for s in steps if s["step"] == "session_kept")
        assert kept == ["phone_password", "sms_only", "unverified", "username_only"]
        signed = sorted(s["user"] for s in steps if s["step"] == "signed_in")
        assert signed == [
            "changes_on_site",
            "phone_password",
            "resets_on_site",
            "unverified",
            "username_only",
        ]
        assert [s["user"] for s in steps if s["step"] == "refused"] == ["changes_upstream"]
        js = _js_sdk(js_sdk, site.url, "after", LC_USER=json.dumps(users["js"]))
        assert [s["step"] for s in js] == ["session_kept", "signed_in"]
        assert SMS_SENT not in site.output()
    finally:
        _stop([site.process])
