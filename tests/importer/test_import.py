"""The importer on export files: fields kept, idempotency, updates, conflicts, names, bad input."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db import IntegrityError
from django.test import override_settings

from django_lc_phone import importer
from django_lc_phone.models import PhoneProfile
from tests.importer._records import (
    DOC_ENCODED,
    DOC_PASSWORD,
    HASHERS,
    MISSING,
    counts,
    e164,
    national,
    object_id,
    profile_of,
    record,
    run,
    snapshot,
    user_of,
)

pytestmark = pytest.mark.django_db

User = get_user_model()


def local_user(username: str, phone: str | None = None) -> Any:
    """A user of this site that LeanCloud does not know."""
    user = User._default_manager.create(**{User.USERNAME_FIELD: username})
    PhoneProfile.objects.create(user=user, phone=phone, phone_verified=phone is not None)
    return user


def test_every_kept_field_is_imported(tmp_path: Path) -> None:
    report = run(tmp_path, [record(1)])

    assert counts(report) == {"read": 1, "created": 1, "updated": 0, "unchanged": 0, "issues": {}}
    profile = profile_of(1)
    user = profile.user
    assert user.get_username() == "lcuser1"
    assert profile.phone_e164 == e164(1)
    assert profile.phone_verified
    assert profile.phone_verified_at is not None
    assert profile.last_synced_at is not None
    assert profile.lc_session_token == ""
    assert user.password == DOC_ENCODED
    assert user.date_joined == datetime(2020, 1, 2, 3, 4, 5, 678000, tzinfo=timezone.utc)


@override_settings(PASSWORD_HASHERS=HASHERS)
def test_the_imported_user_logs_in_with_the_original_password(tmp_path: Path) -> None:
    run(tmp_path, [record(1)])
    assert authenticate(username="lcuser1", password=DOC_PASSWORD) == user_of(1)
    assert user_of(1).password.startswith("md5$")


def test_unverified_and_missing_phones(tmp_path: Path) -> None:
    run(tmp_path, [record(1, mobilePhoneVerified=False), record(2, mobilePhoneNumber=MISSING)])
    assert profile_of(1).phone_e164 == e164(1)
    assert not profile_of(1).phone_verified
    assert profile_of(1).phone_verified_at is None
    assert profile_of(2).phone is None
    assert not profile_of(2).phone_verified


@pytest.mark.parametrize(
    "fields",
    [{"password": MISSING, "salt": MISSING}, {"password": ""}, {"password": None}],
)
def test_users_without_a_password_get_an_unusable_one(
    tmp_path: Path, fields: dict[str, Any]
) -> None:
    report = run(tmp_path, [record(1, **fields)])
    assert not user_of(1).has_usable_password()
    assert report.issues["bad_password"] == []


@pytest.mark.parametrize(
    "fields",
    [
        {"salt": MISSING},
        {"salt": "has$dollar"},
        {"salt": "s" * 80},
        {"password": "not-base64"},
        {"password": 12345},
    ],
)
def test_unusable_hashes_are_reported_and_the_user_imported(
    tmp_path: Path, fields: dict[str, Any]
) -> None:
    report = run(tmp_path, [record(1, **fields)])
    assert report.created == 1
    assert report.issues["bad_password"] == [object_id(1)]
    assert not user_of(1).has_usable_password()


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    records = [record(n) for n in range(1, 31)]
    records[3] = record(4, mobilePhoneNumber=MISSING, password=MISSING)
    run(tmp_path, records, batch_size=7)
    before = snapshot()

    report = run(tmp_path, records, batch_size=7)

    assert counts(report) == {
        "read": 30,
        "created": 0,
        "updated": 0,
        "unchanged": 30,
        "issues": {},
    }
    assert snapshot() == before


def test_changed_fields_are_updated(tmp_path: Path) -> None:
    run(tmp_path, [record(1), record(2)])
    synced = profile_of(1).last_synced_at
    changed = record(
        1,
        mobilePhoneNumber=e164(9),
        mobilePhoneVerified=True,
        createdAt="2019-05-06T07:08:09.000Z",
        salt="x" * 48,
        updatedAt="2022-01-02T03:04:05.678Z",  # LeanCloud moves it on every change
    )
    changed["password"] = record(1)["password"]

    report = run(tmp_path, [changed, record(2, mobilePhoneVerified=False)])

    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    profile = profile_of(1)
    assert profile.phone_e164 == e164(9)
    assert profile.phone_verified
    assert profile.last_synced_at is not None
    assert synced is not None
    assert profile.last_synced_at > synced
    assert profile.user.date_joined.year == 2019
    assert profile.user.password.startswith("leancloud_sha512$" + "x" * 48 + "$")
    assert profile.user.get_username() == "lcuser1"
    assert not profile_of(2).phone_verified
    assert profile_of(2).phone_verified_at is None


def test_a_phone_removed_upstream_is_removed_here(tmp_path: Path) -> None:
    run(tmp_path, [record(1)])
    report = run(tmp_path, [record(1, mobilePhoneNumber=MISSING)])
    assert report.updated == 1
    assert profile_of(1).phone is None
    assert not profile_of(1).phone_verified


def test_a_password_set_on_this_site_is_never_replaced(tmp_path: Path) -> None:
    run(tmp_path, [record(1)])
    user = user_of(1)
    user.set_password("set-here-after-migration")
    user.save()

    report = run(tmp_path, [record(1)])

    assert report.unchanged == 1
    assert user_of(1).check_password("set-here-after-migration")


def test_a_user_linked_at_login_is_updated_not_duplicated(tmp_path: Path) -> None:
    # What sync.py makes when a LeanCloud user signs in before the import: no password.
    user = User._default_manager.create(**{User.USERNAME_FIELD: e164(1)})
    user.set_unusable_password()
    user.save()
    PhoneProfile.objects.create(user=user, phone=e164(1), lc_object_id=object_id(1))

    report = run(tmp_path, [record(1)])

    assert (report.created, report.updated) == (0, 1)
    assert User._default_manager.count() == 1
    assert user_of(1).get_username() == e164(1)  # the local name stays
    assert user_of(1).password == DOC_ENCODED


def test_a_phone_held_by_another_local_user_is_a_conflict(tmp_path: Path) -> None:
    other = local_user("local-owner", e164(1))

    report = run(tmp_path, [record(1), record(2)])

    assert report.created == 2
    assert report.issues["phone_conflict"] == [object_id(1)]
    assert profile_of(1).phone is None
    assert not profile_of(1).phone_verified
    assert PhoneProfile.objects.get(user=other).phone_e164 == e164(1)
    # Still a conflict next time: nothing moves until a person decides.
    again = run(tmp_path, [record(1), record(2)])
    assert again.issues["phone_conflict"] == [object_id(1)]
    assert again.unchanged == 2


def test_an_existing_profile_keeps_its_phone_when_the_new_one_is_taken(tmp_path: Path) -> None:
    run(tmp_path, [record(1), record(2)])
    report = run(tmp_path, [record(1, mobilePhoneNumber=e164(2)), record(2)])
    assert report.issues["phone_conflict"] == [object_id(1)]
    assert profile_of(1).phone_e164 == e164(1)
    assert profile_of(2).phone_e164 == e164(2)


def test_two_records_with_one_phone_the_first_keeps_it(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [record(1), record(2, mobilePhoneNumber=national(1)), record(3, mobilePhoneNumber=e164(1))],
        batch_size=2,
    )
    assert report.issues["phone_conflict"] == [object_id(2), object_id(3)]
    assert profile_of(1).phone_e164 == e164(1)
    assert profile_of(2).phone is None


def test_a_taken_username_becomes_lc_objectid(tmp_path: Path) -> None:
    local_user("lcuser1")
    report = run(tmp_path, [record(1), record(2, username="lc_" + object_id(1))])
    assert user_of(1).get_username() == f"lc_{object_id(1)}"
    # The fallback is taken in the same batch: the second one has its own fallback.
    assert user_of(2).get_username() == f"lc_{object_id(2)}"
    assert report.issues["username_taken"] == [object_id(1), object_id(2)]
    assert User._default_manager.filter(username="lcuser1").count() == 1


def test_usernames_follow_the_login_rules(tmp_path: Path) -> None:
    report = run(
        tmp_path,
        [
            record(1, username=MISSING),  # a phone sign-up: named after its number
            record(2, username="has space"),  # not a valid Django username
            record(3, username=MISSING, mobilePhoneNumber=MISSING),
        ],
    )
    assert user_of(1).get_username() == e164(1)
    assert user_of(2).get_username() == f"lc_{object_id(2)}"
    assert user_of(3).get_username() == f"lc_{object_id(3)}"
    assert report.issues["username_taken"] == [object_id(2)]


def test_no_free_username_skips_the_record(tmp_path: Path) -> None:
    local_user("lcuser1")
    local_user(f"lc_{object_id(1)}")
    report = run(tmp_path, [record(1)])
    assert report.issues["no_username"] == [object_id(1)]
    assert (report.created, report.skipped) == (0, 1)


def test_invalid_records_are_reported_and_skipped(tmp_path: Path) -> None:
    records = [
        record(1),
        record(2, objectId=MISSING),
        record(3, objectId="not-an-object-id"),
        True,
        "{not json",
        42,
        record(4),
    ]
    report = run(tmp_path, records, fmt="jsonl")
    assert report.issues["invalid"] == ["record 2", "record 3", "record 4", "record 5", "record 6"]
    assert (report.read, report.created, report.skipped) == (7, 2, 5)


def test_invalid_phones_are_reported_and_the_user_imported(tmp_path: Path) -> None:
    report = run(tmp_path, [record(1, mobilePhoneNumber="12345"), record(2, mobilePhoneNumber=7)])
    assert report.issues["invalid_phone"] == [object_id(1), object_id(2)]
    assert profile_of(1).phone is None
    assert profile_of(2).phone is None
    assert not profile_of(1).phone_verified


def test_an_invalid_phone_leaves_the_local_one_alone(tmp_path: Path) -> None:
    run(tmp_path, [record(1)])
    report = run(tmp_path, [record(1, mobilePhoneNumber="12345")])
    assert report.unchanged == 1
    assert profile_of(1).phone_e164 == e164(1)


def test_region_reads_national_numbers(tmp_path: Path) -> None:
    report = run(tmp_path, [record(1, mobilePhoneNumber="2015550123")], region="US")
    assert report.issues["invalid_phone"] == []
    assert profile_of(1).phone_e164 == "+12015550123"


def test_a_repeated_objectid_is_imported_once(tmp_path: Path) -> None:
    report = run(tmp_path, [record(1), record(2), record(1, username="again")], batch_size=2)
    assert report.issues["duplicate"] == [object_id(1)]
    assert report.created == 2
    assert user_of(1).get_username() == "lcuser1"


def test_dates_in_other_shapes(tmp_path: Path) -> None:
    run(
        tmp_path,
        [
            record(1, createdAt={"__type": "Date", "iso": "2018-01-01T00:00:00.000Z"}),
            record(2, createdAt="yesterday"),
        ],
    )
    assert user_of(1).date_joined.year == 2018
    assert user_of(2).date_joined.year >= 2026  # left at the import's time


def test_dry_run_writes_nothing_and_reports_what_a_real_run_would(tmp_path: Path) -> None:
    local_user("lcuser3", e164(5))
    records = [
        record(1),
        record(2, mobilePhoneNumber=national(1)),  # conflict within the run, another batch
        record(3),  # username taken
        record(5),  # phone held locally
        record(1),  # duplicate
        record(6, objectId=MISSING),
        record(7, mobilePhoneNumber="123"),
    ]
    before = snapshot()

    dry = run(tmp_path, records, batch_size=1, dry_run=True)

    assert snapshot() == before
    assert dry.dry_run
    real = run(tmp_path, records, batch_size=1)
    assert counts(dry) == counts(real)
    assert counts(real)["issues"] == {
        "invalid": ["record 6"],
        "duplicate": [object_id(1)],
        "phone_conflict": [object_id(2), object_id(5)],
        "invalid_phone": [object_id(7)],
        "username_taken": [object_id(3)],
    }


def test_a_lost_race_is_retried_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_write = importer._write
    calls: list[int] = []

    def racing_write(plan: object) -> None:
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError("duplicate key value violates unique constraint")
        real_write(plan)  # type: ignore[arg-type]

    monkeypatch.setattr(importer, "_write", racing_write)
    report = run(tmp_path, [record(1)])
    assert len(calls) == 2
    assert report.created == 1


def test_a_batch_size_below_one_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        run(tmp_path, [record(1)], batch_size=0)


@pytest.mark.django_db
def test_a_large_export_imports_in_batches_and_again_unchanged(tmp_path: Path) -> None:
    """The import that ``bench/importer.py`` times (5,000 users there), checked for what it
    does: every user created across batches, then every one unchanged on a second run."""
    from django_lc_phone.importer import import_users as _import_users
    from django_lc_phone.importer.records import ExportFile as _ExportFile
    from django_lc_phone.models import PhoneProfile as _PhoneProfile
    from tests.importer._records import record as _record
    from tests.importer._records import write_export as _write_export

    users = 250
    path = _write_export(tmp_path, [_record(n) for n in range(1, users + 1)], "zip")
    report = _import_users(_ExportFile(path), batch_size=100)
    again = _import_users(_ExportFile(path), batch_size=100)
    assert report.created == again.unchanged == _PhoneProfile.objects.count() == users
