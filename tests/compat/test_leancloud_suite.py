"""LeanCloud's own Python SDK tests (``leancloud`` 3.0.2's sdist) against the compat endpoints
of a live example site in local mode; their exclusions match docs/compat.md both ways."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest

from tests.sdk.leancloud_suite import ENGINE_SENDS, Outcome, check_against, parse_junit, run_suite
from tests.sdk.leancloud_suite_exclusions import COMPAT, TARGETS
from tests.test_example_site import running_site
from tests.test_official_python_sdk import ROOT

DOCS = ROOT / "docs" / "compat.md"
SECTION = "## LeanCloud's own SDK tests"
NOT_EXCLUDED = "passes"


@pytest.mark.sdk
@pytest.mark.timeout(900)
def test_leancloud_own_sdk_tests_pass_against_the_compat_endpoints(tmp_path: Path) -> None:
    settings = "tests.sdk.compat_site_settings"
    with running_site(tmp_path, LC_PHONE_PROVIDER="local", DJANGO_SETTINGS_MODULE=settings) as site:
        outcomes = run_suite(site.url, tmp_path)
        messages = site.get("/emulator/v1/messages").json()["messages"]
        output = site.output()
    assert check_against(outcomes, COMPAT) == [], output[-3000:]
    for in_scope in ("test_request_sms_code", "test_captcha"):
        assert outcomes[f"tests/test_engine.py::{in_scope}"].status == "passed"
    # The SMS test sent all eight (the site allows +44 here), not left at a tolerated refusal.
    generic = [m["mobilePhoneNumber"] for m in messages if m["purpose"] == "generic"]
    assert Counter(generic) == ENGINE_SENDS
    counts = Counter("excluded" if t in COMPAT else o.status for t, o in outcomes.items())
    print(f"compat: {dict(counts)}")


def _documented() -> dict[str, tuple[str, ...]]:
    """The section's table: test id -> its cell for each target, in TARGETS' order."""
    text = DOCS.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    rows: dict[str, tuple[str, ...]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not line.startswith("| `") or len(cells) != 1 + len(TARGETS):
            continue
        for test_id in re.findall(r"`([^`]+)`", cells[0]):
            rows[test_id] = tuple(cells[1:])
    return rows


def test_the_docs_list_every_exclusion_with_its_reason_and_nothing_else() -> None:
    excluded = {test_id for entries in TARGETS.values() for test_id in entries}
    expected = {
        test_id: tuple(entries.get(test_id, NOT_EXCLUDED) for entries in TARGETS.values())
        for test_id in excluded
    }
    assert _documented() == expected


def test_a_failure_outside_the_map_a_stale_entry_and_a_fixed_bug_are_each_reported() -> None:
    outcomes = {
        "tests/test_user.py::test_login": Outcome("failed", "LeanCloudError: [211]"),
        "tests/test_user.py::test_sign_up": Outcome("passed"),
        "tests/test_user.py::test_follow": Outcome("failed", "[1] Not found."),
    }
    excluded = {
        "tests/test_user.py::test_sign_up": "PENDING: username sign-up",
        "tests/test_user.py::test_follow": "out of scope: followers",
        "tests/test_user.py::test_gone": "out of scope: renamed upstream",
    }
    assert check_against(outcomes, excluded) == [
        "tests/test_user.py::test_login failed: LeanCloudError: [211]",
        "tests/test_user.py::test_gone is excluded but not in the suite",
        "tests/test_user.py::test_sign_up passes now: remove its exclusion"
        " (PENDING: username sign-up)",
    ]
    assert check_against({"tests/test_user.py::test_login": Outcome("passed")}, {}) == []


def test_the_junit_report_is_read_per_test_and_a_teardown_error_fails_the_test(
    tmp_path: Path,
) -> None:
    report = tmp_path / "junit.xml"
    report.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_user" name="test_login"/>'
        '<testcase classname="tests.test_user" name="test_login">'
        '<error message="failed on teardown">trace</error></testcase>'
        '<testcase classname="tests.test_user" name="test_follow">'
        '<failure message="LeanCloudError: [1] Not found.">trace</failure></testcase>'
        '<testcase classname="tests.test_engine" name="test_captcha">'
        '<skipped message="REGION is US"/></testcase>'
        '<testcase classname="tests.test_engine" name="test_ping"/>'
        "</testsuite></testsuites>"
    )
    assert parse_junit(report) == {
        "tests/test_user.py::test_login": Outcome("failed", "failed on teardown"),
        "tests/test_user.py::test_follow": Outcome("failed", "LeanCloudError: [1] Not found."),
        "tests/test_engine.py::test_captcha": Outcome("skipped", "REGION is US"),
        "tests/test_engine.py::test_ping": Outcome("passed"),
    }
