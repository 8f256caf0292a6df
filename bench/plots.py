"""PNG plots of the results (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from .stats import Spread

if TYPE_CHECKING:
    from .measure import Results


def _bars(ax: object, labels: list[str], spreads: list[Spread], color: str) -> None:
    medians = [s.median for s in spreads]
    errors = [[s.median - s.low for s in spreads], [s.high - s.median for s in spreads]]
    ax.bar(labels, medians, yerr=errors, capsize=4, color=color)  # type: ignore[attr-defined]


def draw(results: Results, out: Path) -> list[Path]:
    """Write the plots into ``out``; their paths."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    if results.overhead:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4))
        for ax, ms in zip(axes, sorted(results.overhead.figures), strict=True):
            f = results.overhead.figures[ms]
            _bars(
                ax,
                ["a p50", "b p50", "a p99", "b p99"],
                [f["a_p50"], f["b_p50"], f["a_p99"], f["b_p99"]],
                "#4c72b0",
            )
            ax.set_title(f"Login latency, upstream L = {ms} ms")
            ax.set_ylabel("ms (median of runs, bars: min–max)")
        fig.suptitle("a = POST /auth/phone/login/ on the site, b = POST /1.1/login direct")
        written.append(_save(fig, out / "overhead.png"))
    if results.throughput:
        fig, ax = plt.subplots(figsize=(8, 4))
        labels = [t.label for t in results.throughput]
        _bars(ax, labels, [t.rps for t in results.throughput], "#55a868")
        ceilings = [t.ceiling_rps or 0 for t in results.throughput]
        ax.scatter(labels, ceilings, marker="_", s=900, color="black", label="ceiling W / L")
        ax.scatter(
            labels,
            [c * 0.8 for c in ceilings],
            marker="_",
            s=900,
            color="red",
            label="target 0.8 × ceiling",
        )
        ax.set_ylabel("logins per second")
        ax.set_title("Throughput: 32 clients, upstream L = 50 ms (workers × threads)")
        ax.legend()
        written.append(_save(fig, out / "throughput.png"))
    if results.scale:
        s = results.scale
        fig, ax = plt.subplots(figsize=(6, 4))
        _bars(
            ax,
            [f"{s.small:,} profiles", f"{s.large:,} profiles"],
            [s.small_p50, s.large_p50],
            "#8172b2",
        )
        ax.set_ylabel("login p50, ms")
        ax.set_title(f"Scale: ratio {s.ratio.median:.3f} (target ≤ 1.10)")
        written.append(_save(fig, out / "scale.png"))
    if results.imports:
        i = results.imports
        fig, ax = plt.subplots(figsize=(6, 4))
        _bars(ax, ["SQLite", "PostgreSQL"], [i.sqlite, i.postgresql], "#c44e52")
        ax.set_ylabel("users per second")
        ax.set_title(f"lc_import_users, {i.users:,} users")
        written.append(_save(fig, out / "import.png"))
    if results.local:
        fig, ax = plt.subplots(figsize=(8, 4))
        labels, spreads = [], []
        for v in results.local:
            labels += [f"{v.hasher}\nlogin p50", f"{v.hasher}\ncheck_password"]
            spreads += [v.login_p50, v.check_ms]
        _bars(ax, labels, spreads, "#dd8452")
        ax.set_yscale("log")
        ax.set_ylabel("ms (log scale)")
        ax.set_title("Local provider: login p50 against the password check alone")
        written.append(_save(fig, out / "local.png"))
    if results.profile and results.profile.parts:
        fig, ax = plt.subplots(figsize=(8, 4))
        parts = list(reversed(results.profile.parts))
        ax.barh([p[0] for p in parts], [p[1] for p in parts], color="#937860")
        ax.set_xlabel("% of a login's wall time in the site (py-spy --idle)")
        ax.set_title("Where a login's time goes (one at a time, L = 0)")
        written.append(_save(fig, out / "profile.png"))
    return written


def _save(fig: object, path: Path) -> Path:
    fig.tight_layout()  # type: ignore[attr-defined]
    fig.savefig(path, dpi=100)  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return path
