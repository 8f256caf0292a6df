"""Figure 4: login p50 on a site with few local profiles against one with many (PostgreSQL).

Two gunicorn instances, one per database, share the emulator; their runs alternate, one
connection each, with no injected upstream latency (so database time weighs the most).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import wrk
from ..context import Context
from ..load import site_login
from ..stats import Spread, spread


@dataclass(frozen=True)
class Scale:
    """p50 with each population and the ratio large/small, per repetition."""

    small: int
    large: int
    small_p50: Spread
    large_p50: Spread
    ratio: Spread
    errors: int

    def to_json(self) -> dict[str, Any]:
        """Raw numbers for results.json."""
        return {
            "small": self.small,
            "large": self.large,
            "small_p50_ms": self.small_p50.to_json(),
            "large_p50_ms": self.large_p50.to_json(),
            "ratio": self.ratio.to_json(),
        }


def measure(
    ctx: Context, small_url: str, large_url: str, phones: list[str], sizes: tuple[int, int]
) -> Scale:
    """Alternating runs on the two sites."""
    lua = site_login(phones)
    small, large, ratio = [], [], []
    errors = 0
    seconds = ctx.plan.overhead_seconds
    for rep in range(ctx.plan.scale_reps):
        order = [("small", small_url), ("large", large_url)]
        if rep % 2:
            order.reverse()
        got = {}
        for label, url in order:
            got[label] = wrk.run(url, lua, connections=1, seconds=seconds)
            errors += got[label].errors
        small.append(got["small"].p50_ms)
        large.append(got["large"].p50_ms)
        ratio.append(got["large"].p50_ms / got["small"].p50_ms)
    return Scale(sizes[0], sizes[1], spread(small), spread(large), spread(ratio), errors)
