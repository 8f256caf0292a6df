"""LeanCloud's official Python SDK, unchanged, completes every phone flow against the emulator.

The SDK pins an old ``requests``, so it lives in its own virtual environment under
``.sdk-venvs/`` (created once, reused by later runs) and drives the emulator over real HTTP.
"""

from __future__ import annotations

import json
import os
import subprocess
import venv
from pathlib import Path

import pytest

from django_lc_phone.emulator import Emulator, serve_in_thread

SDK_REQUIREMENT = "leancloud==3.0.2"
ROOT = Path(__file__).resolve().parent.parent
FLOW = ROOT / "tests" / "sdk" / "python_sdk_flow.py"


def _sdk_python() -> Path:
    home = ROOT / ".sdk-venvs" / SDK_REQUIREMENT.replace("==", "-")
    python = home / "bin" / "python"
    marker = home / ".installed"
    if not marker.exists():
        venv.create(home, with_pip=True, clear=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", SDK_REQUIREMENT],
            check=True,
            timeout=600,
        )
        marker.write_text(SDK_REQUIREMENT)
    return python


@pytest.mark.sdk
@pytest.mark.timeout(900)
def test_official_python_sdk_completes_every_phone_flow() -> None:
    python = _sdk_python()
    emulator = Emulator()
    with serve_in_thread(emulator) as server:
        env = {**os.environ, "LEANCLOUD_API_SERVER": server.url}
        env.pop("LEANCLOUD_APP_ENV", None)
        result = subprocess.run(
            [str(python), str(FLOW), emulator.config.app_id, emulator.config.app_key],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    names = [step["step"] for step in steps]
    assert names == [
        "request_sms_code",
        "second_request_within_10s",
        "wrong_code",
        "signup_with_code",
        "login_with_password",
        "reset_password",
        "login_with_sms_code",
        "change_phone",
        "verify_phone",
        "done",
    ]
    too_fast = steps[1]
    assert too_fast["code"] == 1
    assert too_fast["error"] == "SMS request too fast(1 request per 10s)."
    # The same LeanCloud user came back through every login of the first account.
    first_ids = {s["object_id"] for s in steps[3:7]}
    assert len(first_ids) == 1
    assert steps[7]["phone"] == "+8613900139000"
    # Every code the SDK used was one the emulator really sent.
    purposes = [m["purpose"] for m in emulator.messages()]
    assert purposes == ["generic", "reset_password", "login", "change_phone", "verify_phone"]
