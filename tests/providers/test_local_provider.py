"""The local provider's parts: its code store and the flows LeanCloud did for us.

Its CAPTCHA is tested in ``test_captcha.py``; the endpoints themselves run against both
providers in ``tests/contract/``.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from django_lc_phone.exceptions import (
    InvalidCode,
    InvalidCredentials,
    NotAllowed,
    PhoneUnavailable,
    SessionExpired,
    UnknownAccount,
    UsernameTaken,
)
from django_lc_phone.models import PhoneCode, PhoneProfile
from django_lc_phone.providers.local import LocalProvider, codes
from django_lc_phone.sms import locmem
from tests.app._api import OTHER, PASSWORD, PHONE, lc_phone_settings

User = get_user_model()
LOCMEM = "django_lc_phone.sms.locmem.LocmemGateway"


@pytest.fixture
def provider() -> Any:
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        yield LocalProvider.from_settings()
    locmem.outbox.clear()


def _last_code(phone: str) -> str:
    return next(m.code for m in reversed(locmem.outbox) if m.phone == phone and m.code)


# --- codes ------------------------------------------------------------------------------------


def test_a_code_is_six_random_digits_stored_only_as_a_keyed_hash() -> None:
    issued = {codes.issue(PHONE, "generic") for _ in range(20)}
    assert all(re.fullmatch(r"[0-9]{6}", code) for code in issued)
    assert len(issued) > 15  # random, not a counter
    for row in PhoneCode.objects.all():
        assert re.fullmatch(r"[0-9a-f]{64}", row.code_hash)
        assert all(code not in row.code_hash for code in issued)
    assert PhoneCode.objects.filter(used_at__isnull=True).count() == 1  # the newest only


def test_a_code_works_once_for_its_number_and_purpose_only() -> None:
    code = codes.issue(PHONE, "login")
    for phone, purpose in ((OTHER, "login"), (PHONE, "generic"), (PHONE, "reset_password")):
        with pytest.raises(InvalidCode):
            codes.spend(phone, purpose, code)
    codes.spend(PHONE, "login", code)
    with pytest.raises(InvalidCode):
        codes.spend(PHONE, "login", code)


def test_a_code_is_checked_and_spent_in_one_update(django_assert_num_queries: Any) -> None:
    """Right or wrong, one statement: no read first, and no difference in the queries."""
    code = codes.issue(PHONE, "login")
    wrong = "000000" if code != "000000" else "111111"
    spent = []
    for attempt in (wrong, code, code):
        with django_assert_num_queries(1) as captured:
            try:
                codes.spend(PHONE, "login", attempt)
                spent.append(True)
            except InvalidCode:
                spent.append(False)
        assert captured.captured_queries[0]["sql"].startswith('UPDATE "lc_phone_phonecode"')
    assert spent == [False, True, False]  # a wrong code spends nothing; a used one is refused
    assert PhoneCode.objects.get().used_at is not None


def test_an_older_code_stops_working_when_a_new_one_is_asked_for() -> None:
    old = codes.issue(PHONE, "login")
    new = codes.issue(PHONE, "login")
    if old != new:
        with pytest.raises(InvalidCode):
            codes.spend(PHONE, "login", old)
    codes.spend(PHONE, "login", new)


def test_a_change_code_is_bound_to_its_user() -> None:
    alice = User.objects.create_user("alice")
    mallory = User.objects.create_user("mallory")
    code = codes.issue(OTHER, "change_phone", alice)
    with pytest.raises(InvalidCode):
        codes.spend(OTHER, "change_phone", code, mallory)
    with pytest.raises(InvalidCode):
        codes.spend(OTHER, "change_phone", code)
    codes.spend(OTHER, "change_phone", code, alice)


def test_an_expired_code_is_invalid() -> None:
    code = codes.issue(PHONE, "generic")
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvalidCode):
        codes.spend(PHONE, "generic", code)


@lc_phone_settings(CODE_TTL_MINUTES=3)
def test_the_lifetime_is_a_setting() -> None:
    codes.issue(PHONE, "generic")
    row = PhoneCode.objects.get()
    lifetime = row.expires_at - row.created_at
    assert abs(lifetime - timedelta(minutes=3)) < timedelta(seconds=1)


def test_purge_deletes_used_and_expired_codes() -> None:
    spent = codes.issue(PHONE, "generic")
    codes.spend(PHONE, "generic", spent)
    codes.issue(OTHER, "generic")
    PhoneCode.objects.filter(phone=OTHER).update(expires_at=timezone.now())
    codes.issue(PHONE, "login")
    assert codes.purge_expired() == 2
    assert list(PhoneCode.objects.values_list("purpose", flat=True)) == ["login"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_uses_of_one_code_let_exactly_one_through() -> None:
    if connection.vendor == "sqlite":
        pytest.skip("threads need a real server database (PostgreSQL; mandatory with CI=true)")
    code = codes.issue(PHONE, "generic")
    start = threading.Barrier(8)

    def use() -> bool:
        start.wait()
        try:
            codes.spend(PHONE, "generic", code)
            return True
        except InvalidCode:
            return False
        finally:
            connection.close()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: use(), range(8)))
    assert results.count(True) == 1


# --- the flows LeanCloud did for us -----------------------------------------------------------


def test_signup_with_a_password_hashes_it_the_django_way(provider: Any) -> None:
    provider.send_code(PHONE)
    remote, created = provider.signup_or_login(PHONE, _last_code(PHONE), password=PASSWORD)
    assert created is True
    user = User.objects.get()
    assert user.password.startswith("md5$")  # the test settings' hasher
    assert user.check_password(PASSWORD)
    profile = PhoneProfile.objects.get()
    assert remote.object_id == profile.lc_object_id
    assert re.fullmatch(r"[0-9a-f]{24}", remote.object_id)
    assert re.fullmatch(r"[0-9a-z]{25}", str(remote.session_token))


def test_a_taken_username_is_refused_before_anything_is_created(provider: Any) -> None:
    User.objects.create_user("alice")
    provider.send_code(PHONE)
    with pytest.raises(UsernameTaken):
        provider.signup_or_login(PHONE, _last_code(PHONE), username="alice")
    assert PhoneProfile.objects.count() == 0


def test_password_login_for_unknown_and_wrong_reads_the_same(provider: Any) -> None:
    provider.send_code(PHONE)
    provider.signup_or_login(PHONE, _last_code(PHONE), password=PASSWORD)
    for phone, password in ((PHONE, "wrong-Password-9"), (OTHER, PASSWORD)):
        with pytest.raises(InvalidCredentials):
            provider.login_with_password(phone, password)
    assert provider.login_with_password(PHONE, PASSWORD).phone == PHONE


def test_login_and_reset_codes_only_for_verified_accounts(provider: Any) -> None:
    user = User.objects.create_user("bob", password=PASSWORD)
    PhoneProfile.objects.create(user=user, phone=PHONE, phone_verified=False)
    for send in (provider.send_login_code, provider.send_password_reset_code):
        for phone in (PHONE, OTHER):
            with pytest.raises(UnknownAccount):
                send(phone)
    assert locmem.outbox == []
    provider.send_verification_code(PHONE)
    assert [m.purpose for m in locmem.outbox] == ["verify_phone"]


def test_a_reset_sets_the_password_and_ends_the_session_token(provider: Any) -> None:
    provider.send_code(PHONE)
    remote, _ = provider.signup_or_login(PHONE, _last_code(PHONE), password=PASSWORD)
    provider.send_password_reset_code(PHONE)
    provider.reset_password(PHONE, _last_code(PHONE), "second-Password-2")
    assert User.objects.get().check_password("second-Password-2")
    with pytest.raises(SessionExpired):
        provider.send_phone_change_code(OTHER, session_token=str(remote.session_token))
    fresh = provider.login_with_password(PHONE, "second-Password-2")
    assert fresh.session_token
    assert fresh.session_token != remote.session_token


def test_a_phone_change_to_a_taken_number_sends_nothing(provider: Any) -> None:
    provider.send_code(PHONE)
    remote, _ = provider.signup_or_login(PHONE, _last_code(PHONE))
    provider.send_code(OTHER)
    provider.signup_or_login(OTHER, _last_code(OTHER))
    before = len(locmem.outbox)
    with pytest.raises(PhoneUnavailable):
        provider.send_phone_change_code(OTHER, session_token=str(remote.session_token))
    assert len(locmem.outbox) == before


def test_voice_needs_a_gateway_that_can_call() -> None:
    with lc_phone_settings(
        PROVIDER="local",
        SMS_GATEWAY="tests.providers.test_local_provider.TextOnlyGateway",
    ):
        with pytest.raises(NotAllowed):
            LocalProvider().send_code(PHONE, sms_type="voice")
        LocalProvider().send_code(PHONE)
    assert PhoneCode.objects.count() == 1  # no code was made for the refused call


class TextOnlyGateway:
    """A gateway that cannot place calls."""

    supports_voice = False

    def send(self, message: Any) -> None:
        """Accept texts."""


def test_fetch_user_is_the_site_s_own_view(provider: Any) -> None:
    provider.send_code(PHONE)
    remote, _ = provider.signup_or_login(PHONE, _last_code(PHONE))
    assert provider.fetch_user(remote.object_id) == remote
    with pytest.raises(UnknownAccount):
        provider.fetch_user("0" * 24)
