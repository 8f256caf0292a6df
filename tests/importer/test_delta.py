"""Delta imports from the API: only the users changed since a moment, paged by updatedAt, and
the watermark a complete run keeps for ``--updated-since auto``.

The emulator answers in process (``inprocess_client``); each user's updatedAt is set in its
store, so the tests choose the moments.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from django_lc_phone import importer
from django_lc_phone.emulator import Emulator
from django_lc_phone.emulator import objects as emulator_objects
from django_lc_phone.importer import ImportReport
from django_lc_phone.importer.delta import ApiDelta, import_changed, load_mark
from django_lc_phone.importer.records import ImportSourceError
from django_lc_phone.leancloud import LeanCloudClient
from django_lc_phone.leancloud.wire import parse_date
from django_lc_phone.models import ImportWatermark, PhoneProfile
from tests.importer._records import Interrupted, crash_on_write, e164, object_id, profile_of

pytestmark = pytest.mark.django_db

T0 = parse_date("2026-12-01T00:00:00.000Z")


def iso(second: int) -> str:
    """T0 plus ``second`` seconds, as LeanCloud writes a date."""
    moment = T0 + timedelta(seconds=second)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def put(emulator: Emulator, n: int, second: int, **fields: Any) -> None:
    """User ``n`` in the emulator, changed at T0 + ``second`` (created then if it is new)."""
    moment = (T0 + timedelta(seconds=second)).timestamp()
    with emulator.store.transaction() as db:
        obj = emulator_objects.load(db, emulator_objects.USER, object_id(n))
        if obj is None:
            obj = emulator_objects.new_object(emulator_objects.USER, object_id(n), moment)
            obj.update(username=f"lcuser{n}", mobilePhoneNumber=e164(n))
            obj.update(mobilePhoneVerified=True, emailVerified=False)
        obj.update(fields)
        obj["updatedAt"] = moment
        emulator_objects.save(db, emulator_objects.USER, obj)


def ids(report: ImportReport) -> tuple[int, int, int]:
    return report.created, report.updated, report.unchanged


def test_only_the_users_changed_since_then_are_read(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    for n in range(1, 6):
        put(emulator, n, second=n)

    report, newest = import_changed(inprocess_client, parse_date(iso(3)), batch_size=2)

    assert (report.read, *ids(report)) == (3, 3, 0, 0)  # updatedAt >= since: 3, 4 and 5
    assert set(PhoneProfile.objects.values_list("lc_object_id", flat=True)) == {
        object_id(3),
        object_id(4),
        object_id(5),
    }
    assert newest == iso(5)
    assert load_mark() is None  # nothing before iso(3) was read: `auto` must not skip it


def test_a_moment_not_after_the_mark_stores_the_new_one(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    for n in range(1, 4):
        put(emulator, n, second=n)
    ImportWatermark.objects.create(source="api", updated_since=parse_date(iso(2)))
    import_changed(inprocess_client, parse_date(iso(3)))
    assert load_mark() == parse_date(iso(2))  # started after the mark: kept

    import_changed(inprocess_client, parse_date(iso(1)))

    assert load_mark() == parse_date(iso(3))


def test_pages_through_ties_and_misses_nothing(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    for n in range(1, 8):  # five users changed in one millisecond, then two more
        put(emulator, n, second=1 if n <= 5 else n)
    source = ApiDelta(inprocess_client, None)

    report = importer.import_users(source, batch_size=2)

    assert (report.read, report.created, report.skipped) == (7, 7, 0)
    assert source.newest == iso(7)


def test_a_user_changed_during_the_run_is_read_again_before_it_ends(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    for n in range(1, 5):
        put(emulator, n, second=n)
    moved: list[int] = []

    def change_the_first(report: ImportReport) -> None:
        if not moved:  # after the first batch: user 1, read already, changes its phone
            moved.append(1)
            put(emulator, 1, second=10, mobilePhoneNumber=e164(91))

    report, newest = import_changed(inprocess_client, None, batch_size=2, progress=change_the_first)

    assert (report.read, report.created, report.updated) == (5, 4, 1)
    assert not report.issues["duplicate"]
    assert profile_of(1).phone_e164 == e164(91)
    assert newest == iso(10)


def test_a_tied_user_changed_during_the_run_makes_it_skip_no_other(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    for n in range(1, 6):  # 1, 2 and 3 changed at one moment; the first page ends on 2
        put(emulator, n, second=1 if n <= 3 else n)
    moved: list[int] = []

    def change_the_first(report: ImportReport) -> None:
        if not moved:  # one fewer user at that moment now: skipping by count would miss 3
            moved.append(1)
            put(emulator, 1, second=10)

    report, _ = import_changed(inprocess_client, None, batch_size=2, progress=change_the_first)

    assert (report.read, report.created, report.updated) == (6, 5, 1)
    assert PhoneProfile.objects.count() == 5


def test_auto_with_no_mark_scans_everything_and_a_second_run_changes_nothing(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    for n in range(1, 4):
        put(emulator, n, second=n)
    assert load_mark() is None

    first, _ = import_changed(inprocess_client, load_mark())
    second, _ = import_changed(inprocess_client, load_mark())

    assert ids(first) == (3, 0, 0)
    assert second.read == 1  # only the user changed at the mark itself (>=), unchanged
    assert ids(second) == (0, 0, 1)
    assert load_mark() == parse_date(iso(3))


def test_auto_with_a_mark_reads_what_changed_after_it(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    for n in range(1, 4):
        put(emulator, n, second=n)
    import_changed(inprocess_client, load_mark())
    put(emulator, 2, second=20, mobilePhoneVerified=False)
    put(emulator, 4, second=21)

    report, _ = import_changed(inprocess_client, load_mark())

    assert (report.read, *ids(report)) == (3, 1, 1, 1)  # 3 at the mark, 2 changed, 4 new
    assert not profile_of(2).phone_verified
    assert profile_of(2).lc_updated_at == parse_date(iso(20))
    assert load_mark() == parse_date(iso(21))


def test_nothing_changed_keeps_the_mark(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    put(emulator, 1, second=1)
    since = parse_date(iso(5))
    ImportWatermark.objects.create(source="api", updated_since=since)

    report, newest = import_changed(inprocess_client, load_mark())

    assert report.read == 0
    assert newest == iso(5)
    assert load_mark() == since


def test_a_dry_run_stores_no_mark(emulator: Emulator, inprocess_client: LeanCloudClient) -> None:
    put(emulator, 1, second=1)

    report, newest = import_changed(inprocess_client, None, dry_run=True)

    assert (report.created, newest) == (1, iso(1))
    assert not ImportWatermark.objects.exists()
    assert not PhoneProfile.objects.exists()


def test_an_interrupted_run_stores_no_mark(
    emulator: Emulator, inprocess_client: LeanCloudClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(1, 5):
        put(emulator, n, second=n)
    import_changed(inprocess_client, None, batch_size=2)
    put(emulator, 1, second=30)
    put(emulator, 2, second=31)
    put(emulator, 3, second=32)
    crash_on_write(monkeypatch, call=2)
    with pytest.raises(Interrupted):
        import_changed(inprocess_client, load_mark(), batch_size=2)

    assert load_mark() == parse_date(iso(4))  # the last complete run's, so nothing is skipped


def test_a_run_resumes_from_its_checkpoint(
    emulator: Emulator,
    inprocess_client: LeanCloudClient,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
) -> None:
    for n in range(1, 6):
        put(emulator, n, second=1 if n < 4 else n)  # a tie across the first batch's end
    checkpoint = tmp_path / "delta.checkpoint"
    crash_on_write(monkeypatch, call=2)
    with pytest.raises(Interrupted):
        import_changed(inprocess_client, None, batch_size=2, checkpoint=checkpoint)
    monkeypatch.undo()

    report, newest = import_changed(
        inprocess_client, None, batch_size=2, checkpoint=checkpoint, resume=True
    )

    assert (report.resumed_after, report.read, report.created) == (2, 3, 3)
    assert PhoneProfile.objects.count() == 5
    assert newest == iso(5)
    assert not checkpoint.exists()


class SamePage:
    """A server that answers one full page of the same users whatever it is asked."""

    app_id = "same-page"

    def __init__(self, page: list[dict[str, Any]]) -> None:
        self.page = page

    def query_users(self, **params: Any) -> list[dict[str, Any]]:
        return self.page


def test_a_server_that_repeats_itself_stops_the_run() -> None:
    page = [{"objectId": object_id(n), "updatedAt": iso(1)} for n in (1, 2)]
    source = ApiDelta(SamePage(page), None)  # type: ignore[arg-type]

    with pytest.raises(ImportSourceError, match="repeats"):
        list(source.batches(2, None))


@pytest.fixture
def many(emulator: Emulator) -> Emulator:
    for n in range(1, 31):
        put(emulator, n, second=n)
    return emulator


@pytest.mark.parametrize("batches", [1, 3])
def test_queries_grow_with_batches_not_with_users(
    many: Emulator,
    inprocess_client: LeanCloudClient,
    django_assert_max_num_queries: Any,
    batches: int,
) -> None:
    # Per batch as in test_batches (at most 14), plus the watermark's write at the end.
    with django_assert_max_num_queries(14 * batches + 4):
        report, _ = import_changed(inprocess_client, None, batch_size=30 // batches)
    assert report.created == 30
