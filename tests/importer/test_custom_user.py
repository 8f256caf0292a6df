"""The importer under a custom user model, run in a subprocess (one user model per process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_importer_works_with_a_custom_user_model() -> None:
    env = dict(os.environ)
    for name in ("DJANGO_SETTINGS_MODULE", "PYTEST_ADDOPTS", "PYTEST_CURRENT_TEST"):
        env.pop(name, None)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "tests/importer/custom_user_cases.py",
            "-q",
            "-p",
            "no:cacheprovider",
            "--ds=tests.settings_custom_user",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=110,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "3 passed" in output, output
