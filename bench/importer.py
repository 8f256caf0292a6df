"""How fast a large export imports: 5,000 synthetic users, created, then imported again.

``LC_PHONE_TEST_SERVICES=off python bench/importer.py [--users N]`` builds a test database
from ``tests.settings`` (SQLite in memory with the services off, else PostgreSQL), writes a
zip export of N synthetic users (``tests/importer/_records.py``), times
``import_users(..., batch_size=1000)`` twice with ``time.perf_counter`` (the first run
creates every user, the second finds them all unchanged) and prints one JSON line. The
figure moved here from the test suite (step 9): machines differ, so tests never time it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))


def main(argv: list[str] | None = None) -> int:
    """Import N users twice and print the rates as one JSON line."""
    parser = argparse.ArgumentParser(prog="python bench/importer.py", description=__doc__)
    parser.add_argument("--users", type=int, default=5000)
    options = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test.utils import setup_databases, setup_test_environment, teardown_databases

    from django_lc_phone.importer import import_users
    from django_lc_phone.importer.records import ExportFile
    from django_lc_phone.models import PhoneProfile
    from tests.importer._records import record, write_export

    setup_test_environment()
    old = setup_databases(verbosity=0, interactive=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            users = options.users
            path = write_export(Path(tmp), [record(n) for n in range(1, users + 1)], "zip")
            started = time.perf_counter()
            report = import_users(ExportFile(path), batch_size=1000)
            first = time.perf_counter() - started
            started = time.perf_counter()
            again = import_users(ExportFile(path), batch_size=1000)
            second = time.perf_counter() - started
            if not report.created == again.unchanged == PhoneProfile.objects.count() == users:
                raise SystemExit(
                    f"imported {report.created}, unchanged {again.unchanged}, not {users}"
                )
            result = {
                "database": connection.vendor,
                "users": users,
                "created_s": round(first, 3),
                "created_per_s": round(users / first),
                "unchanged_s": round(second, 3),
                "unchanged_per_s": round(users / second),
            }
    finally:
        teardown_databases(old, verbosity=0)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
