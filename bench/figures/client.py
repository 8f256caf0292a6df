"""Figure 8: what our LeanCloud client costs over a raw keep-alive ``http.client`` call to the
same upstream: the same ``POST /1.1/login`` (headers and body as the client sends them), one
connection each, in alternating order within each repetition so drift hits both alike. The
issue's thin-client target is at most 0.5 ms at p50.
"""

from __future__ import annotations

import http.client
import statistics
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY
from django_lc_phone.leancloud import LeanCloudClient

from ..stats import Spread, spread
from ..upstream import LOGIN_PATH, PASSWORD, login_headers, upstream_login_body

CLIENT_OVERHEAD_P50_MAX_MS = 0.5


@dataclass(frozen=True)
class ClientOverhead:
    """p50 of each way, and their difference, across repetitions (milliseconds)."""

    client_p50_ms: Spread
    raw_p50_ms: Spread
    overhead_p50_ms: Spread

    def to_json(self) -> dict[str, Any]:
        """Raw numbers for results.json."""
        return {
            "client_p50_ms": self.client_p50_ms.to_json(),
            "raw_p50_ms": self.raw_p50_ms.to_json(),
            "overhead_p50_ms": self.overhead_p50_ms.to_json(),
        }


def _p50_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def _timed(call: Any, rounds: int) -> list[float]:
    took = []
    for i in range(rounds):
        started = time.perf_counter()
        call(i)
        took.append(time.perf_counter() - started)
    return took


def measure(upstream_url: str, phones: list[str], *, rounds: int, repeats: int) -> ClientOverhead:
    """``repeats`` times: ``rounds`` logins through ``LeanCloudClient``, then as many raw ones."""
    client = LeanCloudClient(DEMO_APP_ID, DEMO_APP_KEY, server_url=upstream_url, pool_maxsize=1)
    parts = urlsplit(upstream_url)
    raw = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    headers = login_headers()

    def through_client(i: int) -> None:
        client.login_with_password(phones[i % len(phones)], PASSWORD)

    def by_hand(i: int) -> None:
        body = upstream_login_body(phones[i % len(phones)]).encode()
        raw.request("POST", LOGIN_PATH, body=body, headers=headers)
        answer = raw.getresponse()
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"raw login answered {answer.status}")

    through_client(0)  # connect both first: keep-alive is what is compared
    by_hand(0)
    mine, theirs, diffs = [], [], []
    try:
        for _ in range(repeats):
            a = _p50_ms(_timed(through_client, rounds))
            b = _p50_ms(_timed(by_hand, rounds))
            mine.append(a)
            theirs.append(b)
            diffs.append(a - b)
    finally:
        raw.close()
        client.close()
    return ClientOverhead(spread(mine), spread(theirs), spread(diffs))
