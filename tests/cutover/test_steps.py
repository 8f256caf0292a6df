"""``lc_cutover``'s data steps: captures put in place, sessions carried over, idempotently."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from django_lc_phone.compat.sessions import token_hash
from django_lc_phone.cutover import steps
from django_lc_phone.models import CompatSession, PhoneProfile
from tests.app._api import PASSWORD, PHONE, signup

from ._users import imported, with_capture, with_token

NOW = timezone.now()
HOUR = timedelta(hours=1)


def test_a_newer_capture_becomes_the_password_and_a_second_run_changes_nothing() -> None:
    newer = with_capture("+8613800138001", "captured-New-1", NOW, password_hash_at=NOW - HOUR)
    older = with_capture("+8613800138002", "captured-Old-2", NOW - HOUR, password_hash_at=NOW)
    report = steps.run(check=None)
    assert (report.passwords_placed, report.passwords_kept) == (1, 1)
    newer.refresh_from_db()
    older.refresh_from_db()
    assert check_password("captured-New-1", newer.user.password)
    assert newer.password_hash_at == newer.password_captured_at
    assert not older.user.has_usable_password()  # its own (here: none) was newer: kept

    again = steps.run(check=None)
    assert (again.passwords_placed, again.passwords_kept) == (0, 2)
    newer.refresh_from_db()
    assert check_password("captured-New-1", newer.user.password)


def test_a_staff_users_own_password_is_not_replaced() -> None:
    staff = with_capture("+8613800138003", "captured-Only-3", NOW)
    staff.user.set_password("staff-Own-3")
    staff.user.save()
    assert steps.run(check=None).passwords_placed == 0
    staff.refresh_from_db()
    assert check_password("staff-Own-3", staff.user.password)


def test_known_sessions_become_compat_sessions_once() -> None:
    profile, token = with_token("+8613800138004", lc_session_token_at=NOW)
    report = steps.run(check=None)
    assert report.sessions_carried == 1
    session = CompatSession.objects.get()
    assert session.user_id == profile.user_id
    assert session.token_hash == token_hash(token)
    assert token not in str(CompatSession.objects.values_list())  # stored hashed only

    again = steps.run(check=None)
    assert (again.sessions_carried, again.sessions_known) == (0, 1)
    assert CompatSession.objects.count() == 1


def test_an_ended_compat_session_is_not_brought_back() -> None:
    profile, token = with_token("+8613800138005", lc_session_token_at=NOW)
    CompatSession.objects.create(
        user_id=profile.user_id, token_hash=token_hash(token), revoked_at=NOW
    )
    assert steps.run(check=None).sessions_known == 1
    assert CompatSession.objects.get().revoked_at is not None


@pytest.mark.parametrize(("leancloud_says", "carried"), [(True, 1), (False, 0), (None, 0)])
def test_a_token_seen_before_leancloud_last_changed_the_user_needs_leancloud_to_vouch(
    leancloud_says: bool | None, carried: int
) -> None:
    _profile, token = with_token(
        "+8613800138006", lc_session_token_at=NOW - HOUR, lc_updated_at=NOW
    )
    asked: list[str] = []

    def check(candidate: str) -> bool:
        asked.append(candidate)
        return bool(leancloud_says)

    report = steps.run(check=None if leancloud_says is None else check)
    assert report.sessions_carried == carried
    assert report.sessions_dropped == 1 - carried
    assert asked == ([] if leancloud_says is None else [token])


def test_a_token_newer_than_leancloud_s_record_is_carried_without_asking() -> None:
    with_token("+8613800138007", lc_session_token_at=NOW, lc_updated_at=NOW - HOUR)

    def never(candidate: str) -> bool:
        raise AssertionError("asked LeanCloud about a current token")

    assert steps.run(check=never).sessions_carried == 1


def test_a_malformed_token_is_skipped() -> None:
    imported("+8613800138008", lc_session_token="not a token!", lc_session_token_at=NOW)
    assert steps.run(check=None).sessions_carried == 0
    assert not CompatSession.objects.exists()


def test_the_command_reports_counts_and_never_a_token_or_hash() -> None:
    _profile, token = with_token("+8613800138009", lc_session_token_at=NOW)
    captured = with_capture("+8613800138010", "captured-Cmd-1", NOW)
    out, err = StringIO(), StringIO()
    call_command("lc_cutover", stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    assert "passwords placed 1" in text
    assert "sessions carried 1" in text
    assert token not in text
    assert captured.captured_password not in text


def test_the_command_asks_leancloud_about_tokens_it_may_have_rotated(api: APIClient) -> None:
    """Against the emulator (LeanCloud is still the provider): a live token is carried over,
    one LeanCloud no longer accepts is dropped."""
    signup(api, PHONE, password=PASSWORD)
    live = PhoneProfile.objects.get(phone=PHONE)
    assert live.lc_session_token  # the sign-up stored LeanCloud's session
    _gone, stale = with_token("+8613800138011", lc_session_token_at=NOW - HOUR)
    PhoneProfile.objects.update(lc_updated_at=timezone.now() + HOUR)  # both possibly rotated

    out = StringIO()
    call_command("lc_cutover", stdout=out)
    assert "sessions carried 1" in out.getvalue()
    assert "sessions dropped 1" in out.getvalue()
    carried = CompatSession.objects.get()
    assert carried.token_hash == token_hash(live.lc_session_token)
    assert not CompatSession.objects.filter(token_hash=token_hash(stale)).exists()
