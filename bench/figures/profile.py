"""Item 7: where a login's time goes in the site, sampled by py-spy.

py-spy attaches to the running site (all its workers) while wrk sends one login at a time
with no upstream latency, and samples the request thread's wall time (``--idle``: waiting on
PostgreSQL, Redis or the upstream counts too, as it does in a−b). Only samples inside a
request are kept. Each is attributed to the deepest frame that belongs to a known part (first
match from the leaf up), which splits a login into parts that add up to 100 %.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import wrk
from ..context import Context
from ..load import site_login
from ..machine import tool

# (label, substring of a frame) in the order a stack is searched from its leaf.
# py-spy names files relative to their sys.path entry ("django/db/models/query.py").
PARTS: tuple[tuple[str, str], ...] = (
    ("password hashing", "hashers.py"),
    ("password hashing", "lc_password.py"),
    ("upstream HTTP client (requests/urllib3)", "(requests/"),
    ("upstream HTTP client (requests/urllib3)", "(urllib3/"),
    ("upstream HTTP client (requests/urllib3)", "(http/client.py"),
    ("database (psycopg + ORM)", "(psycopg/"),
    ("database (psycopg + ORM)", "(django/db/"),
    ("cache (redis)", "(redis/"),
    ("cache (redis)", "(django/core/cache/"),
    ("phone numbers (phonenumbers)", "(phonenumbers/"),
    ("django_lc_phone (own code)", "(django_lc_phone/"),
    ("DRF", "(rest_framework/"),
    ("Django (request, middleware, auth)", "(django/"),
    ("gunicorn", "(gunicorn/"),
)


@dataclass(frozen=True)
class Profile:
    """Shares of in-request samples by part, and the own-code functions with the most."""

    samples: int
    parts: list[tuple[str, float]]
    own_functions: list[tuple[str, float]]
    raw_path: Path

    def to_json(self) -> dict[str, Any]:
        """Raw numbers for results.json."""
        return {"samples": self.samples, "parts": self.parts, "own": self.own_functions}


def _part(frames: list[str]) -> str:
    for frame in reversed(frames):  # the leaf is last
        for label, needle in PARTS:
            if needle in frame:
                return label
    return "other (interpreter, stdlib)"


def _function(frame: str) -> str:
    """``name (module/file.py)`` without the line number."""
    name, _, where = frame.partition(" (")
    return f"{name} ({where.rpartition(':')[0]})"


def analyse(raw: Path) -> Profile:
    """Parse py-spy's raw (collapsed stacks) output."""
    parts: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not any("handle_request (gunicorn/" in f for f in frames):
            continue  # the worker's idle threads and its accept loop, not a request
        total += count
        parts[_part(frames)] += count
        # Inclusive per own function (each once per stack).
        for name in {_function(f) for f in frames if "(django_lc_phone/" in f}:
            own[name] += count
    shares = [(k, 100 * v / total) for k, v in parts.most_common()] if total else []
    own_shares = [(k, 100 * v / total) for k, v in own.most_common(12)] if total else []
    return Profile(total, shares, own_shares, raw)


def measure(ctx: Context, site_pid: int, site_url: str, phones: list[str], out: Path) -> Profile:
    """Record the site's workers for ``plan.profile_seconds`` under login load."""
    seconds = ctx.plan.profile_seconds
    out.parent.mkdir(parents=True, exist_ok=True)
    spy = subprocess.Popen(  # noqa: S603 - fixed argument list
        [
            tool("py-spy") or "py-spy",
            "record",
            "--pid",
            str(site_pid),
            "--subprocesses",
            "--rate",
            "200",
            "--duration",
            str(int(seconds)),
            "--format",
            "raw",
            "--output",
            str(out),
            "--nonblocking",  # never pause the workers: that would be measured too
            "--idle",  # wall time: waiting on the database, Redis or the upstream counts
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1)  # py-spy attaches to each worker first
    wrk.run(site_url, site_login(phones), connections=1, seconds=seconds + 1)
    _, err = spy.communicate(timeout=seconds + 60)
    if spy.returncode != 0 or not out.exists():
        raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-2000:]}")
    return analyse(out)
