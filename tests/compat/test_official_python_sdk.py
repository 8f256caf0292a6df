"""LeanCloud's official Python SDK, unchanged, signs up, in and back against a live example
site in local mode: no LeanCloud and no emulator, only ``django_lc_phone.compat``: sign-up
by code, password reset, password and code login, session refresh, phone change, and the
verification of an imported user's number."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY
from tests.compat.imported_user import (
    IMPORTED_OBJECT_ID,
    IMPORTED_PASSWORD,
    IMPORTED_PHONE,
    import_unverified_user,
)
from tests.test_example_site import running_site
from tests.test_official_python_sdk import ROOT, _sdk_python

FLOW = ROOT / "tests" / "sdk" / "python_sdk_compat_flow.py"


@pytest.mark.sdk
@pytest.mark.timeout(900)
def test_official_python_sdk_against_the_compat_endpoints(tmp_path: Path) -> None:
    python = _sdk_python()
    with running_site(tmp_path, LC_PHONE_PROVIDER="local") as site:
        import_unverified_user(site, tmp_path)
        env = {**os.environ, "LEANCLOUD_API_SERVER": site.url}
        env.pop("LEANCLOUD_APP_ENV", None)
        result = subprocess.run(
            [str(python), str(FLOW), DEMO_APP_ID, DEMO_APP_KEY, IMPORTED_PHONE, IMPORTED_PASSWORD],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        output = site.output()
    assert result.returncode == 0, result.stdout + result.stderr + output
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [step["step"] for step in steps] == [
        "request_sms_code",
        "second_request_within_cooldown",
        "wrong_code",
        "signup_with_code",
        "login_with_password",
        "login_with_sms_code",
        "refresh_session_token",
        "change_phone",
        "verify_phone",
        "done",
    ]
    assert steps[1]["code"] == 601
    # One site user came back through every sign-in, and moved to the new number.
    assert len({step["object_id"] for step in steps[3:8]}) == 1
    assert steps[7]["phone"] == "+8613900139000"
    # The imported user is the one who verified a number.
    assert steps[8]["object_id"] == IMPORTED_OBJECT_ID
    # The site's output (console gateway, access log) shows the number only masked.
    assert "+8613800138000" not in output.replace("+86138****8000", "")
