"""Work that needs Django, run in a child process with the benchmarked site's settings:
``python -m bench.djtasks <task> [args]`` prints one JSON object.

The parent (``run.py``) never configures Django itself: each site configuration (database,
provider, hasher) is its own environment, as it is for the gunicorn instances.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")


def _hash(repeat: int) -> dict[str, Any]:
    """The site's password hash of the bench password, and how long checking it takes."""
    from django.contrib.auth.hashers import check_password, get_hasher, make_password

    from bench.upstream import PASSWORD

    encoded = make_password(PASSWORD)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        if not check_password(PASSWORD, encoded):
            raise RuntimeError("the hash does not check")
        timings.append((time.perf_counter() - started) * 1000)
    return {"hash": encoded, "algorithm": get_hasher().algorithm, "check_ms": timings}


def _import(path: str, batch_size: int) -> dict[str, Any]:
    """Time ``lc_import_users`` on an export file (Django's start-up not included)."""
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("lc_import_users", path, batch_size=batch_size, verbosity=0)
    return {"seconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> None:
    """Run one task and print its JSON answer as the last line."""
    parser = argparse.ArgumentParser(prog="python -m bench.djtasks")
    sub = parser.add_subparsers(dest="task", required=True)
    hashing = sub.add_parser("hash")
    hashing.add_argument("--repeat", type=int, default=5)
    importing = sub.add_parser("import")
    importing.add_argument("path")
    importing.add_argument("--batch-size", type=int, default=1000)
    options = parser.parse_args(argv)

    import django

    django.setup()
    if options.task == "hash":
        result = _hash(options.repeat)
    else:
        result = _import(options.path, options.batch_size)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
