"""Batches: a fixed number of queries each, a checkpoint after each, and resuming after a crash."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_lc_phone.importer import import_users
from django_lc_phone.importer.records import ExportFile, ImportSourceError
from django_lc_phone.models import PhoneProfile
from tests.importer._records import (
    MISSING,
    Interrupted,
    crash_on_write,
    record,
    run,
    snapshot,
    write_export,
)

pytestmark = pytest.mark.django_db

# Per batch: objectIds, phones, usernames; a savepoint and its release; one bulk insert of
# users and one of profiles; one bulk update of each. SQLite splits bulk statements at 999
# parameters, so a batch of 200 takes a few more there; the count never grows with the batch.
MAX_QUERIES_PER_BATCH = 14
BATCH = 200


def _records(count: int, start: int = 1, **fields: Any) -> list[dict[str, Any]]:
    return [record(n, **fields) for n in range(start, start + count)]


@pytest.mark.parametrize("size", [20, BATCH])
def test_a_batch_takes_a_fixed_number_of_queries(
    tmp_path: Path, django_assert_max_num_queries: Any, size: int
) -> None:
    fresh = write_export(tmp_path, _records(size))
    with django_assert_max_num_queries(MAX_QUERIES_PER_BATCH) as created:
        assert import_users(ExportFile(fresh), batch_size=size).created == size

    changed = write_export(tmp_path, _records(size, mobilePhoneVerified=False, salt="y" * 48))
    with django_assert_max_num_queries(MAX_QUERIES_PER_BATCH) as updated:
        assert import_users(ExportFile(changed), batch_size=size).updated == size

    with django_assert_max_num_queries(5) as unchanged:  # nothing to write: the lookups only
        assert import_users(ExportFile(changed), batch_size=size).unchanged == size
    print(
        f"\n{connection.vendor}, one batch of {size}: {len(created)} queries to create, "
        f"{len(updated)} to update, {len(unchanged)} when unchanged"
    )


def test_queries_grow_with_batches_not_with_users(tmp_path: Path) -> None:
    path = write_export(tmp_path, _records(3 * BATCH))
    with CaptureQueriesContext(connection) as queries:
        import_users(ExportFile(path), batch_size=BATCH)
    per_batch = len(queries) / 3
    print(f"\n{connection.vendor}: {len(queries)} queries for 3 batches of {BATCH} new users")
    assert per_batch <= MAX_QUERIES_PER_BATCH


def test_an_interrupted_run_resumes_after_its_last_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_export(tmp_path, _records(25))
    checkpoint = tmp_path / "import.checkpoint"
    calls = crash_on_write(monkeypatch, call=2)

    with pytest.raises(Interrupted):
        import_users(ExportFile(path), batch_size=10, checkpoint=checkpoint)

    assert PhoneProfile.objects.count() == 10  # the first batch committed, the second did not
    state = json.loads(checkpoint.read_text())
    assert state["position"] == 10
    assert state["source"] == ExportFile(path).key

    monkeypatch.undo()
    report = import_users(ExportFile(path), batch_size=10, checkpoint=checkpoint, resume=True)

    assert (report.resumed_after, report.read, report.created) == (10, 15, 15)
    assert PhoneProfile.objects.count() == get_user_model()._default_manager.count() == 25
    assert not checkpoint.exists()  # done: nothing left to resume
    assert len(calls) == 2


def test_rerunning_from_the_start_is_safe_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_export(tmp_path, _records(25))
    crash_on_write(monkeypatch, call=3)
    with pytest.raises(Interrupted):
        import_users(ExportFile(path), batch_size=10)
    monkeypatch.undo()

    report = import_users(ExportFile(path), batch_size=10)

    assert (report.created, report.unchanged) == (5, 20)
    assert PhoneProfile.objects.count() == 25


def test_resume_without_a_checkpoint_starts_at_the_beginning(tmp_path: Path) -> None:
    checkpoint = tmp_path / "never-written"
    report = run(tmp_path, _records(3), checkpoint=checkpoint, resume=True)
    assert (report.resumed_after, report.created) == (0, 3)


def test_a_checkpoint_of_another_source_is_refused(tmp_path: Path) -> None:
    checkpoint = tmp_path / "import.checkpoint"
    checkpoint.write_text(json.dumps({"source": "file:/elsewhere:1", "position": 5}))
    with pytest.raises(ImportSourceError, match="another source"):
        run(tmp_path, _records(3), checkpoint=checkpoint, resume=True)
    checkpoint.write_text("{half a file")
    with pytest.raises(ImportSourceError, match="unreadable checkpoint"):
        run(tmp_path, _records(3), checkpoint=checkpoint, resume=True)


def test_a_dry_run_neither_writes_nor_checkpoints(tmp_path: Path) -> None:
    checkpoint = tmp_path / "import.checkpoint"
    before = snapshot()
    report = run(tmp_path, _records(5), batch_size=2, dry_run=True, checkpoint=checkpoint)
    assert report.created == 5
    assert snapshot() == before
    assert not checkpoint.exists()


def test_progress_is_reported_after_each_batch(tmp_path: Path) -> None:
    seen: list[int] = []
    run(
        tmp_path,
        _records(5, password=MISSING),
        batch_size=2,
        progress=lambda r: seen.append(r.read),
    )
    assert seen == [2, 4, 5]
