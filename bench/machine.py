"""What the benchmark needs (checked before anything starts) and what it ran on."""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import platform
import shutil
import subprocess
import sys
from pathlib import Path

from .processes import ROOT

REQUIRED_MODULES = {
    "matplotlib": 'pip install -e ".[bench]"',
    "psycopg": 'pip install -e ".[bench]"',
    "redis": 'pip install -e ".[bench]"',
    "gunicorn": 'pip install -e ".[bench]"',
}


def tool(name: str) -> str | None:
    """A program on PATH, or installed beside this interpreter (a venv run without activating
    it, where pip put py-spy)."""
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def ensure_wrk() -> bool:
    """Whether wrk is on PATH, installing it with apt-get first where the bench runs as root
    (Debian and Ubuntu package it); without it the Python load generator stands in."""
    apt = shutil.which("apt-get")
    if shutil.which("wrk") is None and apt is not None and os.geteuid() == 0:
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        install = [apt, "install", "-y", "-q", "wrk"]
        # A fresh machine may have no package lists yet: install, else update and install.
        for steps in ([install], [[apt, "update", "-q"], install]):
            for command in steps:
                subprocess.run(  # noqa: S603 - fixed argument list, no shell
                    command, env=env, capture_output=True, check=False, timeout=600
                )
            if shutil.which("wrk") is not None:
                break
    return shutil.which("wrk") is not None


def load_generator() -> str:
    """The load generator the figures come from, as the report names it."""
    if shutil.which("wrk") is not None:
        return _first_line(["wrk", "--version"])
    return "Python fallback (bench/pyload.py: http.client on threads, not comparable with wrk)"


def missing(profile: bool) -> list[str]:
    """What is missing to measure, each with the command that installs it (wrk is not: it is
    installed where it can be, and the Python load generator stands in where it cannot)."""
    problems = []
    ensure_wrk()
    for module, how in REQUIRED_MODULES.items():
        if importlib.util.find_spec(module) is None:
            problems.append(f"Python package {module}: {how}")
    if profile and tool("py-spy") is None:
        problems.append('py-spy (the profiler): pip install -e ".[bench]" (or --no-profile)')
    return problems


def services_missing(redis_url: str) -> list[str]:
    """PostgreSQL and Redis reachable, or what is wrong."""
    problems = []
    try:
        from .db import server_version

        server_version()
    except Exception as exc:  # any connection failure: say it, do not crash
        problems.append(f"PostgreSQL on 127.0.0.1:5432 (BENCH_PG_*): {type(exc).__name__}: {exc}")
    try:
        import redis

        redis.Redis.from_url(redis_url).ping()
    except Exception as exc:
        problems.append(f"Redis at {redis_url} (BENCH_REDIS_URL): {type(exc).__name__}: {exc}")
    return problems


def _first_line(argv: list[str]) -> str:
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=10)  # noqa: S603
    except OSError:
        return "?"
    text = (done.stdout or done.stderr).strip()
    return text.splitlines()[0] if text else "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _memory_gib() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return "?"


def describe(redis_url: str) -> dict[str, str]:
    """The machine and the versions of everything measured."""
    import django
    import redis

    from .db import server_version

    try:
        redis_version = str(redis.Redis.from_url(redis_url).info("server")["redis_version"])
    except Exception:
        redis_version = "?"
    commit = _first_line(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"])
    dirty = _first_line(["git", "-C", str(ROOT), "status", "--porcelain"])
    os_name = "?"
    if Path("/etc/os-release").exists():
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return {
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": _memory_gib(),
        "os": f"{os_name}, Linux {platform.release()}",
        "python": platform.python_version(),
        "django": django.get_version(),
        "postgresql": server_version(),
        "redis": redis_version,
        "wrk": load_generator(),
        "commit": commit + (" (with uncommitted changes)" if dirty not in ("", "?") else ""),
    }
