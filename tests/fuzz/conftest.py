"""The fuzz passes' figures in pytest's terminal summary, whatever the outcome."""

from __future__ import annotations

import sys

import pytest


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    module = sys.modules.get("tests.fuzz.test_schemathesis")
    passes = getattr(module, "PASSES", {})
    if any(run.requests for run in passes.values()):
        terminalreporter.section("schemathesis")
        for run in passes.values():
            terminalreporter.write_line(run.summary())
