"""``lc_import_users --from-api --updated-since ISO|auto``, against the suite's in-process
emulator (``tests/upstream.py``, which the test settings' LC_PHONE points at)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_lc_phone.emulator import Emulator
from django_lc_phone.importer.delta import load_mark
from django_lc_phone.leancloud.wire import parse_date
from django_lc_phone.models import ImportWatermark, PhoneProfile
from tests.importer._records import object_id
from tests.importer.test_delta import iso, put
from tests.upstream import EMULATOR

pytestmark = pytest.mark.django_db


@pytest.fixture
def upstream() -> Iterator[Emulator]:
    EMULATOR.reset()
    yield EMULATOR
    EMULATOR.reset()


def test_auto_runs_a_full_scan_first_then_only_the_changes(upstream: Emulator, capsys: Any) -> None:
    for n in range(1, 4):
        put(upstream, n, second=n)

    call_command("lc_import_users", "--from-api", "--updated-since", "auto", verbosity=0)
    first = capsys.readouterr().out
    put(upstream, 2, second=20, mobilePhoneVerified=False)
    call_command("lc_import_users", "--from-api", "--updated-since", "auto", verbosity=0)
    second = capsys.readouterr().out
    call_command("lc_import_users", "--from-api", "--updated-since", "auto", verbosity=0)
    third = capsys.readouterr().out

    assert "created            3" in first
    assert "changes since the beginning (no mark yet)" in first
    assert f"newest seen {iso(3)}" in first
    assert "read               2" in second  # user 3 at the old mark, user 2 changed
    assert "updated            1" in second
    assert f"changes since {iso(3)}" in second
    assert "read               1" in third  # a second delta run changes nothing
    assert "unchanged          1" in third
    assert "updated            0" in third
    assert load_mark() == parse_date(iso(20))


def test_an_iso_moment_reads_from_then(upstream: Emulator, capsys: Any) -> None:
    for n in range(1, 5):
        put(upstream, n, second=n)

    call_command("lc_import_users", "--from-api", "--updated-since", "2026-12-01T08:00:03+08:00")

    assert "read               2" in capsys.readouterr().out
    assert set(PhoneProfile.objects.values_list("lc_object_id", flat=True)) == {
        object_id(3),
        object_id(4),
    }
    assert load_mark() is None  # users 1 and 2 were never read: `auto` starts from scratch


def test_a_dry_run_reports_and_stores_nothing(upstream: Emulator, capsys: Any) -> None:
    put(upstream, 1, second=1)

    call_command("lc_import_users", "--from-api", "--updated-since", "auto", "--dry-run")

    out = capsys.readouterr().out
    assert "Dry run" in out
    assert "created            1" in out
    assert not ImportWatermark.objects.exists()
    assert not PhoneProfile.objects.exists()


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("yesterday", "not an ISO 8601"),
        ("2026-13-01T00:00:00Z", "not an ISO 8601"),
        ("2026-12-01T00:00:00", "no time zone"),
        ("2026-12-01", "no time zone"),
    ],
)
def test_a_moment_that_does_not_parse_is_a_clear_error(
    upstream: Emulator, value: str, says: str
) -> None:
    with pytest.raises(CommandError, match=f"--updated-since: .*{says}"):
        call_command("lc_import_users", "--from-api", "--updated-since", value)
    assert not PhoneProfile.objects.exists()


def test_updated_since_needs_the_api(tmp_path: Any) -> None:
    with pytest.raises(CommandError, match="needs --from-api"):
        call_command("lc_import_users", str(tmp_path / "x.jsonl"), "--updated-since", "auto")
