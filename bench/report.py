"""``bench/results.md`` (every figure beside its target), ``bench/results.json`` and the
one-line summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .figures.client import CLIENT_OVERHEAD_P50_MAX_MS
from .measure import LOGIN_USERS, Results
from .plan import Plan
from .plots import draw
from .stats import Spread

# Targets of the issue.
RATIO_MAX = 1.10
OVERHEAD_P50_MAX_MS = 3.0
THROUGHPUT_MIN = 0.8
# The lower bar for the larger configurations (threads per process share the CPU):
# 0.7 of W / L at W = 16.
THROUGHPUT_MIN_AT_W = {16: 0.7}


def throughput_min(workers_times_threads: int) -> float:
    """The throughput target (a share of W / L) for a site with W request threads."""
    return THROUGHPUT_MIN_AT_W.get(workers_times_threads, THROUGHPUT_MIN)


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("PASS" if ok else "**FAIL**")


def _median(value: Spread | None) -> float | None:
    return round(value.median, 4) if value is not None else None


def db_queries_per_login(r: Results) -> int | None:
    """The queries of a phone + password login through LeanCloud by a known user (the cost
    walk's first such row), token issuance included."""
    rows = [
        c
        for c in r.cost.get("leancloud", [])
        if (c["endpoint"], c["case"]) == ("login/", "password")
    ]
    return int(rows[0]["queries"]) if rows else None


def redis_round_trips_per_login(r: Results) -> tuple[int, int] | None:
    """The Redis round trips of that login: before its answer, and after it (the release of
    its limits), None when the walk did not run on Redis."""
    rows = [
        c
        for c in r.cost.get("leancloud", [])
        if (c["endpoint"], c["case"]) == ("login/", "password") and c.get("redis") is not None
    ]
    return (int(rows[0]["redis"]), int(rows[0]["redis_after"])) if rows else None


def summary(results: Results | None, plan: Plan, elapsed: float) -> dict[str, Any]:
    """The keys the issue asks for (None when not measured), and a few more."""
    r = results or Results()
    main = r.throughput[0] if r.throughput else None
    line: dict[str, Any] = {
        "overhead_ratio_20ms": _median(r.overhead.figures[20]["ratio_p50"]) if r.overhead else None,
        "overhead_p50_ms_0ms": _median(r.overhead.figures[0]["diff_p50"]) if r.overhead else None,
        "throughput_ratio": _median(main.ratio) if main else None,
        "errors": main.errors if main else None,
        "new_upstream_connections_per_1000": (
            _median(main.new_connections_per_1000) if main else None
        ),
        "scale_ratio_1m_vs_1k": _median(r.scale.ratio) if r.scale else None,
        "import_users_per_s": _median(r.imports.postgresql) if r.imports else None,
        "import_users_per_s_sqlite": _median(r.imports.sqlite) if r.imports else None,
        "overhead_ratio_p99_20ms": (
            _median(r.overhead.figures[20]["ratio_p99"]) if r.overhead else None
        ),
        "client_overhead_p50_ms": _median(r.client.overhead_p50_ms) if r.client else None,
        "floor_p50_ms_0ms": (
            _median(r.overhead.figures[0]["floor_diff_p50"]) if r.overhead else None
        ),
        "floor_ratio_20ms": (
            _median(r.overhead.figures[20]["floor_ratio_p50"]) if r.overhead else None
        ),
        "db_queries_per_login": db_queries_per_login(r),
    }
    trips = redis_round_trips_per_login(r)
    line["redis_round_trips_per_login"] = trips[0] if trips else None
    line["redis_round_trips_after_answer_per_login"] = trips[1] if trips else None
    for variant in r.local:
        key = variant.hasher.replace("_", "")
        line[f"local_{key}_layer_p50_ms"] = _median(variant.layer_p50_ms)
        line[f"local_{key}_throughput_ratio"] = _median(variant.throughput.ratio)
        line[f"local_{key}_errors"] = variant.throughput.errors
    line["plan"] = plan.name
    if plan.scale_large != 1_000_000:
        line["scale_sizes"] = [plan.scale_small, plan.scale_large]
    line["seconds"] = round(elapsed, 1)
    return line


def _row(name: str, value: str, target: str, ok: bool | None) -> str:
    return f"| {name} | {value} | {target} | {_verdict(ok)} |"


def _figures_table(r: Results) -> list[str]:
    rows = ["| Figure | Median (min–max, runs) | Target | Result |", "|---|---|---|---|"]
    if r.overhead:
        f0, f20 = r.overhead.figures[0], r.overhead.figures[20]
        rows += [
            _row(
                "1. a/b p50, L = 20 ms",
                f20["ratio_p50"].show(3),
                "≤ 1.10",
                f20["ratio_p50"].median <= RATIO_MAX,
            ),
            _row(
                "1. a/b p99, L = 20 ms",
                f20["ratio_p99"].show(3),
                "≤ 1.10",
                f20["ratio_p99"].median <= RATIO_MAX,
            ),
            _row(
                "1. a−b p50, L = 0",
                f0["diff_p50"].show(2, " ms"),
                "≤ 3 ms",
                f0["diff_p50"].median <= OVERHEAD_P50_MAX_MS,
            ),
            _row("1. a−b p99, L = 0", f0["diff_p99"].show(2, " ms"), "(reported)", None),
            _row("1. a−b p50, L = 20 ms", f20["diff_p50"].show(2, " ms"), "(reported)", None),
            _row(
                "1. floor (a bare view, the same round trips): f−b p50, L = 0",
                f0["floor_diff_p50"].show(2, " ms"),
                "(reported)",
                None,
            ),
            _row(
                "1. floor: f/b p50, L = 20 ms",
                f20["floor_ratio_p50"].show(3),
                "(reported)",
                None,
            ),
            _row(
                "1. a−f p50 (the layer above the floor), L = 0",
                f0["above_floor_p50"].show(2, " ms"),
                "(reported)",
                None,
            ),
            _row(
                "1. a−f p50, L = 20 ms", f20["above_floor_p50"].show(2, " ms"), "(reported)", None
            ),
            _row(
                "1. errors (a, b and f, all runs)",
                str(r.overhead.errors),
                "0",
                r.overhead.errors == 0,
            ),
        ]
    for i, t in enumerate(r.throughput):
        tag = "" if i == 0 else " (extra configuration)"
        w = t.workers * t.threads
        rows += [
            _row(
                f"2. throughput {t.label}, W = {w}{tag}",
                f"{t.rps.show(1, ' req/s')}; ceiling W/L = {t.ceiling_rps:.0f}",
                f"≥ {throughput_min(w):.1f} × ceiling",
                None,
            ),
            _row(
                f"2. throughput / ceiling, {t.label}{tag}",
                t.ratio.show(3) if t.ratio else "?",
                f"≥ {throughput_min(w):.2f}",
                t.ratio.median >= throughput_min(w) if t.ratio else None,
            ),
            _row(
                f"2. errors, {t.label}{tag}",
                f"{t.errors} of {t.requests:,} requests",
                "0",
                t.errors == 0,
            ),
        ]
        if t.new_connections_per_1000:
            rows.append(
                _row(
                    f"2. new upstream connections per 1,000 logins, {t.label}{tag}",
                    t.new_connections_per_1000.show(2),
                    f"≤ W = {w}",
                    t.new_connections_per_1000.median <= w,
                )
            )
    rows.append(_row("3. cost per flow", "see the table below", "as the tests assert", None))
    if r.scale:
        s = r.scale
        rows += [
            _row(
                f"4. login p50, {r.scale_counts[0]:,} profiles",
                s.small_p50.show(2, " ms"),
                "",
                None,
            ),
            _row(
                f"4. login p50, {r.scale_counts[1]:,} profiles",
                s.large_p50.show(2, " ms"),
                "",
                None,
            ),
            _row(
                f"4. ratio {s.large:,} / {s.small:,}",
                s.ratio.show(3),
                "≤ 1.10",
                s.ratio.median <= RATIO_MAX,
            ),
        ]
    if r.imports:
        imp = r.imports
        rows += [
            _row(
                f"5. import, SQLite, {imp.users:,} users",
                imp.sqlite.show(0, " users/s"),
                "(reported)",
                None,
            ),
            _row(
                f"5. import, PostgreSQL, {imp.users:,} users",
                imp.postgresql.show(0, " users/s"),
                "(reported)",
                None,
            ),
        ]
    if r.client:
        rows.append(
            _row(
                "8. LeanCloud client over raw http.client, p50",
                r.client.overhead_p50_ms.show(3, " ms"),
                f"≤ {CLIENT_OVERHEAD_P50_MAX_MS} ms",
                r.client.overhead_p50_ms.median <= CLIENT_OVERHEAD_P50_MAX_MS,
            )
        )
    queries = db_queries_per_login(r)
    if queries is not None:
        rows.append(
            _row("3. queries per password login (LeanCloud)", str(queries), "≤ 2", queries <= 2)
        )
    trips = redis_round_trips_per_login(r)
    if trips is not None:
        rows += [
            _row(
                "3. Redis round trips per password login, before the answer",
                str(trips[0]),
                "≤ 1",
                trips[0] <= 1,
            ),
            _row(
                "3. Redis round trips per password login, after the answer (the release)",
                str(trips[1]),
                "≤ 1",
                trips[1] <= 1,
            ),
        ]
    for v in r.local:
        t = v.throughput
        rows += [
            _row(
                f"6. local ({v.hasher}): password check alone (b)",
                v.check_ms.show(2, " ms"),
                "(reported)",
                None,
            ),
            _row(
                f"6. local ({v.hasher}): login p50 (a)",
                v.login_p50.show(2, " ms"),
                "(reported)",
                None,
            ),
            _row(
                f"6. local ({v.hasher}): a−b p50 (the layer)",
                v.layer_p50_ms.show(2, " ms"),
                "≤ 3 ms",
                v.layer_p50_ms.median <= OVERHEAD_P50_MAX_MS,
            ),
            _row(
                f"6. local ({v.hasher}): a/b p50",
                v.ratio_p50.show(3),
                "≤ 1.10",
                v.ratio_p50.median <= RATIO_MAX,
            ),
            _row(
                f"6. local ({v.hasher}): throughput, 32 clients, {t.label.split(' (')[0]}",
                f"{t.rps.show(1, ' req/s')}; CPU ceiling = cores / check = {t.ceiling_rps:.1f}"
                if t.ceiling_rps
                else t.rps.show(1, " req/s"),
                "≥ 0.8 × ceiling" if t.ceiling_rps else "(reported: no hashing ceiling)",
                t.ratio.median >= THROUGHPUT_MIN if t.ratio else None,
            ),
            _row(
                f"6. local ({v.hasher}): errors",
                f"{t.errors} of {t.requests:,}",
                "0",
                t.errors == 0,
            ),
        ]
    return rows


def _cost_table(r: Results) -> list[str]:
    if not r.cost:
        return ["(not measured)"]
    lc, loc = r.cost.get("leancloud", []), r.cost.get("local", [])
    rows = [
        "| Endpoint | Case | LeanCloud: status | upstream calls | queries | Redis "
        "| Local: status | queries | Redis |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for i, row in enumerate(lc):
        other = loc[i] if i < len(loc) else {}
        rows.append(
            f"| `{row['endpoint']}` | {row['case']} | {row['status']} | {row['upstream']} "
            f"| {row['queries']} | {_trips(row)} | {other.get('status', '')} "
            f"| {other.get('queries', '')} | {_trips(other)} |"
        )
    return rows


def _trips(row: dict[str, Any]) -> str:
    """Redis round trips before the answer, with those after it (``1 + 1``)."""
    if row.get("redis") is None:
        return ""
    return f"{row['redis']} + {row['redis_after']}" if row["redis_after"] else str(row["redis"])


def _profile_section(r: Results) -> list[str]:
    p = r.profile
    if p is None:
        return ["(not measured: `--no-profile`)"]
    lines = [
        f"{p.samples:,} samples of the request thread's wall time (py-spy `--idle`), one login "
        "at a time, no upstream latency. By part (the deepest known frame of each sample; "
        "waiting on a socket counts to the part that waits):",
        "",
    ]
    login_ms = r.overhead.figures[0]["a_p50"].median if r.overhead else None
    if login_ms is None:
        lines += ["| Part | Share |", "|---|---|"]
        lines += [f"| {name} | {share:.1f} % |" for name, share in p.parts]
    else:
        lines += [f"| Part | Share | ≈ ms of a login (a p50 at L = 0: {login_ms:.1f} ms) |"]
        lines += ["|---|---|---|"]
        lines += [
            f"| {name} | {share:.1f} % | {share * login_ms / 100:.1f} |" for name, share in p.parts
        ]
    lines += ["", "django_lc_phone functions on the stack (inclusive):", ""]
    lines += ["| Function | Share |", "|---|---|"]
    lines += [f"| `{name}` | {share:.1f} % |" for name, share in p.own_functions]
    return lines


def write_report(
    out: Path,
    results: Results | None,
    plan: Plan,
    info: dict[str, str],
    elapsed: float,
    line: dict[str, Any],
) -> None:
    """Write results.md, results.json and the plots."""
    r = results or Results()
    plots = draw(r, out / "plots")
    sizes = (
        f"**Quick run** (`--quick`): {plan.scale_large:,} profiles instead of 1,000,000 for "
        f"the scale figure, {plan.import_users:,} users instead of 100,000 for the import, "
        f"{plan.overhead_reps} repetitions of {plan.overhead_seconds:g} s per latency figure."
        if plan.name == "quick"
        else f"**Full run**: the issue's sizes, {plan.overhead_reps} repetitions of "
        f"{plan.overhead_seconds:g} s per latency figure."
    )
    main = r.throughput[0] if r.throughput else None
    md = [
        "# Benchmark results",
        "",
        f"Written by `python bench/run.py{' --quick' if plan.name == 'quick' else ''}` in "
        f"{elapsed:.0f} s. {sizes} How to run it and what each figure means: "
        "[docs/benchmarks.md](../docs/benchmarks.md).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in info.items()],
        "",
        "## Set-up",
        "",
        "- The example site under gunicorn (gthread, `--reuse-port`), `DEBUG=0`, PostgreSQL "
        "(persistent connections, prepared statements), Redis as the Django cache (redis-py "
        "with hiredis); the LeanCloud emulator in its own process over HTTP as the upstream "
        "(keep-alive), its latency injected with `POST /emulator/v1/latency`.",
        "- The floor (f): `POST /bench/floor/` on the same site, a bare view making one Redis "
        "script call, one indexed SELECT and the same upstream login, and nothing else "
        "(`bench/floor.py`).",
        f"- Load: {info.get('wrk', 'wrk')} (wrk is C and runs one Lua script POSTing JSON), on "
        "the same 2 cores as the site: "
        f"{LOGIN_USERS} users logging in with phone + password in turn. Latency figures use "
        "one connection (latency, not load); throughput uses 32.",
        "- The rate limiter is **on**, against Redis (its round trips are measured), with its "
        "limits raised far above the load (`bench/settings.py`): one load generator on one IP "
        "would otherwise be refused, as it should be in production.",
        "- Passwords: LeanCloud's logins hash in the emulator (its cost is in a and b alike). "
        "The local provider keeps Django's default hasher (PBKDF2) for its headline figures; "
        "a second local site uses MD5 hashing **for the benchmark only**, to show what the "
        "layer costs without the hash.",
        f"- Main throughput site: {main.label if main else '?'}; W = workers × threads.",
        "",
        "## Figures against targets",
        "",
        *_figures_table(r),
        "",
        *[f"![{p.stem}](plots/{p.name})" for p in plots],
        "",
        "## 3. Cost per flow",
        "",
        "Upstream calls, database queries and Redis round trips (before the answer + after it) "
        "per request, every endpoint of the phone API, "
        "measured in-process (Django's test client; the LeanCloud client against the "
        "in-process emulator, counted). Local provider: no upstream.",
        "",
        *_cost_table(r),
        "",
        "## 7. Profile of the login path",
        "",
        *_profile_section(r),
        "",
    ]
    if r.failures:
        md += ["## Not measured", "", *[f"- {f}" for f in r.failures], ""]
    md += ["## Summary line", "", "```json", json.dumps(line), "```", ""]
    (out / "results.md").write_text("\n".join(md), encoding="utf-8")
    raw = {
        "summary": line,
        "machine": info,
        "overhead": r.overhead.to_json() if r.overhead else None,
        "client": r.client.to_json() if r.client else None,
        "throughput": [t.to_json() for t in r.throughput],
        "scale": r.scale.to_json() if r.scale else None,
        "import": r.imports.to_json() if r.imports else None,
        "local": [v.to_json() for v in r.local],
        "cost": r.cost,
        "profile": r.profile.to_json() if r.profile else None,
    }
    (out / "results.json").write_text(json.dumps(raw, indent=1), encoding="utf-8")
