"""The second test configuration: a custom user model (``tests.settings_custom_user``).

``custom_user.EmailUser`` has ``USERNAME_FIELD = "email"`` and no ``username``. The end-to-end
story, the admin tests and the login query counts run against it in a subprocess, since a
process has one user model.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = "tests.settings_custom_user"


def _env() -> dict[str, str]:
    """This process's environment, minus what would pick other settings or tests."""
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    return env


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )


def test_smoke_flow_admin_and_login_queries_pass_with_a_custom_user_model() -> None:
    done = _run(
        "-m",
        "pytest",
        "tests/services/test_smoke_flow.py",
        "tests/app/test_admin.py",
        "tests/contract/test_login_queries.py",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--ds={SETTINGS}",
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert " passed" in output, output
    assert "skipped" not in output, output
    assert "failed" not in output, output


def test_custom_user_migrations_are_complete() -> None:
    # --skip-checks: without services the suite keeps its limits in LocMemCache, which the
    # checks rightly refuse without DEBUG (lc_phone.E012); that is not what this test is about.
    done = _run(
        "-m",
        "django",
        "makemigrations",
        "--check",
        "--dry-run",
        "--skip-checks",
        f"--settings={SETTINGS}",
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "No changes detected" in done.stdout
