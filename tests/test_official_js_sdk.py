"""LeanCloud's official JavaScript SDK, unchanged, completes every phone flow against the emulator.

``tests/sdk/js/flow.mjs`` drives ``leancloud-storage`` (pinned by ``tests/sdk/js/package.json``
and its lock file) over real HTTP and prints one JSON line per step. ``npm ci`` installs it
into ``tests/sdk/js/node_modules`` once per session, with its download cache under
``.sdk-venvs/js`` so later runs work offline. Without Node.js the test is skipped, except
under ``CI=true``, where it fails.

:func:`run_js_flow` takes nothing but a server and its side doors (outbox, clock), so the same
flow can run against any LeanCloud-compatible target.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, NoReturn

import pytest

from django_lc_phone.emulator import RunningServer
from django_lc_phone.leancloud import LeanCloudClient

ROOT = Path(__file__).resolve().parent.parent
JS_DIR = ROOT / "tests" / "sdk" / "js"
FLOW = JS_DIR / "flow.mjs"
NPM_CACHE = ROOT / ".sdk-venvs" / "js" / "npm-cache"
SDK_VERSION = json.loads((JS_DIR / "package.json").read_text())["dependencies"]["leancloud-storage"]
MIN_NODE = 18  # global fetch

PHONE = "+8613800138000"
NEW_PHONE = "+8613900139000"
OTHER_PHONE = "+8613700137000"
MISSING_PHONE = "The mobile phone number is missing, and must be specified."


# The steps flow.mjs reports, in order, against every target.
JS_FLOW_STEPS = [
    "init",
    "request_sms_code",
    "wrong_code",
    "signup_with_code",
    "set_password",
    "login_with_password",
    "become_and_fetch",
    "login_with_sms_code",
    "reset_password",
    "change_phone",
    "signup_with_username",
    "verify_phone",
    "done",
]


def _missing_node(reason: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}; CI=true needs the official JavaScript SDK test to run")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def js_sdk() -> Path:
    """``tests/sdk/js`` with its locked ``node_modules`` installed (``npm ci``, once)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        _missing_node("node and npm are needed for the official JavaScript SDK")
    version = subprocess.run(
        [node, "--version"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < MIN_NODE:
        _missing_node(f"Node.js {version} is older than {MIN_NODE}")
    NPM_CACHE.mkdir(parents=True, exist_ok=True)
    install = subprocess.run(
        [
            npm,
            "ci",
            "--prefer-offline",
            "--ignore-scripts",  # the SDK needs no build step; nothing runs at install
            "--no-audit",
            "--no-fund",
            "--cache",
            str(NPM_CACHE),
        ],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return JS_DIR


def run_js_flow(
    server_url: str,
    app_id: str,
    app_key: str,
    outbox_url: str,
    clock_url: str | None,
    target: str = "emulator",
    extra_env: dict[str, str] | None = None,
) -> list[dict[str, Any]]:
    """Run ``flow.mjs`` against ``server_url``; its steps, in order. Fails if the flow fails.

    ``outbox_url`` answers ``GET ?mobilePhoneNumber=`` with ``{"messages": [{"code"}, ...]}``;
    ``clock_url`` (optional) takes ``POST {"advance": seconds}``, without it the flow waits out
    the per-number SMS limits. ``target`` is ``"emulator"`` or ``"site"`` (the Django site's
    compat endpoints, which sign nobody up without an SMS code; see ``flow.mjs``), with
    ``extra_env`` for what that target needs (``LC_IMPORTED_PHONE``...).
    """
    node = shutil.which("node")
    assert node is not None
    env = {
        **os.environ,
        "LC_SERVER_URL": server_url,
        "LC_APP_ID": app_id,
        "LC_APP_KEY": app_key,
        "LC_OUTBOX_URL": outbox_url,
        "LC_CLOCK_URL": clock_url or "",
        "LC_FLOW_TARGET": target,
        **(extra_env or {}),
    }
    env.pop("DEBUG", None)  # the SDK's debug logging would go to stderr, unasked
    result = subprocess.run(
        [node, str(FLOW)],
        cwd=JS_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=150 if clock_url else 400,
    )
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert result.returncode == 0, result.stdout + result.stderr
    assert all(step["ok"] for step in steps), result.stdout
    return steps


def _wire(step: dict[str, Any]) -> list[tuple[str, str, tuple[str, ...], int]]:
    """A step's requests as (method, path with codes and ids blanked, body keys, status)."""
    shapes = []
    for request in step["requests"]:
        parts = request["path"].split("/")
        if len(parts) == 4 and parts[2] in {"resetPasswordBySmsCode", "verifyMobilePhone"}:
            parts[3] = "<code>"
        if len(parts) == 5 and parts[2:4] == ["classes", "_User"]:
            parts[4] = "<id>"
        shapes.append(
            (request["method"], "/".join(parts), tuple(request["body"]), request["status"])
        )
    return shapes


@pytest.mark.sdk
@pytest.mark.timeout(180)
def test_official_js_sdk_completes_every_phone_flow(
    js_sdk: Path, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    config = emulator.config
    control = f"{emulator_server.url}/emulator/v1"
    steps = run_js_flow(
        emulator_server.url,
        config.app_id,
        config.app_key,
        f"{control}/messages",
        f"{control}/clock",
    )
    by_name = {step["step"]: step for step in steps}
    assert [step["step"] for step in steps] == JS_FLOW_STEPS
    assert by_name["init"]["sdk_version"] == SDK_VERSION

    # What each SDK call put on the wire, and what the emulator answered.
    wire = {name: _wire(step) for name, step in by_name.items()}
    assert wire["request_sms_code"] == [
        ("POST", "/1.1/requestSmsCode", ("mobilePhoneNumber",), 200)
    ]
    assert wire["wrong_code"] == [
        ("POST", "/1.1/usersByMobilePhone", ("mobilePhoneNumber", "smsCode"), 400)
    ]
    assert by_name["wrong_code"]["code"] == 603
    assert by_name["wrong_code"]["error"] == "Invalid SMS code."
    assert wire["signup_with_code"] == [
        ("POST", "/1.1/usersByMobilePhone", ("mobilePhoneNumber", "smsCode"), 201)
    ]
    assert wire["set_password"] == [("PUT", "/1.1/classes/_User/<id>", ("password",), 200)]
    assert wire["login_with_password"] == [
        ("POST", "/1.1/login", ("mobilePhoneNumber", "password"), 200)
    ]
    assert wire["become_and_fetch"] == [
        ("GET", "/1.1/users/me", (), 200),  # become
        ("GET", "/1.1/users/me", (), 200),  # isAuthenticated
        ("GET", "/1.1/classes/_User/<id>", (), 200),  # fetch
    ]
    assert wire["login_with_sms_code"] == [
        ("POST", "/1.1/requestLoginSmsCode", ("mobilePhoneNumber",), 200),
        ("POST", "/1.1/login", ("mobilePhoneNumber", "smsCode"), 200),
    ]
    assert wire["change_phone"] == [
        ("POST", "/1.1/requestChangePhoneNumber", ("mobilePhoneNumber",), 200),
        ("POST", "/1.1/changePhoneNumber", ("code", "mobilePhoneNumber"), 200),
        ("GET", "/1.1/classes/_User/<id>", (), 200),
    ]
    assert all(r["session"] for r in by_name["change_phone"]["requests"])
    assert wire["signup_with_username"] == [
        ("POST", "/1.1/users", ("mobilePhoneNumber", "password", "username"), 201)
    ]

    # The SDK sends no mobilePhoneNumber to resetPasswordBySmsCode / verifyMobilePhone (its
    # signatures take none); the emulator requires one, so the flow repeats the request with it.
    assert wire["reset_password"] == [
        ("POST", "/1.1/requestPasswordResetBySmsCode", ("mobilePhoneNumber",), 200),
        ("PUT", "/1.1/resetPasswordBySmsCode/<code>", ("password",), 400),  # the SDK's own
        ("PUT", "/1.1/resetPasswordBySmsCode/<code>", ("mobilePhoneNumber", "password"), 200),
        ("POST", "/1.1/login", ("mobilePhoneNumber", "password"), 400),  # the old password
        ("POST", "/1.1/login", ("mobilePhoneNumber", "password"), 200),
    ]
    assert by_name["reset_password"]["old_password_code"] == 210
    assert wire["verify_phone"] == [
        ("POST", "/1.1/requestMobilePhoneVerify", ("mobilePhoneNumber",), 200),
        ("POST", "/1.1/verifyMobilePhone/<code>", (), 400),  # the SDK's own
        ("POST", "/1.1/verifyMobilePhone/<code>", ("mobilePhoneNumber",), 200),
        ("GET", "/1.1/classes/_User/<id>", (), 200),
    ]
    for name in ("reset_password", "verify_phone"):
        refused = by_name[name]["sdk_refused"]
        assert (refused["code"], refused["error"]) == (212, MISSING_PHONE)

    # One user came back through every login of the phone account.
    first = by_name["signup_with_code"]["object_id"]
    for name in ("login_with_password", "become_and_fetch", "login_with_sms_code"):
        assert by_name[name]["object_id"] == first
    assert by_name["reset_password"]["object_id"] == first
    assert by_name["change_phone"]["object_id"] == first
    second = by_name["signup_with_username"]["object_id"]
    assert by_name["signup_with_username"]["verified"] is False
    assert by_name["verify_phone"]["object_id"] == second

    # The emulator's state afterwards, read back over its API with the master key.
    client = LeanCloudClient(
        config.app_id, config.app_key, master_key=config.master_key, server_url=emulator_server.url
    )
    try:
        stored = {user["objectId"]: user for user in client.iter_users()}
    finally:
        client.close()
    assert set(stored) == {first, second}
    assert stored[first]["mobilePhoneNumber"] == NEW_PHONE
    assert stored[first]["mobilePhoneVerified"] is True
    assert stored[first]["username"] == PHONE  # a phone sign-up's username is the number
    assert stored[second]["username"] == "js-sdk-user"
    assert stored[second]["mobilePhoneNumber"] == OTHER_PHONE
    assert stored[second]["mobilePhoneVerified"] is True

    # Every code the SDK used was one the emulator really sent, to the right number.
    sent = [(m["mobilePhoneNumber"], m["purpose"]) for m in emulator.messages()]
    assert sent == [
        (PHONE, "generic"),
        (PHONE, "login"),
        (PHONE, "reset_password"),
        (NEW_PHONE, "change_phone"),
        (OTHER_PHONE, "verify_phone"),
    ]
