"""LeanCloud's own Python SDK tests (``leancloud`` 3.0.2's sdist) pass against the emulator.

In scope: ``tests/test_user.py`` and the SMS and CAPTCHA tests of ``tests/test_engine.py``;
every other outcome is held by the exclusion map (tests/sdk/leancloud_suite_exclusions.py).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from django_lc_phone.emulator import Emulator, serve_in_thread
from tests.sdk.leancloud_suite import ENGINE_SENDS, check_against, run_suite
from tests.sdk.leancloud_suite_exclusions import EMULATOR


@pytest.mark.sdk
@pytest.mark.timeout(900)
def test_leancloud_own_sdk_tests_pass_against_the_emulator(tmp_path: Path) -> None:
    emulator = Emulator()
    with serve_in_thread(emulator) as server:
        outcomes = run_suite(server.url, tmp_path)
    assert check_against(outcomes, EMULATOR) == []
    assert outcomes["tests/test_engine.py::test_request_sms_code"].status == "passed"
    # It passed by sending all eight, not by leaving at the first refusal it tolerates.
    generic = [m["mobilePhoneNumber"] for m in emulator.messages() if m["purpose"] == "generic"]
    assert Counter(generic) == ENGINE_SENDS
    counts = Counter("excluded" if t in EMULATOR else o.status for t, o in outcomes.items())
    print(f"emulator: {dict(counts)}")
