"""Medians and spreads of repeated measurements."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Spread:
    """The median of several runs with their minimum and maximum."""

    median: float
    low: float
    high: float
    runs: int

    def show(self, digits: int = 2, unit: str = "") -> str:
        """``median (min–max)`` for the report."""
        fmt = f"{{:.{digits}f}}"
        med, low, high = (fmt.format(v) for v in (self.median, self.low, self.high))
        return f"{med}{unit} ({low}–{high}, n={self.runs})"

    def to_json(self) -> dict[str, float]:
        """The numbers, for the raw results file."""
        return {"median": self.median, "min": self.low, "max": self.high, "runs": self.runs}


def spread(values: Sequence[float]) -> Spread:
    """The median and range of ``values`` (at least one)."""
    if not values:
        raise ValueError("no measurements")
    return Spread(statistics.median(values), min(values), max(values), len(values))
