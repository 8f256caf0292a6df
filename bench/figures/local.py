"""Figure 6: the overhead and throughput figures with ``PROVIDER = "local"``.

The local provider has no upstream: its "upstream call" is Django's password check. So (b)
is that check alone, timed in-process with the same hasher, and a−b is what the layer adds
around it. Django's default hasher (PBKDF2-SHA256, slow on purpose) is kept for the headline
figures; a second site with MD5 hashing (bench only, never for real passwords) shows the
layer's cost with hashing nearly out of the way.
"""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from typing import Any

from .. import wrk
from ..context import Context
from ..db import add_profiles
from ..load import site_login
from ..stats import Spread, spread
from ..upstream import phones as make_phones
from . import throughput
from .throughput import CLIENTS

USERS = 32


@dataclass(frozen=True)
class LocalVariant:
    """One hasher: its check time, the login latency, and the throughput under load."""

    hasher: str
    check_ms: Spread
    login_p50: Spread
    login_p99: Spread
    layer_p50_ms: Spread
    ratio_p50: Spread
    throughput: throughput.Throughput

    def to_json(self) -> dict[str, Any]:
        """Raw numbers for results.json."""
        return {
            "hasher": self.hasher,
            "check_ms": self.check_ms.to_json(),
            "login_p50_ms": self.login_p50.to_json(),
            "login_p99_ms": self.login_p99.to_json(),
            "layer_p50_ms": self.layer_p50_ms.to_json(),
            "ratio_p50": self.ratio_p50.to_json(),
            "throughput": self.throughput.to_json(),
        }


def measure_variant(ctx: Context, database: str, *, fast_hasher: bool, prefix: str) -> LocalVariant:
    """Seed local users hashed by this site's hasher, start the site, measure."""
    env = ctx.site_env(database, provider="local", fast_hasher=fast_hasher)
    hashing = ctx.djtask(env, "hash", "--repeat", "5")
    users = make_phones(prefix, USERS)
    add_profiles(database, 0, USERS, hashing["hash"], prefix)
    workers, threads = 2, 4
    site = ctx.site(f"site-local-{hashing['algorithm']}", env, workers=workers, threads=threads)
    try:
        lua = site_login(users)
        wrk.run(site.url, lua, connections=2, seconds=ctx.plan.warmup_seconds)
        checks: list[float] = list(hashing["check_ms"])
        p50, p99, layer, ratio = [], [], [], []
        for _ in range(ctx.plan.local_reps):
            # b is timed right before a, each repetition: PBKDF2's time drifts with the
            # machine's load more than the layer's few milliseconds.
            b = statistics.median(ctx.djtask(env, "hash", "--repeat", "3")["check_ms"])
            got = wrk.run(site.url, lua, connections=1, seconds=ctx.plan.local_seconds)
            checks.append(b)
            p50.append(got.p50_ms)
            p99.append(got.p99_ms)
            layer.append(got.p50_ms - b)
            ratio.append(got.p50_ms / b)
        check = spread(checks)
        # With PBKDF2 a login is CPU-bound: its ceiling is one password check per core at a
        # time. MD5 leaves no such ceiling (the rest of the site's CPU is the limit).
        cores = os.cpu_count() or 1
        slow = check.median > 20
        queue_drain = CLIENTS * check.median / 1000 / cores if slow else 0.0
        load = throughput.measure(
            ctx,
            site.url,
            users,
            workers=workers,
            threads=threads,
            pool_maxsize=0,
            upstream=False,
            ceiling_rps=cores * 1000 / check.median if slow else None,
            reps=ctx.plan.local_throughput_reps,
            # Long runs: the first answers come only after a full queue's wait.
            seconds=max(ctx.plan.throughput_seconds, 6 * queue_drain),
            drain_seconds=queue_drain,
            # 32 clients queue behind one check per core: an answer can wait 6.4 s on
            # average (and 10 s, wrk's default, at p99 on a slow run). A client that gives
            # up is not an error of the site.
            timeout_s=30 if slow else 10,
        )
    finally:
        ctx.procs.stop(site)
    return LocalVariant(
        hasher=hashing["algorithm"],
        check_ms=check,
        login_p50=spread(p50),
        login_p99=spread(p99),
        layer_p50_ms=spread(layer),
        ratio_p50=spread(ratio),
        throughput=load,
    )


def measure(ctx: Context, database: str) -> list[LocalVariant]:
    """The default hasher, then the fast one."""
    return [
        measure_variant(ctx, database, fast_hasher=False, prefix="+86137000"),
        measure_variant(ctx, database, fast_hasher=True, prefix="+86136000"),
    ]
