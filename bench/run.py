"""Run every benchmark and write ``bench/results.md``, ``bench/results.json`` and the plots.

``python bench/run.py [--quick] [--no-profile]``; the last line printed is a one-line JSON
summary. See ``docs/benchmarks.md``. Exits 2 when something needed to measure is missing.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the ``bench`` package importable
    sys.path.insert(0, str(ROOT))

from bench import machine  # noqa: E402 - after the sys.path line above
from bench.context import REDIS_URL, Context  # noqa: E402
from bench.db import Databases  # noqa: E402
from bench.measure import Results, measure_all  # noqa: E402
from bench.plan import FULL, QUICK  # noqa: E402
from bench.processes import Processes  # noqa: E402
from bench.report import summary, write_report  # noqa: E402

OUT = ROOT / "bench"


def _clear_redis(prefix: str) -> None:
    """Delete this run's cache keys (the limiter's counters)."""
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*", count=1000):
        client.delete(key)


def main(argv: list[str] | None = None) -> int:
    """Measure, report, print the summary line; the exit status says whether it measured."""
    parser = argparse.ArgumentParser(prog="python bench/run.py", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer runs (<5 min)")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy profile")
    options = parser.parse_args(argv)
    plan = QUICK if options.quick else FULL
    problems = machine.missing(profile=not options.no_profile)
    problems += machine.services_missing(REDIS_URL) if not problems else []
    if problems:
        sys.stderr.write("bench: cannot measure, missing:\n")
        for problem in problems:
            sys.stderr.write(f"  - {problem}\n")
        return 2
    started = time.monotonic()
    run_id = f"{os.getpid()}"
    work_dir = Path(tempfile.mkdtemp(prefix="lcbench-"))
    ctx = Context(
        plan=plan,
        run_id=run_id,
        procs=Processes(work_dir),
        dbs=Databases(f"lcbench_{run_id}"),
        work_dir=work_dir,
    )
    info = machine.describe(REDIS_URL)
    results: Results | None = None
    try:
        results = measure_all(ctx, profile_on=not options.no_profile)
    finally:
        if ctx.control is not None:
            ctx.control.close()
        ctx.procs.close()
        ctx.dbs.close()
        _clear_redis(f"lcbench-{run_id}")
        shutil.rmtree(work_dir, ignore_errors=True)
    elapsed = time.monotonic() - started
    line: dict[str, Any] = summary(results, plan, elapsed)
    write_report(OUT, results, plan, info, elapsed, line)
    sys.stdout.write(json.dumps(line, separators=(",", ":")) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
