"""Laid as the conftest.py of LeanCloud's SDK tests: their waits pass on the server's clock.

``tests/test_engine.py::test_request_sms_code`` sleeps 60 s between sends so that LeanCloud's
per-number limits let the next one through: seven sleeps, seven minutes. Here each sleep moves
the server's clock (``/emulator/v1/clock``, served by the emulator and by the example site)
instead, so the server sees the same gaps and the test keeps its every assertion.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request

import pytest


def _advance_server_clock(seconds: float) -> None:
    request = urllib.request.Request(
        os.environ["LEANCLOUD_API_SERVER"] + "/emulator/v1/clock",
        data=json.dumps({"advance": seconds}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    urllib.request.urlopen(request, timeout=10).close()


@pytest.fixture(autouse=True)
def _sleeps_move_the_server_clock(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only the engine file's SMS test waits on the server's limits; nothing else sleeps.
    if request.node.name == "test_request_sms_code":
        monkeypatch.setattr(time, "sleep", _advance_server_clock)
