"""Test numbers (``LC_PHONE["TEST_NUMBERS"]``) through the API, on both providers: no SMS, the
send budgets spent, the fixed code for every purpose, the attempt budgets, the expiry, and the
LeanCloud provider's master-key sign-in (LeanCloud never sees a fixed code)."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from django_lc_phone import services
from django_lc_phone.exceptions import ExpiredTestNumber
from django_lc_phone.models import PhoneProfile
from django_lc_phone.providers import testnumbers
from django_lc_phone.sms import locmem
from django_lc_phone.testing.fixtures import LOCMEM_GATEWAY
from tests import upstream
from tests.app._api import (
    CODE_SENT,
    NEW_PASSWORD,
    OTHER,
    PASSWORD,
    PHONE,
    assert_error,
    cool_down,
    lc_phone_settings,
    post,
)
from tests.services._local import last_code

FIXED = "246810"
LIVE = {"code": FIXED, "expires": "2099-12-31"}
EXPIRED = {"code": FIXED, "expires": "2020-01-01"}
# The calls that would check a code, or send one, at LeanCloud.
CODE_CALLS = ("requestSmsCode", "verifySmsCode", "usersByMobilePhone", "login", "LoginSmsCode")


def _test_number(phone: str = PHONE, entry: dict[str, Any] = LIVE, **more: Any) -> Any:
    return lc_phone_settings(TEST_NUMBERS={phone: entry}, **more)


def signed_in(phone: str) -> tuple[APIClient, Any]:
    """A client signed in as a new account of ``phone`` (a real code), on either provider."""
    client = APIClient()
    assert post(client, "sms-code/", {"phone": phone}).status_code == 202
    body = {"phone": phone, "code": last_code(phone), "password": PASSWORD}
    answer = post(client, "signup/", body).json()
    cool_down()
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer['token']}")
    return client, get_user_model().objects.get(pk=answer["user"]["id"])


def _upstream() -> Any:
    return services.provider().client  # type: ignore[attr-defined]


def _code_calls(lc: upstream.CountingApp) -> list[str]:
    return [path for _method, path in lc.calls if any(name in path for name in CODE_CALLS)]


def _login(api: APIClient, code: str = FIXED, phone: str = PHONE) -> Any:
    return post(api, "login/", {"phone": phone, "code": code})


# --- both providers: the send ------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["leancloud", "local"])
@pytest.mark.parametrize("path", ["sms-code/", "login/sms-code/", "password-reset/sms-code/"])
def test_a_code_request_sends_nothing_but_spends_the_budgets_and_answers_the_same(
    provider: str, path: str, api: APIClient, lc: upstream.CountingApp
) -> None:
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER=provider, SMS_GATEWAY=LOCMEM_GATEWAY):
        real = post(api, path, {"phone": OTHER})
        lc.calls.clear()
        sent_before = len(locmem.outbox)
        with _test_number():
            first = post(api, path, {"phone": PHONE})
            again = post(api, path, {"phone": PHONE})  # within the resend cooldown
    assert (first.status_code, first.json()) == (real.status_code, real.json())
    assert_error(again, 429, "sms_rate_limited")
    assert lc.calls == []
    assert len(locmem.outbox) == sent_before


# --- the LeanCloud provider ---------------------------------------------------------------------


def test_leancloud_login_checks_the_fixed_code_here_and_signs_in_with_the_master_key(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    _client, user = signed_in(PHONE)  # the review account exists at LeanCloud
    lc.calls.clear()
    lc.headers.clear()
    with _test_number():
        answer = _login(api)
    assert answer.status_code == 200, answer.json()
    assert answer.json()["user"]["id"] == str(user.pk)
    assert _code_calls(lc) == []
    assert ("PUT", f"/1.1/users/{user.lc_phone_profile.lc_object_id}/refreshSessionToken") in (
        lc.calls
    )
    stored = PhoneProfile.objects.get(user=user).lc_session_token
    assert _upstream().get_current_user(stored).object_id == user.lc_phone_profile.lc_object_id


def test_leancloud_sign_up_with_the_fixed_code_signs_an_existing_account_in(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    signed_in(PHONE)
    lc.calls.clear()
    with _test_number():
        answer = post(api, "signup/", {"phone": PHONE, "code": FIXED})
    assert answer.status_code == 200, answer.json()
    assert answer.json()["created"] is False
    assert _code_calls(lc) == []


def test_leancloud_refuses_to_sign_up_a_new_account_with_a_test_number(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    with _test_number():
        answer = post(api, "signup/", {"phone": PHONE, "code": FIXED})
    assert_error(answer, 400, "test_number_unsupported")
    assert _code_calls(lc) == []


def test_leancloud_reset_with_the_fixed_code_sets_the_password_at_leancloud(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    signed_in(PHONE)
    with _test_number():
        reset = post(
            api, "password-reset/", {"phone": PHONE, "code": FIXED, "password": NEW_PASSWORD}
        )
    assert reset.status_code == 200, reset.json()
    assert _code_calls(lc)[-1:] != ["resetPasswordBySmsCode"]
    # LeanCloud itself now takes the new password, and not the old one.
    assert post(api, "login/", {"phone": PHONE, "password": NEW_PASSWORD}).status_code == 200
    assert post(api, "login/", {"phone": PHONE, "password": PASSWORD}).status_code == 401


def test_leancloud_change_to_a_test_number_binds_it_at_leancloud(
    lc: upstream.CountingApp,
) -> None:
    client, user = signed_in(PHONE)
    with _test_number(OTHER):
        asked = post(client, "phone/change/sms-code/", {"phone": OTHER})
        assert asked.status_code == 202
        changed = post(client, "phone/change/", {"phone": OTHER, "code": FIXED})
    assert changed.status_code == 200, changed.json()
    assert not any("ChangePhoneNumber" in path for _m, path in lc.calls)
    [remote] = _upstream().query_users(where={"mobilePhoneNumber": OTHER})
    assert remote["objectId"] == user.lc_phone_profile.lc_object_id
    assert remote["mobilePhoneVerified"] is True


def test_leancloud_without_a_master_key_is_misconfigured_not_bad_input(api: APIClient) -> None:
    signed_in(PHONE)
    with _test_number(MASTER_KEY=""):
        assert_error(_login(api), 503, "misconfigured")


# --- the local provider -------------------------------------------------------------------------


def test_local_fixed_code_signs_up_logs_in_and_resets(local: None, api: APIClient) -> None:
    with _test_number():
        assert post(api, "sms-code/", {"phone": PHONE}).json() == CODE_SENT
        signup = post(api, "signup/", {"phone": PHONE, "code": FIXED, "password": PASSWORD})
        assert signup.status_code == 201, signup.json()
        login = _login(api)
        assert login.status_code == 200, login.json()
        assert _login(api).status_code == 200  # reusable, as LeanCloud's own test number
        reset = post(
            api, "password-reset/", {"phone": PHONE, "code": FIXED, "password": NEW_PASSWORD}
        )
        assert reset.status_code == 200, reset.json()
    assert post(api, "login/", {"phone": PHONE, "password": NEW_PASSWORD}).status_code == 200
    assert locmem.outbox == []


def test_local_change_takes_the_fixed_code(local: None) -> None:
    client, user = signed_in(OTHER)
    with _test_number(PHONE):
        assert post(client, "phone/change/sms-code/", {"phone": PHONE}).status_code == 202
        changed = post(client, "phone/change/", {"phone": PHONE, "code": FIXED})
    assert changed.status_code == 200, changed.json()
    assert PhoneProfile.objects.get(user=user).phone == PHONE
    assert [m for m in locmem.outbox if m.phone == PHONE] == []


@pytest.mark.parametrize("provider", ["leancloud", "local"])
def test_verification_takes_the_fixed_code(provider: str, lc: upstream.CountingApp) -> None:
    with lc_phone_settings(PROVIDER=provider, SMS_GATEWAY=LOCMEM_GATEWAY):
        client, user = signed_in(PHONE)
        PhoneProfile.objects.filter(user=user).update(phone_verified=False)
        lc.calls.clear()
        with _test_number():
            asked = post(client, "phone/verify/sms-code/", {})
            assert asked.status_code == 202, asked.json()
            verified = post(client, "phone/verify/", {"code": FIXED})
    assert verified.status_code == 200, verified.json()
    assert PhoneProfile.objects.get(user=user).phone_verified is True
    assert not any(
        "MobilePhoneVerify" in path or "verifyMobilePhone" in path for _m, path in lc.calls
    )


# --- both providers: attempts, expiry, logs -----------------------------------------------------


@pytest.mark.parametrize("provider", ["leancloud", "local"])
def test_a_wrong_code_spends_attempts_like_any_other(
    provider: str, api: APIClient, lc: upstream.CountingApp
) -> None:
    with lc_phone_settings(PROVIDER=provider, SMS_GATEWAY=LOCMEM_GATEWAY):
        signed_in(PHONE)
        with _test_number(CODE_ATTEMPTS=2, CAPTCHA_AFTER_FAILURES=None):
            for _ in range(2):
                assert_error(_login(api, "000000"), 400, "invalid_code")
            assert_error(_login(api), 429, "too_many_attempts")  # even the right one now


@pytest.mark.parametrize("provider", ["leancloud", "local"])
def test_an_expired_test_number_is_refused_with_a_stable_code(
    provider: str, api: APIClient, lc: upstream.CountingApp
) -> None:
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER=provider, SMS_GATEWAY=LOCMEM_GATEWAY):
        signed_in(PHONE)
        lc.calls.clear()
        with _test_number(entry=EXPIRED):
            for path in ("sms-code/", "login/sms-code/"):
                assert_error(post(api, path, {"phone": PHONE}), 400, "test_number_expired")
            assert_error(_login(api), 400, "test_number_expired")
    assert _code_calls(lc) == []
    assert [m for m in locmem.outbox if m.phone == PHONE and m.purpose == "login"] == []


def test_the_expiry_day_is_the_last_day_in_utc(monkeypatch: pytest.MonkeyPatch) -> None:
    with _test_number(entry={"code": FIXED, "expires": "2027-06-30"}):
        monkeypatch.setattr(testnumbers, "today", lambda: datetime.date(2027, 6, 30))
        assert testnumbers.fixed_code(PHONE) == FIXED
        monkeypatch.setattr(testnumbers, "today", lambda: datetime.date(2027, 7, 1))
        with pytest.raises(ExpiredTestNumber):
            testnumbers.fixed_code(PHONE)
        assert testnumbers.fixed_code(OTHER) is None


@pytest.mark.parametrize("provider", ["leancloud", "local"])
def test_the_fixed_code_is_never_logged(
    provider: str, api: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with lc_phone_settings(PROVIDER=provider, SMS_GATEWAY=LOCMEM_GATEWAY):
        signed_in(PHONE)
        with _test_number():
            post(api, "login/sms-code/", {"phone": PHONE})
            _login(api)
            _login(api, "000000")
    assert caplog.records
    assert not [r for r in caplog.records if FIXED in r.getMessage()]
