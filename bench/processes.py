"""Start and stop the processes a benchmark needs: the emulator and gunicorn instances.

Every process is started in its own process group and registered with a :class:`Processes`
stack, whose ``close()`` (called from ``run.py``'s ``finally``) ends them all, so an
interrupted run leaves nothing behind.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Service:
    """One started process, its address and its log file."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self, tail: int = 4000) -> str:
        """The end of what the process printed."""
        return self.log.read_text(encoding="utf-8", errors="replace")[-tail:]

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it if it lingers."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


@dataclass
class Processes:
    """Everything started so far, stopped in reverse order by :meth:`close`."""

    log_dir: Path
    started: list[Service] = field(default_factory=list)

    def start(
        self,
        name: str,
        argv: list[str],
        url: str,
        ready_path: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> Service:
        """Start ``argv`` and wait until ``url + ready_path`` answers (any HTTP status)."""
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
                argv,
                cwd=ROOT,
                env={**os.environ, **(env or {})},
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, for killpg
            )
        service = Service(name, url, process, log)
        self.started.append(service)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited early:\n{service.output()}")
            try:
                requests.get(url + ready_path, timeout=2)
                return service
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError(f"{name} did not answer within {timeout:.0f}s:\n{service.output()}")

    def stop(self, service: Service) -> None:
        """Stop one service now."""
        service.stop()
        if service in self.started:
            self.started.remove(service)

    def close(self) -> None:
        """Stop everything still running."""
        while self.started:
            self.started.pop().stop()


def start_emulator(procs: Processes) -> Service:
    """The LeanCloud emulator in its own process, over HTTP."""
    port = free_port()
    argv = [sys.executable, "-m", "django_lc_phone.emulator", "--port", str(port), "--quiet"]
    url = f"http://127.0.0.1:{port}"
    return procs.start("emulator", argv, url, "/emulator/v1/faults")


def start_site(
    procs: Processes,
    name: str,
    env: Mapping[str, str],
    *,
    workers: int,
    threads: int,
) -> Service:
    """The example site under gunicorn (gthread), with ``env`` choosing its settings."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "example_project.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--worker-class",
        "gthread",
        "--backlog",
        "2048",
        # A listening socket per worker: the kernel spreads new connections over them. On one
        # shared socket, whichever worker wakes first may accept all 32 of wrk's connections
        # while the other idles (seen in about half the runs: half the throughput).
        "--reuse-port",
        "--keep-alive",
        "10",
        "--graceful-timeout",
        "5",
        "--log-level",
        "warning",
    ]
    return procs.start(name, argv, f"http://127.0.0.1:{port}", "/auth/phone/me/", env=env)
