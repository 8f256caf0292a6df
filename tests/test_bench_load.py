"""The benchmark's load generators send what their script says and count what comes back: the
Python fallback (``bench/pyload.py``) that stands in where wrk is missing, and the Lua that
drives wrk. Correctness only: the figures themselves are the benchmark's (``bench/run.py``)."""

from __future__ import annotations

import socket

import pytest

from bench import pyload, wrk
from django_lc_phone.emulator import Emulator, serve_in_thread


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_python_generator_counts_answers_and_refusals() -> None:
    with serve_in_thread(Emulator()) as server:
        fine = pyload.run(
            server.url, wrk.script("/emulator/v1/reset", ["{}"], {}), connections=2, seconds=0.5
        )
        refused = pyload.run(
            server.url, wrk.script("/nowhere", ["{}"], {}), connections=1, seconds=0.3
        )
    assert fine.requests > 0
    assert fine.errors == 0
    assert 0 < fine.p50_ms <= fine.p90_ms <= fine.p99_ms <= fine.max_ms
    assert fine.rps > 0
    assert refused.requests > 0
    assert refused.status_errors == refused.requests  # every answer a 404


def test_the_python_generator_counts_connections_that_fail() -> None:
    result = pyload.run(
        f"http://127.0.0.1:{_closed_port()}",
        wrk.script("/x", ["{}"], {}),
        connections=1,
        seconds=0.2,
        timeout_s=1,
    )
    assert result.requests == 0
    assert result.socket_errors > 0


def test_without_wrk_the_run_goes_to_the_python_generator(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(wrk, "available", lambda: False)
    with serve_in_thread(Emulator()) as server:
        result = wrk.run(
            server.url, wrk.script("/emulator/v1/reset", ["{}"], {}), connections=1, seconds=0.2
        )
    assert result.requests > 0


def test_the_lua_sends_every_body_in_turn_with_its_headers() -> None:
    lua = wrk.lua(wrk.script("/p", ['{"a": 1}', '{"b": 2}'], {"X-Y": "z"}, method="PUT"))
    assert '[==[{"a": 1}]==], [==[{"b": 2}]==]' in lua
    assert "[ [==[X-Y]==] ] = [==[z]==]" in lua
    assert "local method = [==[PUT]==]" in lua


def test_the_client_figure_compares_our_client_with_a_raw_call() -> None:
    """Figure 8 runs end to end against an emulator: both ways log in (a refused raw login
    would raise), once per repetition each (no threshold here: the bench judges it)."""
    from bench.figures import client
    from bench.upstream import EmulatorControl, phones

    with serve_in_thread(Emulator()) as server:
        users = phones("+8613800", 2)
        control = EmulatorControl(server.url)
        control.sign_up(users)
        control.close()
        figure = client.measure(server.url, users, rounds=5, repeats=2)
    assert figure.client_p50_ms.median > 0
    assert figure.raw_p50_ms.median > 0
    assert [s.runs for s in (figure.client_p50_ms, figure.raw_p50_ms, figure.overhead_p50_ms)] == [
        2,
        2,
        2,
    ]
