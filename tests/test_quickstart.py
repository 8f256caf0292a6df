"""The quickstart works as written: its settings block, pasted into a new project, signs a
number up against the emulator, with no environment variable set."""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "docs" / "quickstart.md"
# Where the quickstart says the emulator listens (python -m django_lc_phone.emulator's default).
DOCUMENTED_URL = "http://127.0.0.1:8765"
PHONE = "+8613800138000"

# Run in the new project by `manage.py shell` after ``emulator, phone = ...``: a code, read
# from the emulator's outbox, then the sign-up.
SIGN_UP = """
import json, requests
from django.test import Client
site = Client(HTTP_HOST="127.0.0.1")
sent = site.post("/auth/phone/sms-code/", {"phone": phone}, content_type="application/json")
outbox = requests.get(emulator + "/emulator/v1/messages", params={"mobilePhoneNumber": phone})
code = outbox.json()["messages"][-1]["code"]
body = {"phone": phone, "code": code, "password": "quick-Start-42"}
signup = site.post("/auth/phone/signup/", body, content_type="application/json")
print(json.dumps([sent.status_code, signup.status_code, signup.json()]))
"""


def _python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", QUICKSTART.read_text(encoding="utf-8"), re.DOTALL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _clean_env() -> dict[str, str]:
    """No Django settings module, no LeanCloud credentials: what a fresh shell has."""
    return {
        name: value
        for name, value in os.environ.items()
        if name != "DJANGO_SETTINGS_MODULE" and not name.startswith(("LEANCLOUD_", "LC_PHONE"))
    }


def _run(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=project,
        env=_clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@contextlib.contextmanager
def _emulator() -> Iterator[str]:
    """``python -m django_lc_phone.emulator``, as the quickstart starts it, on a free port (a
    developer's own emulator may be on 8765)."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "django_lc_phone.emulator", "--port", str(port), "--quiet"],
        env=_clean_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(url + "/emulator/v1/messages", timeout=1)
                break
            except requests.ConnectionError:
                assert process.poll() is None, "the emulator exited"
                assert time.monotonic() < deadline, "the emulator did not answer"
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """``django-admin startproject``, with the quickstart's first settings block appended to
    its settings as pasted, and the quickstart's URL block as its URLs."""
    blocks = _python_blocks()
    settings_block = blocks[0]
    urls_block = next(block for block in blocks if "urlpatterns" in block)
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "quicksite", str(tmp_path)],
        env=_clean_env(),
        check=True,
        capture_output=True,
        timeout=60,
    )
    package = tmp_path / "quicksite"
    with (package / "settings.py").open("a", encoding="utf-8") as settings:
        settings.write("\n# --- pasted from docs/quickstart.md ---\n" + settings_block)
    (package / "urls.py").write_text(urls_block, encoding="utf-8")
    return tmp_path


def test_the_first_settings_block_runs_as_pasted_against_the_emulator(project: Path) -> None:
    """Finding 19: the quickstart's settings block read ``os.environ["LEANCLOUD_APP_ID"]`` and
    two more variables it never named, so pasting it gave a ``KeyError``. Now it is the
    emulator's, with its demo credentials: ``check`` is clean and a number signs up."""
    check = _run(project, "check", "--fail-level", "WARNING")
    assert "System check identified no issues" in check.stdout
    settings = project / "quicksite" / "settings.py"
    pasted = settings.read_text(encoding="utf-8")
    assert pasted.count(DOCUMENTED_URL) == 1

    with _emulator() as url:
        settings.write_text(pasted.replace(DOCUMENTED_URL, url), encoding="utf-8")
        _run(project, "migrate", "--noinput")
        script = f"emulator, phone = {url!r}, {PHONE!r}\n{SIGN_UP}"
        done = _run(project, "shell", "-c", script)
    sent, signed_up, body = json.loads(done.stdout.strip().splitlines()[-1])
    assert sent == 202
    assert signed_up == 201, body
    assert body["user"]["phone"] == PHONE
    assert body["user"]["phone_verified"] is True
    assert re.fullmatch(r"[0-9a-f]{24}", body["user"]["lc_object_id"])


def test_the_real_leancloud_block_names_every_variable_it_reads() -> None:
    """Finding 19: each environment variable the LeanCloud block reads is named in the text."""
    text = QUICKSTART.read_text(encoding="utf-8")
    blocks = _python_blocks()
    assert "os.environ" not in blocks[0]
    real = next(block for block in blocks if "os.environ" in block)
    assert blocks.index(real) > 0  # after the emulator's block
    read = set(re.findall(r"os\.environ(?:\.get\()?\[?\(?\"([A-Z_]+)\"", real))
    assert read == {
        "LEANCLOUD_APP_ID",
        "LEANCLOUD_APP_KEY",
        "LEANCLOUD_MASTER_KEY",
        "LEANCLOUD_SERVER_URL",
    }
    prose = text.replace(real, "")
    for name in read:
        assert f"`{name}`" in prose, name
