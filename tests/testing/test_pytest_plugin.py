"""The pytest plugin users get: ``lc_emulator`` and ``sms_outbox`` (``django_lc_phone.testing``).

A separate small project (``tests/plugin_project``: its own settings, with LeanCloud at an
address that never resolves, and its own sign-in view) runs its suite in its own process with
the plugin loaded by its entry point; the helpers are also tested here one by one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client

from django_lc_phone import testing
from django_lc_phone.emulator import Emulator, serve_in_thread
from django_lc_phone.exceptions import Throttled
from django_lc_phone.guards import limits
from django_lc_phone.guards import windows as ratelimit
from django_lc_phone.sms import locmem
from django_lc_phone.sms.base import SmsMessage

PROJECT = Path(__file__).resolve().parent.parent / "plugin_project"
PHONE = "+8613800138000"


def _run_project(*args: str) -> subprocess.CompletedProcess[str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS")
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *args],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_separate_project_tests_its_phone_login_view_with_the_fixtures() -> None:
    result = _run_project()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_the_fixtures_come_from_the_entry_point() -> None:
    result = _run_project("-p", "no:django_lc_phone")
    assert result.returncode != 0
    assert "fixture 'lc_emulator' not found" in result.stdout


# --- the helpers ----------------------------------------------------------------------------


def test_settings_point_at_the_emulator_with_limits_of_their_own() -> None:
    with serve_in_thread(Emulator()) as server:
        handle = testing.EmulatorHandle(server)
        before = dict(settings.LC_PHONE)
        with testing.lc_phone_test_settings(**handle.settings()):
            assert settings.LC_PHONE["SERVER_URL"] == server.url
            assert settings.LC_PHONE["PROVIDER"] == "leancloud"
            assert settings.LC_PHONE["APP_KEY"] == server.emulator.config.app_key
            assert settings.LC_PHONE["CACHE"] == testing.CACHE_ALIAS
            # The project's other keys stay.
            assert settings.LC_PHONE["DEFAULT_REGION"] == before["DEFAULT_REGION"]
            assert ratelimit.cache() is not caches["default"]
        assert before == settings.LC_PHONE
        assert testing.CACHE_ALIAS not in settings.CACHES


def _send_slot() -> None:
    with limits.sending(PHONE, None):
        pass


def test_each_block_starts_with_empty_limits() -> None:
    for _ in range(2):
        with testing.lc_phone_test_settings():
            _send_slot()
            with pytest.raises(Throttled):
                _send_slot()  # the cooldown, inside one block


def test_the_clock_moves_past_a_cooldown_and_is_back_to_real_time_after() -> None:
    with testing.lc_phone_test_settings():
        _send_slot()
        testing.advance_clock(61)
        _send_slot()
        assert testing.now() > time.time() + 60
    assert abs(testing.now() - time.time()) < 1


def test_the_emulator_handle_moves_both_clocks_and_arms_faults() -> None:
    with serve_in_thread(Emulator()) as server:
        handle = testing.EmulatorHandle(server)
        with testing.lc_phone_test_settings(**handle.settings()):
            start = server.emulator.clock.now()
            handle.advance(120)
            assert server.emulator.clock.now() >= start + 120
            assert testing.now() >= start + 119
            handle.fail_next("http_error", status=503)
            assert [f.kind for f in server.emulator.faults.armed()] == ["http_error"]


def _message(phone: str, purpose: Any, code: str | None) -> SmsMessage:
    return SmsMessage(phone=phone, purpose=purpose, text="...", code=code)


def test_the_outbox_reads_the_locmem_gateway() -> None:
    outbox = testing.SmsOutbox()
    outbox.clear()
    locmem.outbox.extend(
        [
            _message(PHONE, "generic", "111111"),
            _message("+8613900139000", "generic", "222222"),
            _message(PHONE, "login", "333333"),
        ]
    )
    try:
        assert len(outbox) == 3
        assert outbox[0].code == "111111"
        assert [m.code for m in outbox.to(PHONE)] == ["111111", "333333"]
        assert outbox.last_code(PHONE) == "333333"
        assert outbox.last_code(PHONE, "generic") == "111111"
        with pytest.raises(LookupError, match="no reset_password code"):
            outbox.last_code(PHONE, "reset_password")
    finally:
        outbox.clear()
    assert len(outbox) == 0


@pytest.mark.django_db
def test_the_outbox_settings_run_the_local_provider() -> None:
    with testing.lc_phone_test_settings(**testing.SmsOutbox.settings):
        answer = Client().post("/auth/phone/sms-code/", {"phone": PHONE}, "application/json")
        assert answer.status_code == 202
        assert testing.SmsOutbox().last_code(PHONE, "generic").isdigit()
    locmem.outbox.clear()
