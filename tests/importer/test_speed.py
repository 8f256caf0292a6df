"""How fast a large export imports: 5,000 synthetic users, the rate printed, never asserted."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.db import connection

from django_lc_phone.importer import import_users
from django_lc_phone.importer.records import ExportFile
from django_lc_phone.models import PhoneProfile
from tests.importer._records import record, write_export

USERS = 5000


@pytest.mark.django_db
def test_five_thousand_users_import_and_the_rate_is_printed(tmp_path: Path) -> None:
    path = write_export(tmp_path, [record(n) for n in range(1, USERS + 1)], "zip")

    started = time.perf_counter()
    report = import_users(ExportFile(path), batch_size=1000)
    first = time.perf_counter() - started
    started = time.perf_counter()
    again = import_users(ExportFile(path), batch_size=1000)
    second = time.perf_counter() - started

    assert report.created == again.unchanged == PhoneProfile.objects.count() == USERS
    # Timing is for reading, not asserting: machines differ (bench/ is the place for numbers).
    print(
        f"\n{connection.vendor}: {USERS} users created in {first:.2f}s "
        f"({USERS / first:.0f}/s, 100,000 in ~{100_000 / (USERS / first) / 60:.1f} min); "
        f"re-run (all unchanged) in {second:.2f}s ({USERS / second:.0f}/s)"
    )
