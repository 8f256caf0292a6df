"""What every figure shares: the plan, started processes, databases, the emulator, and the
environment of a site configuration."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY, DEMO_MASTER_KEY

from .db import PG_HOST, PG_PORT, PG_USER, Databases
from .plan import Plan
from .processes import ROOT, Processes, Service, start_site
from .upstream import EmulatorControl

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")


@dataclass
class Context:
    """One benchmark run."""

    plan: Plan
    run_id: str
    procs: Processes
    dbs: Databases
    work_dir: Path
    emulator: Service | None = None
    control: EmulatorControl | None = None
    notes: list[str] = field(default_factory=list)

    def site_env(
        self,
        database: str | None,
        *,
        provider: str = "leancloud",
        pool_maxsize: int = 10,
        fast_hasher: bool = False,
        sqlite_path: Path | None = None,
    ) -> dict[str, str]:
        """The environment of one configuration of the example site."""
        env = {
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": f"bench-{self.run_id}-not-secret",
            "EXAMPLE_REDIS_URL": REDIS_URL,
            "EXAMPLE_CACHE_PREFIX": f"lcbench-{self.run_id}",
            "BENCH_POOL_MAXSIZE": str(pool_maxsize),
            "PYTHONPATH": str(ROOT),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if database:
            env.update(
                EXAMPLE_PG_NAME=database,
                EXAMPLE_PG_HOST=PG_HOST,
                EXAMPLE_PG_PORT=PG_PORT,
                EXAMPLE_PG_USER=PG_USER,
            )
        elif sqlite_path is not None:
            env["EXAMPLE_DB"] = str(sqlite_path)
        if provider == "local":
            env["LC_PHONE_PROVIDER"] = "local"
        else:
            if self.emulator is None:
                raise RuntimeError("the emulator is not running")
            env["LEANCLOUD_SERVER_URL"] = self.emulator.url
            # The standalone emulator accepts the demo credentials; with a server URL set,
            # the example site has no default for them.
            env.update(
                LEANCLOUD_APP_ID=DEMO_APP_ID,
                LEANCLOUD_APP_KEY=DEMO_APP_KEY,
                LEANCLOUD_MASTER_KEY=DEMO_MASTER_KEY,
            )
        if fast_hasher:
            env["BENCH_FAST_HASHER"] = "1"
        return env

    def upstream(self) -> tuple[Service, EmulatorControl]:
        """The running emulator and its control API (an error before it is started)."""
        if self.emulator is None or self.control is None:
            raise RuntimeError("the emulator is not running")
        return self.emulator, self.control

    def manage(self, env: dict[str, str], *args: str) -> None:
        """``python manage.py <args>`` with the site's environment."""
        _run_python(env, ["manage.py", *args], f"manage.py {args[0]}")

    def djtask(self, env: dict[str, str], *args: str) -> Any:
        """``python -m bench.djtasks <args>``: its JSON answer."""
        output = _run_python(env, ["-m", "bench.djtasks", *args], f"bench.djtasks {args[0]}")
        return json.loads(output.strip().splitlines()[-1])

    def site(
        self, name: str, env: dict[str, str], *, workers: int = 2, threads: int = 4
    ) -> Service:
        """Start the example site under gunicorn."""
        return start_site(self.procs, name, env, workers=workers, threads=threads)


def _run_python(env: dict[str, str], argv: list[str], label: str) -> str:
    """Our own interpreter on ``argv`` in the repository, with ``env``; its stdout."""
    done = subprocess.run(  # noqa: S603 - our own interpreter, our own scripts
        [sys.executable, *argv],
        cwd=ROOT,
        env={**os.environ, **env},
        check=False,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{label} failed:\n{done.stderr[-3000:]}")
    return done.stdout
