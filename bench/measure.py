"""The order of the run: start the upstream and the databases, then each figure in turn.

Progress goes to stderr; stdout is kept for the summary line.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any

from . import wrk
from .context import REDIS_URL, Context
from .db import add_profiles, count_profiles
from .figures import client, cost, imports, local, overhead, profile, scale, throughput
from .load import sign_in_each, site_login
from .processes import start_emulator
from .upstream import EmulatorControl, phones

LOGIN_USERS = 64
CLIENT_ROUNDS = 200  # logins per way and repetition in the client figure
# Bulk profiles have an unusable password: they are looked past, never logged in.
UNUSABLE_HASH = "!bench-unusable"


@dataclass
class Results:
    """Everything measured (a figure is None when it could not be measured)."""

    overhead: overhead.Overhead | None = None
    client: client.ClientOverhead | None = None
    throughput: list[throughput.Throughput] = field(default_factory=list)
    cost: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    scale: scale.Scale | None = None
    scale_counts: tuple[int, int] = (0, 0)
    imports: imports.ImportRate | None = None
    local: list[local.LocalVariant] = field(default_factory=list)
    profile: profile.Profile | None = None
    failures: list[str] = field(default_factory=list)


class Log:
    """Timestamped progress lines on stderr."""

    def __init__(self) -> None:
        self.started = time.monotonic()

    def __call__(self, message: str) -> None:
        sys.stderr.write(f"[{time.monotonic() - self.started:6.1f}s] {message}\n")
        sys.stderr.flush()


def measure_all(ctx: Context, *, profile_on: bool = True) -> Results:
    """Every figure; the processes and databases are left to the caller to clean up."""
    log = Log()
    results = Results()
    plan = ctx.plan
    log(f"plan {plan.name}: emulator, databases, {plan.scale_large:,} profiles")
    ctx.emulator = start_emulator(ctx.procs)
    ctx.control = EmulatorControl(ctx.emulator.url)
    users = phones("+8613800", LOGIN_USERS)
    ctx.control.sign_up(users)

    empty = ctx.dbs.create("empty")
    ctx.manage(ctx.site_env(empty), "migrate", "--noinput", "-v", "0")
    small = ctx.dbs.create("small", template="empty")
    large = ctx.dbs.create("large", template="empty")
    # The scale figure's own small database: the main site's sees thousands of logins first
    # (every login updates its user's rows), which would make it the slower of the two.
    fresh_small = ctx.dbs.create("scalesmall", template="empty")
    for database, size in (
        (small, plan.scale_small),
        (fresh_small, plan.scale_small),
        (large, plan.scale_large),
    ):
        add_profiles(database, 0, size, UNUSABLE_HASH, "+86139")

    workers, threads, pool = plan.throughput_configs[0]
    site = ctx.site(
        "site-leancloud", ctx.site_env(small, pool_maxsize=pool), workers=workers, threads=threads
    )
    # Warm-up: the first login of each user creates its local profile and captures its
    # password; then a few seconds of load.
    sign_in_each(site.url, users)
    wrk.run(site.url, site_login(users), connections=4, seconds=plan.warmup_seconds)

    log("1. overhead (a: site login, b: direct upstream login) at L = 0 and 20 ms")
    results.overhead = overhead.measure(ctx, site.url, users)

    log("8. the LeanCloud client against a raw keep-alive http.client call, L = 0")
    emulator, control = ctx.upstream()
    control.set_latency(0)
    results.client = client.measure(
        emulator.url, users, rounds=CLIENT_ROUNDS, repeats=plan.overhead_reps
    )

    for w, t, p in plan.throughput_configs:
        log(f"2. throughput: 32 clients, L = 50 ms, {w} workers × {t} threads, pool {p}")
        target = site
        if (w, t, p) != (workers, threads, pool):
            target = ctx.site(
                f"site-{w}x{t}-pool{p}", ctx.site_env(small, pool_maxsize=p), workers=w, threads=t
            )
        try:
            results.throughput.append(
                throughput.measure(ctx, target.url, users, workers=w, threads=t, pool_maxsize=p)
            )
        finally:
            if target is not site:
                ctx.procs.stop(target)

    if profile_on:
        log("7. profile of the login path (py-spy)")
        results.profile = profile.measure(
            ctx, site.process.pid, site.url, users, ctx.work_dir / "profile-raw.txt"
        )

    log(f"4. scale: {plan.scale_small:,} against {plan.scale_large:,} profiles")
    ctx.procs.stop(site)
    env_small = ctx.site_env(fresh_small, pool_maxsize=pool)
    few = ctx.site("site-small", env_small, workers=workers, threads=threads)
    env_large = ctx.site_env(large, pool_maxsize=pool)
    big = ctx.site("site-large", env_large, workers=workers, threads=threads)
    for warm in (few, big):  # the same history for both: each user's first login
        sign_in_each(warm.url, users)
        wrk.run(warm.url, site_login(users), connections=4, seconds=plan.warmup_seconds)
    results.scale_counts = (count_profiles(fresh_small), count_profiles(large))
    results.scale = scale.measure(
        ctx, few.url, big.url, users, (plan.scale_small, plan.scale_large)
    )
    ctx.procs.stop(big)
    ctx.procs.stop(few)

    log("6. local provider (PBKDF2, then MD5)")
    results.local = local.measure(ctx, small)

    log(f"5. import of {plan.import_users:,} users (SQLite, PostgreSQL)")
    results.imports = imports.measure(ctx, "empty")

    log("3. cost per flow (in-process)")
    results.cost["leancloud"] = cost.run({}, REDIS_URL)
    results.cost["local"] = cost.run({"LC_PHONE_PROVIDER": "local"}, REDIS_URL)
    log("done")
    return results
