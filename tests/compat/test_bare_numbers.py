"""Bare mainland numbers (``13800138000``, what Android's SDK lets through) and E.164 are the
same number on every compat endpoint that takes one, whatever the site's DEFAULT_REGION."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_lc_phone.leancloud.wire import ANDROID_PHONE_RE
from django_lc_phone.models import PhoneProfile
from tests.app._api import lc_phone_settings
from tests.compat._wire import NEW_PASSWORD, OTHER, PASSWORD, PHONE, assert_error
from tests.compat.conftest import LC, LOCMEM, last_code
from tests.limiter import FakeClock

BARE, BARE_OTHER = PHONE.removeprefix("+86"), OTHER.removeprefix("+86")
# (the spelling a code is asked for with, the spelling it is used with)
SPELLINGS = [(BARE, PHONE), (PHONE, BARE), (BARE, BARE)]


@pytest.fixture(autouse=True)
def us_site() -> Iterator[None]:
    """A site whose own region is not China (China's numbers allowed): a bare number still
    means +86, as on LeanCloud."""
    regions = ("US", "CN")
    with lc_phone_settings(
        PROVIDER="local", SMS_GATEWAY=LOCMEM, DEFAULT_REGION="US", ALLOWED_REGIONS=regions
    ):
        yield


def _signup(lc: LC, asked: str, used: str, **extra: str) -> dict[str, object]:
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": asked}).status_code == 200
    body = {"mobilePhoneNumber": used, "smsCode": last_code(PHONE), **extra}
    answer = lc.post("usersByMobilePhone", body)
    assert answer.status_code == 201, answer.content
    user: dict[str, object] = answer.json()
    return user


def test_both_spellings_pass_androids_own_check() -> None:
    assert ANDROID_PHONE_RE.fullmatch(BARE)
    assert ANDROID_PHONE_RE.fullmatch(PHONE)


@pytest.mark.parametrize(("asked", "used"), SPELLINGS)
def test_request_sms_code_and_users_by_mobile_phone(lc: LC, asked: str, used: str) -> None:
    user = _signup(lc, asked, used)
    assert user["mobilePhoneNumber"] == PHONE
    assert PhoneProfile.objects.get().phone == PHONE


@pytest.mark.parametrize(("asked", "used"), SPELLINGS)
def test_password_login(lc: LC, asked: str, used: str) -> None:
    _signup(lc, asked, PHONE, password=PASSWORD)
    answer = lc.post("login", {"mobilePhoneNumber": used, "password": PASSWORD})
    assert answer.status_code == 200, answer.content
    assert answer.json()["mobilePhoneNumber"] == PHONE


@pytest.mark.parametrize(("asked", "used"), SPELLINGS)
def test_request_login_sms_code_and_code_login(
    lc: LC, limiter_clock: FakeClock, asked: str, used: str
) -> None:
    user = _signup(lc, PHONE, PHONE)
    limiter_clock.advance(61)
    assert lc.post("requestLoginSmsCode", {"mobilePhoneNumber": asked}).status_code == 200
    body = {"mobilePhoneNumber": used, "smsCode": last_code(PHONE, "login")}
    answer = lc.post("login", body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["objectId"] == user["objectId"]


@pytest.mark.parametrize(("asked", "used"), SPELLINGS)
def test_password_reset(lc: LC, limiter_clock: FakeClock, asked: str, used: str) -> None:
    _signup(lc, PHONE, PHONE, password=PASSWORD)
    limiter_clock.advance(61)
    assert lc.post("requestPasswordResetBySmsCode", {"mobilePhoneNumber": asked}).status_code == 200
    code = last_code(PHONE, "reset_password")
    body = {"mobilePhoneNumber": used, "password": NEW_PASSWORD}
    answer = lc.put(f"resetPasswordBySmsCode/{code}", body)
    assert answer.status_code == 200, answer.content
    assert (
        lc.post("login", {"mobilePhoneNumber": BARE, "password": NEW_PASSWORD}).status_code == 200
    )


@pytest.mark.parametrize(("asked", "used"), SPELLINGS)
def test_phone_verification(lc: LC, limiter_clock: FakeClock, asked: str, used: str) -> None:
    _signup(lc, PHONE, PHONE)
    PhoneProfile.objects.update(phone_verified=False, phone_verified_at=None)
    limiter_clock.advance(61)
    assert lc.post("requestMobilePhoneVerify", {"mobilePhoneNumber": asked}).status_code == 200
    code = last_code(PHONE, "verify_phone")
    answer = lc.post(f"verifyMobilePhone/{code}", {"mobilePhoneNumber": used})
    assert answer.status_code == 200, answer.content
    assert PhoneProfile.objects.get().phone_verified is True


@pytest.mark.parametrize(("asked", "used"), [(BARE_OTHER, OTHER), (OTHER, BARE_OTHER)])
def test_phone_change(lc: LC, asked: str, used: str) -> None:
    token = str(_signup(lc, PHONE, PHONE)["sessionToken"])
    body = {"mobilePhoneNumber": asked}
    assert lc.post("requestChangePhoneNumber", body, session=token).status_code == 200
    body = {"mobilePhoneNumber": used, "code": last_code(OTHER, "change_phone")}
    answer = lc.post("changePhoneNumber", body, session=token)
    assert answer.status_code == 200, answer.content
    assert PhoneProfile.objects.get().phone == OTHER


@pytest.mark.parametrize(("first", "second"), [(PHONE, BARE), (BARE, PHONE)])
def test_both_spellings_share_one_cooldown(lc: LC, first: str, second: str) -> None:
    """Two spellings are one number to the limits too: no second code by spelling it again."""
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": first}).status_code == 200
    assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": second}), 601)


def test_a_bare_number_that_is_no_mainland_number_is_127(lc: LC) -> None:
    """``6502530000`` is a US number without its +1; LeanCloud reads it as +86, so is it."""
    assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": "6502530000"}), 127)
