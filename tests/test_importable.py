"""The client and the emulator import without Django settings, and the emulator without requests.

Each check runs in a fresh interpreter: this test process has long since imported everything.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import importlib, json, pkgutil, sys
for name in sys.argv[1:]:
    module = importlib.import_module(name)
    if hasattr(module, "__path__"):  # a package: every submodule too
        for info in pkgutil.walk_packages(module.__path__, name + "."):
            if info.name.endswith(".__main__"):
                continue
            importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


@functools.cache
def imported_after(*modules: str) -> frozenset[str]:
    """The names in ``sys.modules`` of a fresh interpreter after importing ``modules``."""
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *modules],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    names = json.loads(done.stdout)
    assert isinstance(names, list)
    return frozenset(names)


def family(names: frozenset[str], top: str) -> set[str]:
    return {name for name in names if name == top or name.startswith(top + ".")}


def test_the_probe_sees_what_it_imports() -> None:
    """A probe that could not see an import would pass every test below."""
    names = imported_after("django_lc_phone.leancloud")
    assert "requests" in names
    assert "django_lc_phone.leancloud.client" in names


def test_the_client_and_the_emulator_import_without_django() -> None:
    names = imported_after(
        "django_lc_phone.leancloud", "django_lc_phone.emulator", "django_lc_phone.testing.inprocess"
    )
    assert family(names, "django") == set()
    assert family(names, "rest_framework") == set()
    assert "django_lc_phone.emulator.app" in names
    assert "django_lc_phone.leancloud.protocol" in names
    assert "django_lc_phone.testing.inprocess" in names


@pytest.mark.parametrize("third_party", ["requests", "urllib3", "django", "rest_framework"])
def test_the_emulator_uses_the_standard_library_only(third_party: str) -> None:
    names = imported_after("django_lc_phone.emulator")
    assert "django_lc_phone.emulator.server" in names
    assert family(names, third_party) == set()
    # Of leancloud/, the server side only: the facts and what a server answers, no client.
    server_side = {"wire", "protocol", "password", "jsondepth"}
    expected = {
        "django_lc_phone.leancloud",
        *(f"django_lc_phone.leancloud.{m}" for m in server_side),
    }
    assert family(names, "django_lc_phone.leancloud") == expected


def test_wire_and_redaction_use_the_standard_library_only() -> None:
    names = imported_after("django_lc_phone.leancloud.wire", "django_lc_phone.redaction")
    for third_party in ("requests", "urllib3", "django"):
        assert family(names, third_party) == set()
