"""What an import records for the cutover: LeanCloud's updatedAt, whether it holds a password,
the hash's time and the exported session token, none of them ever replaced by something older."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.test import override_settings

from django_lc_phone.importer import import_users
from django_lc_phone.importer.records import Batch
from django_lc_phone.leancloud.wire import parse_date
from django_lc_phone.models import PhoneProfile
from tests.importer._records import (
    DOC_HASH,
    DOC_SALT,
    HASHERS,
    MISSING,
    profile_of,
    record,
    run,
    user_of,
    write_export,
)

pytestmark = pytest.mark.django_db

OLD = "2021-01-02T03:04:05.678Z"
NEW = "2022-06-07T08:09:10.111Z"
NEWER = "2023-01-01T00:00:00.000Z"
TOKEN = "f4pwahaqjqz3anq8tnsivfw3i"  # the real 2019 form: 25 of [a-z0-9]
OTHER_TOKEN = "zzzzzzzzzzzzzzzzzzzzzzzzz"
OTHER_HASH = "A" * 86 + "=="


def at(iso: str) -> datetime:
    return parse_date(iso)


class ApiRecords:
    """Records as the API returns them: no ``password``, no ``salt``, no token."""

    exported = False
    revisits = False
    key = "api-test"

    def __init__(self, records: list[dict[str, Any]]) -> None:
        self.records = [
            {k: v for k, v in r.items() if k not in ("password", "salt", "sessionToken")}
            for r in records
        ]

    def batches(self, size: int, resume: Mapping[str, Any] | None) -> Iterator[Batch]:
        yield Batch(self.records, 0, {"position": len(self.records)})


def test_a_new_user_gets_every_cutover_field_from_its_export_record(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=NEW, sessionToken=TOKEN)])

    profile = profile_of(1)
    assert profile.lc_updated_at == at(NEW)
    assert profile.lc_has_password is True
    assert profile.password_hash_at == at(NEW)
    assert (profile.lc_session_token, profile.lc_session_token_at) == (TOKEN, at(NEW))
    assert (profile.captured_password, profile.password_captured_at) == ("", None)


def test_an_export_record_without_a_hash_says_leancloud_holds_none(tmp_path: Path) -> None:
    run(tmp_path, [record(1, password=MISSING, salt=MISSING), record(2, password="")])

    for n in (1, 2):
        profile = profile_of(n)
        assert profile.lc_has_password is False
        assert profile.password_hash_at is None
        assert not user_of(n).has_usable_password()


def test_an_api_record_keeps_what_the_export_said_of_the_password(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=OLD), record(2, password=MISSING, updatedAt=OLD)])

    report = import_users(ApiRecords([record(1, updatedAt=NEW), record(2, updatedAt=NEW)]))

    assert report.updated == 2
    assert profile_of(1).lc_has_password is True
    assert profile_of(2).lc_has_password is False
    assert profile_of(1).lc_updated_at == at(NEW)  # the API's updatedAt is recorded too
    assert profile_of(1).password_hash_at == at(OLD)  # and no hash came with it


def test_an_api_record_of_a_new_user_leaves_the_password_unknown() -> None:
    import_users(ApiRecords([record(1, updatedAt=NEW, sessionToken=TOKEN)]))

    profile = profile_of(1)
    assert (profile.lc_has_password, profile.password_hash_at) == (None, None)
    assert (profile.lc_session_token, profile.lc_session_token_at) == ("", None)
    assert profile.lc_updated_at == at(NEW)


def test_lc_updated_at_never_moves_back(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=NEW)])
    run(tmp_path, [record(1, updatedAt=OLD, password=MISSING)])

    profile = profile_of(1)
    assert profile.lc_updated_at == at(NEW)
    assert profile.lc_has_password is True  # the older record does not speak for the newer


def test_a_newer_record_brings_its_hash_and_its_time(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=OLD)])
    before = user_of(1).password

    report = run(tmp_path, [record(1, updatedAt=NEW, password=OTHER_HASH)])

    assert report.updated == 1
    assert user_of(1).password != before
    assert user_of(1).password.endswith("$" + OTHER_HASH[:43])
    assert profile_of(1).password_hash_at == at(NEW)


@pytest.mark.parametrize("when", [OLD, NEW, MISSING])
def test_a_record_not_newer_than_the_hash_never_replaces_it(tmp_path: Path, when: Any) -> None:
    run(tmp_path, [record(1, updatedAt=NEW)])
    before = user_of(1).password

    report = run(tmp_path, [record(1, updatedAt=when, password=OTHER_HASH)])

    assert report.unchanged == 1
    assert user_of(1).password == before
    assert profile_of(1).password_hash_at == at(NEW)


def test_the_same_hash_in_a_newer_record_is_confirmed_once(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=OLD)])

    assert run(tmp_path, [record(1, updatedAt=NEW)]).updated == 1
    assert profile_of(1).password_hash_at == at(NEW)
    assert run(tmp_path, [record(1, updatedAt=NEW)]).unchanged == 1


@override_settings(PASSWORD_HASHERS=HASHERS)
def test_the_sites_own_password_and_a_capture_are_never_touched(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=OLD)])
    user = user_of(1)
    user.set_password("a-site-password")
    user.save()
    captured = make_password("captured-at-sign-in")
    PhoneProfile.objects.filter(lc_object_id=profile_of(1).lc_object_id).update(
        captured_password=captured, password_captured_at=at(NEWER)
    )

    run(tmp_path, [record(1, updatedAt=NEW, password=OTHER_HASH)])

    assert user_of(1).check_password("a-site-password")
    profile = profile_of(1)
    assert (profile.captured_password, profile.password_captured_at) == (captured, at(NEWER))
    assert profile.password_hash_at == at(OLD)  # the hash it holds is not LeanCloud's


def test_the_newest_session_token_wins(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=NEW, sessionToken=TOKEN)])

    run(tmp_path, [record(1, updatedAt=OLD, sessionToken=OTHER_TOKEN)])
    assert profile_of(1).lc_session_token == TOKEN

    run(tmp_path, [record(1, updatedAt=NEWER, sessionToken=OTHER_TOKEN)])
    profile = profile_of(1)
    assert (profile.lc_session_token, profile.lc_session_token_at) == (OTHER_TOKEN, at(NEWER))


def test_a_token_stored_by_a_later_sign_in_is_kept(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=OLD)])
    PhoneProfile.objects.filter(lc_object_id=profile_of(1).lc_object_id).update(
        lc_session_token="signedinsitetoken0000000", lc_session_token_at=at(NEWER)
    )

    run(tmp_path, [record(1, updatedAt=NEW, sessionToken=TOKEN)])

    profile = profile_of(1)
    assert (profile.lc_session_token, profile.lc_session_token_at) == (
        "signedinsitetoken0000000",
        at(NEWER),
    )


@pytest.mark.parametrize("token", ["short", "has spaces in it!!", "x" * 129, 12345])
def test_a_token_not_in_leancloud_form_is_dropped_and_never_shown(
    tmp_path: Path, capsys: Any, token: Any
) -> None:
    path = write_export(tmp_path, [record(1, sessionToken=token), record(2, sessionToken=TOKEN)])

    call_command("lc_import_users", str(path), verbosity=0)

    out = capsys.readouterr().out
    assert "bad_session_token (1)" in out
    assert record(1)["objectId"] in out
    assert str(token) not in out
    assert TOKEN not in out
    assert DOC_HASH not in out
    assert profile_of(1).lc_session_token == ""
    assert profile_of(2).lc_session_token == TOKEN
    assert DOC_SALT not in out


def test_a_token_without_a_record_time_is_not_kept(tmp_path: Path) -> None:
    run(tmp_path, [record(1, updatedAt=MISSING, sessionToken=TOKEN)])
    assert (profile_of(1).lc_session_token, profile_of(1).lc_session_token_at) == ("", None)
