"""A load generator in Python, for machines without wrk: the same script (bodies POSTed in turn
over keep-alive connections) and the same figures, from ``http.client`` on threads.

It costs far more CPU per request than wrk, and on the bench's 2 cores that CPU is taken from
the server, so its figures are a floor on what the site does, not comparable with wrk's:
``bench/results.md`` names the generator each run used.
"""

from __future__ import annotations

import http.client
import itertools
import statistics
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from .script import LoadScript, WrkResult


@dataclass
class _Tally:
    """What every connection recorded, under one lock."""

    latencies_us: list[float] = field(default_factory=list)
    socket_errors: int = 0
    status_errors: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _connection(base_url: str, timeout_s: float) -> http.client.HTTPConnection:
    parts = urlsplit(base_url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout_s)


def _client(
    base_url: str,
    script: LoadScript,
    turn: itertools.count[int],
    deadline: float,
    timeout_s: float,
    tally: _Tally,
) -> None:
    """One keep-alive connection sending the script's bodies in turn until ``deadline``."""
    connection = _connection(base_url, timeout_s)
    headers = dict(script.headers)
    try:
        while time.perf_counter() < deadline:
            body = script.bodies[next(turn) % len(script.bodies)].encode()
            started = time.perf_counter()
            try:
                connection.request(script.method, script.path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                with tally.lock:
                    tally.socket_errors += 1
                connection.close()
                connection = _connection(base_url, timeout_s)
                continue
            elapsed_us = (time.perf_counter() - started) * 1e6
            with tally.lock:
                tally.latencies_us.append(elapsed_us)
                tally.status_errors += response.status >= 400
    finally:
        connection.close()


def _percentile(ordered: list[float], percent: float) -> float:
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(percent / 100 * len(ordered)) - 1))
    return ordered[index]


def run(
    base_url: str, script: LoadScript, *, connections: int, seconds: float, timeout_s: int = 10
) -> WrkResult:
    """``connections`` clients for ``seconds``; the figures wrk's ``done()`` hook reports."""
    tally = _Tally()
    turn = itertools.count()
    started = time.perf_counter()
    deadline = started + seconds
    threads = [
        threading.Thread(
            target=_client, args=(base_url, script, turn, deadline, timeout_s, tally), daemon=True
        )
        for _ in range(max(1, connections))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + timeout_s + 5)
    duration = time.perf_counter() - started
    ordered = sorted(tally.latencies_us)
    return WrkResult(
        requests=len(ordered),
        seconds=duration,
        p50_ms=_percentile(ordered, 50) / 1000,
        p90_ms=_percentile(ordered, 90) / 1000,
        p99_ms=_percentile(ordered, 99) / 1000,
        mean_ms=(statistics.fmean(ordered) / 1000) if ordered else 0.0,
        max_ms=(ordered[-1] / 1000) if ordered else 0.0,
        socket_errors=tally.socket_errors,
        status_errors=tally.status_errors,
    )
