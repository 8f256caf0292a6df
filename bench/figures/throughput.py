"""Figure 2 (and 6): logins per second from 32 concurrent clients with 50 ms upstream latency,
against the ceiling W / L of a site with W = workers × threads request threads, and how many
new TCP connections the site opened to the upstream per 1,000 logins after warm-up (counted
by the emulator: ``GET /emulator/v1/connections``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from .. import wrk
from ..context import Context
from ..load import site_login
from ..stats import Spread, spread

CLIENTS = 32
LATENCY_S = 0.050


@dataclass(frozen=True)
class Throughput:
    """One site configuration under load."""

    workers: int
    threads: int
    pool_maxsize: int
    ceiling_rps: float | None
    rps: Spread
    ratio: Spread | None
    p50_ms: Spread
    p99_ms: Spread
    errors: int
    requests: int
    new_connections_per_1000: Spread | None

    @property
    def label(self) -> str:
        """``2×4 (pool 10)``."""
        return f"{self.workers}×{self.threads} (pool {self.pool_maxsize})"

    def to_json(self) -> dict[str, Any]:
        """Raw numbers for results.json."""
        return {
            "workers": self.workers,
            "threads": self.threads,
            "pool_maxsize": self.pool_maxsize,
            "ceiling_rps": self.ceiling_rps,
            "rps": self.rps.to_json(),
            "ratio": self.ratio.to_json() if self.ratio else None,
            "p50_ms": self.p50_ms.to_json(),
            "p99_ms": self.p99_ms.to_json(),
            "errors": self.errors,
            "requests": self.requests,
            "new_connections_per_1000": (
                self.new_connections_per_1000.to_json() if self.new_connections_per_1000 else None
            ),
        }


def measure(
    ctx: Context,
    site_url: str,
    phones: list[str],
    *,
    workers: int,
    threads: int,
    pool_maxsize: int,
    upstream: bool = True,
    ceiling_rps: float | None = None,
    reps: int | None = None,
    seconds: float | None = None,
    drain_seconds: float = 0.0,
    timeout_s: int = 10,
) -> Throughput:
    """Warm up, then ``reps`` runs of 32 clients; ``upstream=False`` for the local provider
    (no emulator latency, no connection count). ``drain_seconds``: a pause after each run, so
    requests still queued in the site when wrk stops do not eat into the next run (slow,
    CPU-bound logins: PBKDF2). ``timeout_s``: how long wrk waits for an answer before it
    counts a timeout."""
    plan = ctx.plan
    lua = site_login(phones)
    control = ctx.upstream()[1] if upstream else None
    if control is not None:
        control.set_latency(LATENCY_S)
        ceiling_rps = workers * threads / LATENCY_S
    wrk.run(
        site_url,
        lua,
        connections=CLIENTS,
        seconds=plan.warmup_seconds,
        threads=2,
        timeout_s=timeout_s,
    )
    time.sleep(drain_seconds)
    rps, p50, p99, per_1000 = [], [], [], []
    errors = requests = 0
    for _ in range(reps or plan.throughput_reps):
        before = control.accepted_connections() if control else 0
        result = wrk.run(
            site_url,
            lua,
            connections=CLIENTS,
            seconds=seconds or plan.throughput_seconds,
            threads=2,
            timeout_s=timeout_s,
        )
        if control is not None:
            opened = control.accepted_connections() - before
            per_1000.append(opened * 1000 / max(result.requests, 1))
        time.sleep(drain_seconds)
        rps.append(result.rps)
        p50.append(result.p50_ms)
        p99.append(result.p99_ms)
        errors += result.errors
        requests += result.requests
    if control is not None:
        control.set_latency(0)
    return Throughput(
        workers=workers,
        threads=threads,
        pool_maxsize=pool_maxsize,
        ceiling_rps=ceiling_rps,
        rps=spread(rps),
        ratio=spread([r / ceiling_rps for r in rps]) if ceiling_rps else None,
        p50_ms=spread(p50),
        p99_ms=spread(p99),
        errors=errors,
        requests=requests,
        new_connections_per_1000=spread(per_1000) if per_1000 else None,
    )
