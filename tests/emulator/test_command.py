"""The emulator as a separate process: ``manage.py lc_emulator`` and ``python -m``.

Each test starts a real subprocess on a free port, polls until it answers, talks to it with plain
``requests`` and hand-made signatures, and always terminates it.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY
from django_lc_phone.leancloud.wire import sign_header
from django_lc_phone.redaction import mask_phone

ROOT = Path(__file__).resolve().parents[2]
PHONE = "+8613800138000"
STARTUP_SECONDS = 30.0

LAUNCHERS = {
    "manage.py": ["manage.py", "lc_emulator"],
    "python -m": ["-m", "django_lc_phone.emulator"],
}


@dataclass
class Process:
    """A running emulator process and where its console output goes."""

    popen: subprocess.Popen[bytes]
    url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(self, text: str, seconds: float = 10.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if text in (out := self.output()):
                return out
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared in the console:\n{self.output()}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _emulator_process(tmp_path: Path, launcher: str, *options: str) -> Iterator[Process]:
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example_project.settings"}
    env["PYTHONUNBUFFERED"] = "1"
    log = tmp_path / f"emulator-{port}.log"
    command = [sys.executable, *LAUNCHERS[launcher], "--port", str(port), *options]
    with log.open("wb") as sink:
        popen = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    process = Process(popen, f"http://127.0.0.1:{port}", log)
    try:
        _wait_until_answering(process)
        yield process
    finally:
        popen.terminate()
        try:
            popen.wait(timeout=10)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait(timeout=10)


def _wait_until_answering(process: Process) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.popen.poll() is not None:
            raise AssertionError(f"the emulator exited early:\n{process.output()}")
        try:
            if requests.get(process.url + "/emulator/v1/messages", timeout=1).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the emulator never answered:\n{process.output()}")


def _api(process: Process, path: str, body: dict[str, Any]) -> requests.Response:
    headers = {
        "X-LC-Id": DEMO_APP_ID,
        "X-LC-Sign": sign_header(DEMO_APP_KEY, int(time.time() * 1000)),
        "Content-Type": "application/json",
    }
    return requests.post(process.url + "/1.1" + path, json=body, headers=headers, timeout=5)


def _outbox(process: Process, phone: str) -> list[dict[str, Any]]:
    answer = requests.get(
        process.url + "/emulator/v1/messages", params={"mobilePhoneNumber": phone}, timeout=5
    )
    assert answer.status_code == 200
    messages: list[dict[str, Any]] = answer.json()["messages"]
    return messages


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_quiet_emulator_serves_codes_through_the_outbox(tmp_path: Path, launcher: str) -> None:
    with _emulator_process(tmp_path, launcher, "--quiet") as process:
        sent = _api(process, "/requestSmsCode", {"mobilePhoneNumber": PHONE})
        assert sent.status_code == 200, sent.text
        assert sent.json() == {}
        [message] = _outbox(process, PHONE)
        code = message["code"]
        assert len(code) == 6
        assert code.isdigit()
        verified = _api(process, f"/verifySmsCode/{code}", {"mobilePhoneNumber": PHONE})
        assert verified.status_code == 200
        output = process.wait_for_output(f"LeanCloud emulator on {process.url}")
        assert "state: in memory" in output
        assert code not in output  # --quiet: no code on the console
        assert "[lc_emulator]" not in output


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_console_shows_the_code_and_a_masked_phone(tmp_path: Path, launcher: str) -> None:
    with _emulator_process(tmp_path, launcher) as process:
        assert _api(process, "/requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
        [message] = _outbox(process, PHONE)
        output = process.wait_for_output(message["code"])
    [line] = [line for line in output.splitlines() if "[lc_emulator]" in line]
    assert message["code"] in line
    assert mask_phone(PHONE) in line
    assert mask_phone(PHONE) == "+86138****8000"
    for full in (PHONE, PHONE.lstrip("+"), PHONE.removeprefix("+86")):
        assert full not in output  # never the full number


def test_a_test_number_from_the_command_line(tmp_path: Path) -> None:
    phone = "+8618622223333"
    with _emulator_process(
        tmp_path, "manage.py", "--quiet", "--test-number", f"{phone}=170402"
    ) as process:
        assert _api(process, "/requestSmsCode", {"mobilePhoneNumber": phone}).status_code == 200
        [message] = _outbox(process, phone)
        assert message["code"] == "170402"
        for _ in range(2):  # a test number's code is reusable
            verified = _api(process, "/verifySmsCode/170402", {"mobilePhoneNumber": phone})
            assert verified.status_code == 200, verified.text


@pytest.mark.parametrize("value", ["+8618622223333", "+8618622223333=1704", "x=170402"])
def test_a_malformed_test_number_stops_the_command(tmp_path: Path, value: str) -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "example_project.settings"}
    command = [sys.executable, "manage.py", "lc_emulator", "--port", str(_free_port())]
    finished = subprocess.run(
        [*command, "--test-number", value],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_SECONDS,
        check=False,
    )
    assert finished.returncode != 0
    assert "--test-number" in finished.stdout + finished.stderr


@pytest.mark.parametrize("launcher", list(LAUNCHERS))
def test_state_persists_across_restarts(tmp_path: Path, launcher: str) -> None:
    state = tmp_path / "lc-state.sqlite3"
    signup = {"username": "keeper", "password": "pw-123456"}
    with _emulator_process(tmp_path, launcher, "--quiet", "--state", str(state)) as process:
        created = _api(process, "/users", signup)
        assert created.status_code == 201, created.text
        assert _api(process, "/requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
        [message] = _outbox(process, PHONE)
        assert f"state: {state}" in process.output()
    assert state.exists()
    with _emulator_process(tmp_path, launcher, "--quiet", "--state", str(state)) as process:
        login = _api(process, "/login", signup)
        assert login.status_code == 200, login.text
        assert login.json()["objectId"] == created.json()["objectId"]
        assert _outbox(process, PHONE) == [message]
    with _emulator_process(tmp_path, launcher, "--quiet") as process:  # in memory: empty
        assert _api(process, "/login", signup).json()["code"] == 211
