"""Wire-level tests of requestChangePhoneNumber / changePhoneNumber (the caller's session
survives, the others end) and requestCaptcha / verifyCaptcha."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model

from django_lc_phone import services
from django_lc_phone.models import PhoneProfile
from django_lc_phone.sms import locmem
from tests.app._api import lc_phone_settings
from tests.compat._wire import ISO, OTHER, PASSWORD, PHONE, assert_error, signup
from tests.compat.conftest import LC, last_code
from tests.limiter import FakeClock

THIRD = "+8613700137000"


def _audit(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django_lc_phone.audit"]


# --- requestChangePhoneNumber / changePhoneNumber ---------------------------------------------


def test_change_phone_keeps_the_callers_session_and_ends_the_others(
    lc: LC, caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    caplog.set_level("INFO", logger="django_lc_phone.audit")
    user = signup(lc, password=PASSWORD)
    mine = str(user["sessionToken"])
    other = lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}).json()
    asked = lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=mine)
    assert (asked.status_code, asked.content) == (200, b"{}")
    code = last_code(OTHER, "change_phone")
    body = {"mobilePhoneNumber": OTHER, "code": code}
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = lc.post("changePhoneNumber", body, session=mine)
    assert answer.status_code == 200, answer.content
    assert len(callbacks) == 2  # credentials_revoked and the old number's notice, on commit
    assert set(answer.json()) == {"updatedAt", "objectId"}
    assert answer.json()["objectId"] == user["objectId"]
    assert ISO.fullmatch(answer.json()["updatedAt"])
    me = lc.get("users/me", session=mine)
    assert me.status_code == 200
    assert me.json()["mobilePhoneNumber"] == OTHER
    assert me.json()["mobilePhoneVerified"] is True
    assert_error(lc.get("users/me", session=other["sessionToken"]), 211)
    assert_error(lc.post("changePhoneNumber", body, session=mine), 603)  # spent
    lines = _audit(caplog)
    assert any(
        line.startswith("lc_phone.compat.phone_change_code outcome=ok status=200") for line in lines
    )
    assert any(
        line.startswith("lc_phone.compat.phone_change outcome=ok status=200")
        and "+86139****9000" in line
        for line in lines
    )
    assert all(OTHER not in line and PHONE not in line for line in lines)


def test_a_phone_change_through_auth_phone_still_ends_every_compat_session(
    lc: LC, django_capture_on_commit_callbacks: Any
) -> None:
    user = signup(lc)
    services.send_phone_change_code(get_user_model().objects.get(), OTHER)
    with django_capture_on_commit_callbacks(execute=True):
        services.change_phone(get_user_model().objects.get(), OTHER, last_code(OTHER))
    assert_error(lc.get("users/me", session=str(user["sessionToken"])), 211)


@pytest.mark.parametrize("path", ["requestChangePhoneNumber", "changePhoneNumber"])
def test_a_session_is_required(lc: LC, path: str) -> None:
    signup(lc)
    body = {"mobilePhoneNumber": OTHER, "code": "123456"}
    assert_error(lc.post(path, body), 206 if path == "requestChangePhoneNumber" else 603)
    assert_error(lc.post(path, body, session="nosuchtoken0000000000000"), 211)
    assert locmem.outbox[-1].purpose == "generic"  # nothing sent past the sign-up's code


def test_a_sessionless_change_is_603_for_the_right_code_too_and_spends_nothing(lc: LC) -> None:
    """LeanCloud answers a changePhoneNumber without a session 603, not 206 (python-sdk's
    test_change_phone_number, run against the real service with nobody signed in, accepts only
    603). compat answers 603 whatever the code, without checking or spending it: the right
    code still works afterwards for the session that asked, so the answer is no oracle."""
    token = str(signup(lc)["sessionToken"])
    lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=token)
    right = {"mobilePhoneNumber": OTHER, "code": last_code(OTHER, "change_phone")}
    for _ in range(10):  # more than any per-code or per-number attempt budget
        assert_error(lc.post("changePhoneNumber", right), 603)
        assert_error(lc.post("changePhoneNumber", {**right, "code": "000000"}), 603)
    assert_error(lc.post("changePhoneNumber", {"code": "000000"}), 212)  # shape first
    assert_error(lc.post("changePhoneNumber", {"mobilePhoneNumber": "12", "code": "1"}), 127)
    answer = lc.post("changePhoneNumber", right, session=token)
    assert answer.status_code == 200, answer.content


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({}, 212),
        ({"mobilePhoneNumber": "12", "code": "123456"}, 127),
        ({"mobilePhoneNumber": OTHER}, 603),
        ({"mobilePhoneNumber": OTHER, "code": "12345"}, 603),
        ({"mobilePhoneNumber": OTHER, "code": "000000"}, 603),
        ({"mobilePhoneNumber": THIRD, "code": "right"}, 603),  # asked for another number
    ],
)
def test_change_phone_errors(lc: LC, body: dict[str, str], error: int) -> None:
    token = str(signup(lc)["sessionToken"])
    lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=token)
    if body.get("code") == "right":
        body = {**body, "code": last_code(OTHER, "change_phone")}
    assert_error(lc.post("changePhoneNumber", body, session=token), error)
    assert PhoneProfile.objects.get().phone_e164 == PHONE


def test_another_users_pending_change_is_603(lc: LC, limiter_clock: FakeClock) -> None:
    alice = str(signup(lc)["sessionToken"])
    limiter_clock.advance(61)
    bob = str(signup(lc, THIRD)["sessionToken"])
    lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=alice)
    body = {"mobilePhoneNumber": OTHER, "code": last_code(OTHER, "change_phone")}
    assert_error(lc.post("changePhoneNumber", body, session=bob), 603)
    assert lc.post("changePhoneNumber", body, session=alice).status_code == 200


def test_a_number_taken_meanwhile_is_214(lc: LC, limiter_clock: FakeClock) -> None:
    token = str(signup(lc)["sessionToken"])
    lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=token)
    code = last_code(OTHER, "change_phone")
    limiter_clock.advance(61)
    signup(lc, OTHER)
    body = {"mobilePhoneNumber": OTHER, "code": code}
    assert_error(lc.post("changePhoneNumber", body, session=token), 214)


def test_a_taken_number_gets_no_code_and_the_same_answer(lc: LC, limiter_clock: FakeClock) -> None:
    token = str(signup(lc)["sessionToken"])
    limiter_clock.advance(61)
    signup(lc, OTHER)
    limiter_clock.advance(61)
    locmem.outbox.clear()
    answer = lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=token)
    assert (answer.status_code, answer.content) == (200, b"{}")
    assert locmem.outbox == []
    again = lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=token)
    assert_error(again, 601)  # limited all the same


def test_wrong_change_codes_lock_the_number_with_219(lc: LC) -> None:
    token = str(signup(lc)["sessionToken"])
    lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=token)
    wrong = {"mobilePhoneNumber": OTHER, "code": "000000"}
    for _ in range(5):
        assert_error(lc.post("changePhoneNumber", wrong, session=token), 603)
    right = {"mobilePhoneNumber": OTHER, "code": last_code(OTHER, "change_phone")}
    assert_error(lc.post("changePhoneNumber", right, session=token), 219)


# --- requestCaptcha / verifyCaptcha ---------------------------------------------------------


def _captcha(lc: LC) -> dict[str, str]:
    answer = lc.get("requestCaptcha")
    assert answer.status_code == 200
    body: dict[str, str] = answer.json()
    assert set(body) == {"captcha_token", "captcha_url"}
    assert body["captcha_url"].startswith("data:image/svg+xml;base64,")
    return body


def test_a_vendor_s_widget_is_no_captcha_leancloud_s_sdks_show(lc: LC) -> None:
    """119 (LeanCloud's answer with its CAPTCHA switched off): a Turnstile widget has no
    image; such a client gets its validate_token from auth/phone/captcha/verify/."""
    options = {"site_key": "the-site-key", "secret_key": "the-secret"}
    with lc_phone_settings(
        PROVIDER="local",
        CAPTCHA_VERIFIER="django_lc_phone.providers.local.captcha.Turnstile",
        CAPTCHA_VERIFIER_OPTIONS=options,
    ):
        assert_error(lc.get("requestCaptcha"), 119)


def test_a_solved_captcha_gives_a_validate_token_for_one_code(
    lc: LC, caplog: pytest.LogCaptureFixture, captcha_answers: dict[str, str]
) -> None:
    caplog.set_level("INFO", logger="django_lc_phone.audit")
    token = _captcha(lc)["captcha_token"]
    body = {"captcha_token": token, "captcha_code": captcha_answers[token]}
    answer = lc.post("verifyCaptcha", body)
    assert answer.status_code == 200, answer.content
    assert set(answer.json()) == {"validate_token"}
    token = answer.json()["validate_token"]
    assert_error(lc.post("verifyCaptcha", body), 607)  # one try per challenge
    with lc_phone_settings(CAPTCHA_REQUIRED=True):
        assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}), 608)
        with_token = {"mobilePhoneNumber": PHONE, "validate_token": token}
        assert lc.post("requestSmsCode", with_token).status_code == 200
        with_token["mobilePhoneNumber"] = OTHER
        assert_error(lc.post("requestSmsCode", with_token), 608)  # spent
    lines = _audit(caplog)
    assert any(
        line.startswith("lc_phone.compat.captcha_verify outcome=ok status=200") for line in lines
    )
    assert any(
        line.startswith("lc_phone.compat.captcha_verify outcome=lc_607 status=400")
        for line in lines
    )


def test_a_wrong_answer_spends_the_challenge(lc: LC, captcha_answers: dict[str, str]) -> None:
    token = _captcha(lc)["captcha_token"]
    assert_error(lc.post("verifyCaptcha", {"captcha_token": token, "captcha_code": "????"}), 607)
    right = {"captcha_token": token, "captcha_code": captcha_answers[token]}
    assert_error(lc.post("verifyCaptcha", right), 607)


def test_a_spent_or_expired_captcha_is_607_as_leancloud_says_it(
    lc: LC, captcha_answers: dict[str, str], limiter_clock: FakeClock
) -> None:
    """LeanCloud's SDKs know one code for every CAPTCHA failure: the API's ``captcha_spent``
    and ``captcha_expired`` are 607 here, as a wrong answer is."""
    token = _captcha(lc)["captcha_token"]
    right = {"captcha_token": token, "captcha_code": captcha_answers[token]}
    assert lc.post("verifyCaptcha", right).status_code == 200
    assert_error(lc.post("verifyCaptcha", right), 607)  # spent
    old = _captcha(lc)["captcha_token"]
    limiter_clock.advance(301)
    expired = {"captcha_token": old, "captcha_code": captcha_answers[old]}
    assert_error(lc.post("verifyCaptcha", expired), 607)


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"captcha_token": "abc", "captcha_code": "ABCD"},
        {"captcha_token": "f" * 32},
        {"captcha_token": "f" * 32, "captcha_code": ""},
        {"captcha_token": "f" * 32, "captcha_code": "A" * 17},
        {"captcha_token": 12345, "captcha_code": "ABCD"},
        {"captcha_token": "f" * 32, "captcha_code": "ABCD"},  # unknown challenge
    ],
)
def test_malformed_or_unknown_captcha_answers_are_607(lc: LC, body: dict[str, object]) -> None:
    assert_error(lc.post("verifyCaptcha", body), 607)


def test_captcha_endpoints_need_the_app_key(lc: LC) -> None:
    assert_error(lc.get("requestCaptcha", headers={}), 401)
    assert_error(lc.post("verifyCaptcha", {}, headers={}), 401)
    assert_error(lc.post("requestCaptcha"), 1, 404)
