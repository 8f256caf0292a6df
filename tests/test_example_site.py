"""The example site starts on its embedded defaults and serves the emulator beside Django."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from django_lc_phone.emulator import DEMO_APP_ID, DEMO_APP_KEY
from django_lc_phone.wire import HEADER_ID, HEADER_KEY

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "example_project.settings",
        "EXAMPLE_DB": str(tmp_path / "example.sqlite3"),
        "EMULATOR_STATE": str(tmp_path / "emulator.sqlite3"),
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("LEANCLOUD_SERVER_URL", None)
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env, check=True, timeout=120)
    port = _free_port()
    process = subprocess.Popen(
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/", timeout=1)
                break
            except requests.ConnectionError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_example_site_serves_home_emulator_and_admin(
    site: tuple[str, subprocess.Popen[str]],
) -> None:
    url, process = site
    home = requests.get(url + "/", timeout=5)
    assert home.status_code == 200
    assert DEMO_APP_ID in home.text
    assert "/emulator/" in home.text

    headers = {HEADER_ID: DEMO_APP_ID, HEADER_KEY: DEMO_APP_KEY}
    phone = "+8613800138000"
    sent = requests.post(
        url + "/1.1/requestSmsCode", json={"mobilePhoneNumber": phone}, headers=headers, timeout=5
    )
    assert sent.status_code == 200
    assert sent.json() == {}
    messages = requests.get(url + "/emulator/v1/messages", timeout=5).json()["messages"]
    code = messages[-1]["code"]
    assert len(code) == 6
    inbox = requests.get(url + "/emulator/", timeout=5)
    assert code in inbox.text

    assert requests.get(url + "/admin/login/", timeout=5).status_code == 200

    process.terminate()
    output, _ = process.communicate(timeout=10)
    assert f"+86138****8000: {code}" in output
    assert phone not in output  # the console masks the number
