"""Runs LeanCloud's own Python SDK tests (the ``leancloud`` 3.0.2 sdist's) against a server URL.

The sdist is downloaded once into ``.sdk-venvs/`` (gitignored) and its ``tests/`` copied afresh
for each run, with the files of ``suite_shims/`` beside them; the SDK's own virtual environment
(see ``tests/test_official_python_sdk.py``) gets the suite's runner. Results come back per test
from pytest's JUnit XML.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tarfile
import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY, DEMO_MASTER_KEY
from django_lc_phone.leancloud import wire
from tests.test_official_python_sdk import ROOT, SDK_REQUIREMENT, _sdk_python

SDIST = "leancloud-3.0.2"
CACHE = ROOT / ".sdk-venvs" / f"{SDIST}-sdist"
SHIMS = Path(__file__).resolve().parent / "suite_shims"
# The installed package's (the wheel job runs the suite from a copy without the source tree).
WIRE = Path(wire.__file__).resolve()
# The suite's tests use nose's decorators (``with_setup``, ``assert_equal``), which pytest ran
# until 8.0; test_engine.py needs wsgi_intercept. Nose itself does not run on Python 3.10+.
RUNNER = ("pytest<8", "nose==1.3.7", "wsgi_intercept==1.13.1")
# In-scope files: test_engine.py first, so its SMS sends meet fresh per-number limits.
FILES = ("tests/test_engine.py", "tests/test_user.py")
# test_engine.py::test_request_sms_code's eight sends (each after a 60 s wait the server's clock
# makes): the SDK prefixes ``idd`` (default +86) only to a number without a leading +.
ENGINE_SENDS: Counter[str] = Counter({"+8617180655340": 4, "+447365753569": 4})


@dataclass(frozen=True)
class Outcome:
    """One SDK test's result: ``passed``, ``failed`` or ``skipped``, and why it did not pass."""

    status: str
    message: str = ""


def _download() -> Path:
    """The sdist, downloaded on first use; a skip without network, except with ``CI=true``."""
    archive = CACHE / f"{SDIST}.tar.gz"
    if archive.exists():
        return archive
    CACHE.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        [
            *(str(_sdk_python()), "-m", "pip", "download", "--no-binary", ":all:", "--no-deps"),
            *("--dest", str(CACHE), SDK_REQUIREMENT),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0 or not archive.exists():
        reason = f"cannot download the {SDIST} sdist: {done.stderr.strip()[-500:]}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI=true needs LeanCloud's own SDK tests to run")
        pytest.skip(reason)
    return archive


def _runner_python() -> Path:
    python = _sdk_python()
    marker = python.parent.parent / ".suite-runner-installed"
    installed = marker.read_text() if marker.exists() else ""
    if installed != repr(RUNNER):
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", *RUNNER], check=True, timeout=600
        )
        marker.write_text(repr(RUNNER))
    return python


def lay_out_suite(workdir: Path) -> Path:
    """A fresh copy of the sdist's tests under ``workdir``, with the shims; returns its root."""
    root = workdir / "leancloud-suite"
    with tarfile.open(_download()) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith(f"{SDIST}/tests/")]
        archive.extractall(workdir, members=members, filter="data")
    shutil.move(workdir / SDIST, root)
    # The sdist ships neither the package marker nor the module test_engine.py imports
    # relatively; upstream's repository has both.
    (root / "tests" / "__init__.py").write_text("")
    shutil.copy(SHIMS / "request_generator.py", root / "tests" / "request_generator.py")
    shutil.copy(SHIMS / "suite_conftest.py", root / "conftest.py")
    return root


def run_suite(server_url: str, workdir: Path) -> dict[str, Outcome]:
    """Every test of :data:`FILES` run against ``server_url``, by id (``tests/x.py::test_y``)."""
    python = _runner_python()
    root = lay_out_suite(workdir)
    report = workdir / "junit.xml"
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("LEANCLOUD_", "LC_", "PYTEST_"))
    }
    env |= {
        # What the suite reads (os.environ[...] in its modules) and the SDK's server override.
        "APP_ID": DEMO_APP_ID,
        "APP_KEY": DEMO_APP_KEY,
        "MASTER_KEY": DEMO_MASTER_KEY,
        "HOOK_KEY": "lcphoneSuiteHookKey0000",
        "LEANCLOUD_API_SERVER": server_url,
        "LC_PHONE_WIRE": str(WIRE),
    }
    done = subprocess.run(
        [
            *(str(python), "-m", "pytest", "-p", "no:cacheprovider", "-o", "addopts="),
            *("-q", "-W", "ignore", f"--junitxml={report}", "--rootdir", str(root), *FILES),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.exists(), done.stdout[-3000:] + done.stderr[-3000:]
    return parse_junit(report)


def parse_junit(report: Path) -> dict[str, Outcome]:
    """Outcomes by test id; a test with an error in setup, call or teardown failed."""
    outcomes: dict[str, Outcome] = {}
    # The report is pytest's own, written a moment ago in this run's temporary directory.
    for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314
        test_id = case.get("classname", "").replace(".", "/") + ".py::" + case.get("name", "")
        bad = case.find("failure") if case.find("failure") is not None else case.find("error")
        skipped = case.find("skipped")
        if bad is not None:
            outcome = Outcome("failed", bad.get("message", "") or (bad.text or "")[-400:])
        elif skipped is not None:
            outcome = Outcome("skipped", skipped.get("message", ""))
        else:
            outcome = Outcome("passed")
        # pytest writes a second case for a teardown error: the worse one counts.
        if outcomes.get(test_id, Outcome("passed")).status == "passed":
            outcomes[test_id] = outcome
    return outcomes


def check_against(outcomes: dict[str, Outcome], excluded: dict[str, str]) -> list[str]:
    """What is wrong with a run, given the target's exclusion map (empty when all is well).

    Every test not excluded passes; every excluded test exists; a test excluded as a known
    bug (``BUG:``) or an in-flight fix (``PENDING:``) still fails, so the entry goes with the fix.
    """
    problems = [
        f"{test_id} {outcome.status}: {outcome.message}"
        for test_id, outcome in sorted(outcomes.items())
        if test_id not in excluded and outcome.status != "passed"
    ]
    problems += [
        f"{test_id} is excluded but not in the suite" for test_id in excluded.keys() - outcomes
    ]
    problems += [
        f"{test_id} passes now: remove its exclusion ({reason})"
        for test_id, reason in sorted(excluded.items())
        if reason.startswith(("BUG:", "PENDING:")) and outcomes.get(test_id) == Outcome("passed")
    ]
    return problems
