"""Drive wrk (the load generator, written in C so it leaves the CPU to the server) with a Lua
script that POSTs JSON bodies in turn, and read its figures back as JSON; without wrk, the
Python fallback (``pyload.py``) sends the same requests.

wrk's own ``done()`` hook prints the percentiles, so nothing depends on its text layout.
"""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from . import pyload
from .script import LoadScript, WrkResult

__all__ = ["LoadScript", "WrkResult", "available", "lua", "run", "script"]

MARKER = "WRKJSON "

# %-free on purpose: the Lua below is filled with str.replace, not %-formatting.
_LUA = r"""
local bodies = {__BODIES__}
local headers = {__HEADERS__}
local path = __PATH__
local method = __METHOD__
local i = 0
request = function()
  i = i % #bodies + 1
  return wrk.format(method, path, headers, bodies[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,' ..
    '"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"mean":%f,"max":%d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def _lua_string(text: str) -> str:
    """A Lua long-bracket literal (no escaping needed: JSON never holds ``]==]``)."""
    if "]==]" in text:
        raise ValueError("cannot quote this text for Lua")
    return f"[==[{text}]==]"


def available() -> bool:
    """Whether wrk is on PATH."""
    return shutil.which("wrk") is not None


def script(
    path: str, bodies: Sequence[str], headers: Mapping[str, str], method: str = "POST"
) -> LoadScript:
    """The requests that send ``bodies`` in turn to ``path`` with ``headers``."""
    return LoadScript(path, tuple(bodies), dict(headers), method)


def lua(load: LoadScript) -> str:
    """The Lua script that makes wrk send ``load``'s requests."""
    return (
        _LUA.replace("__BODIES__", ", ".join(_lua_string(b) for b in load.bodies))
        .replace(
            "__HEADERS__",
            ", ".join(f"[ {_lua_string(k)} ] = {_lua_string(v)}" for k, v in load.headers.items()),
        )
        .replace("__PATH__", _lua_string(load.path))
        .replace("__METHOD__", _lua_string(load.method))
    )


def run(
    base_url: str,
    load: LoadScript,
    *,
    connections: int,
    seconds: float,
    threads: int = 1,
    timeout_s: int = 10,
) -> WrkResult:
    """Send ``load`` to ``base_url``: with wrk, or with the Python fallback without it."""
    if not available():
        return pyload.run(
            base_url, load, connections=connections, seconds=seconds, timeout_s=timeout_s
        )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(lua(load))
        script_path = Path(handle.name)
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
            [
                shutil.which("wrk") or "wrk",
                "-t",
                str(max(1, min(threads, connections))),
                "-c",
                str(connections),
                "-d",
                f"{max(1, math.ceil(seconds))}s",  # wrk takes whole seconds only
                "--timeout",
                f"{timeout_s}s",
                "-s",
                str(script_path),
                base_url,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + timeout_s + 30,
        )
    finally:
        script_path.unlink(missing_ok=True)
    for line in completed.stdout.splitlines():
        if line.startswith(MARKER):
            raw = json.loads(line[len(MARKER) :])
            return WrkResult(
                requests=raw["requests"],
                seconds=raw["duration_us"] / 1e6,
                p50_ms=raw["p50"] / 1000,
                p90_ms=raw["p90"] / 1000,
                p99_ms=raw["p99"] / 1000,
                mean_ms=raw["mean"] / 1000,
                max_ms=raw["max"] / 1000,
                socket_errors=raw["connect"] + raw["read"] + raw["write"] + raw["timeout"],
                status_errors=raw["status"],
            )
    raise RuntimeError(f"wrk printed no result:\n{completed.stdout}\n{completed.stderr}")
