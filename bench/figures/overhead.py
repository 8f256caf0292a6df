"""Figure 1 (and 6): what a login through the site costs beyond the upstream call itself.

(a) ``POST /auth/phone/login/`` on the site, (b) the same ``POST /1.1/login`` sent directly
to the emulator by the same load generator, and (f) the floor: ``POST /bench/floor/`` on the
same site, a bare view making the same Redis, PostgreSQL and upstream round trips and nothing
else (``bench/floor.py``). One connection each (latency, not load), in alternating order within
each repetition so drift hits all alike. a/b, a−b, f/b and f−b are taken per repetition, then
their median and range across repetitions are reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import wrk
from ..context import Context
from ..load import floor_login, site_login, upstream_login
from ..stats import Spread, spread

LATENCIES_MS = (0, 20)


@dataclass(frozen=True)
class Overhead:
    """Per injected latency (ms): spreads of a and b percentiles, a/b and a−b."""

    figures: dict[int, dict[str, Spread]]
    errors: int

    def to_json(self) -> dict[str, Any]:
        """Raw numbers for results.json."""
        return {
            str(k): {name: s.to_json() for name, s in v.items()} for k, v in self.figures.items()
        }


def measure(ctx: Context, site_url: str, phones: list[str]) -> Overhead:
    """Interleaved a/b runs at each injected latency."""
    emulator, control = ctx.upstream()
    plan = ctx.plan
    site_lua, upstream_lua, floor_lua = (
        site_login(phones),
        upstream_login(phones),
        floor_login(phones),
    )
    samples: dict[int, dict[str, list[float]]] = {ms: {} for ms in LATENCIES_MS}
    errors = 0
    for rep in range(plan.overhead_reps):
        for ms in LATENCIES_MS:
            control.set_latency(ms / 1000)
            runs = [
                ("a", site_url, site_lua),
                ("b", emulator.url, upstream_lua),
                ("f", site_url, floor_lua),
            ]
            if rep % 2:
                runs.reverse()
            got: dict[str, wrk.WrkResult] = {}
            for label, url, lua in runs:
                got[label] = wrk.run(url, lua, connections=1, seconds=plan.overhead_seconds)
                errors += got[label].errors
            a, b, f = got["a"], got["b"], got["f"]
            for name, value in (
                ("a_p50", a.p50_ms),
                ("a_p99", a.p99_ms),
                ("b_p50", b.p50_ms),
                ("b_p99", b.p99_ms),
                ("ratio_p50", a.p50_ms / b.p50_ms),
                ("ratio_p99", a.p99_ms / b.p99_ms),
                ("diff_p50", a.p50_ms - b.p50_ms),
                ("diff_p99", a.p99_ms - b.p99_ms),
                ("f_p50", f.p50_ms),
                ("floor_ratio_p50", f.p50_ms / b.p50_ms),
                ("floor_diff_p50", f.p50_ms - b.p50_ms),
                ("above_floor_p50", a.p50_ms - f.p50_ms),
            ):
                samples[ms].setdefault(name, []).append(value)
    control.set_latency(0)
    figures = {ms: {k: spread(v) for k, v in d.items()} for ms, d in samples.items()}
    return Overhead(figures, errors)
