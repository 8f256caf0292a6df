"""The code endpoints: sms-code/, sms-code/verify/, login/ and password-reset/ codes, captcha/.

Requests for a code answer 202 with one body whether or not the number has an account (T09).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from django_lc_phone import signals
from django_lc_phone.emulator import captcha
from django_lc_phone.exceptions import CaptchaRequired, SendThrottled
from tests import upstream
from tests.app._api import (
    CODE_SENT,
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    assert_error,
    code,
    cool_down,
    lc_phone_settings,
    make_unverified,
    post,
    request_code,
    signup,
    url,
)

SEND_PATHS = {
    "sms-code/": "/1.1/requestSmsCode",
    "login/sms-code/": "/1.1/requestLoginSmsCode",
    "password-reset/sms-code/": "/1.1/requestPasswordResetBySmsCode",
}
# Codes that go out only for numbers with an account: sent outside the request, so what
# LeanCloud answers is never the client's answer (django_lc_phone.deliveries).
ACCOUNT_PATHS = {path: call for path, call in SEND_PATHS.items() if path != "sms-code/"}


@contextlib.contextmanager
def failed_sends() -> Iterator[list[dict[str, Any]]]:
    """What ``code_send_failed`` reports inside the block."""
    seen: list[dict[str, Any]] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs)

    signals.code_send_failed.connect(receiver)
    try:
        yield seen
    finally:
        signals.code_send_failed.disconnect(receiver)


def _captcha_answer(token: str) -> str:
    with upstream.EMULATOR.store.transaction() as db:
        answer = captcha.answer(db, token)
    assert answer is not None
    return answer


def _require_captcha(monkeypatch: pytest.MonkeyPatch) -> None:
    """Switch on LeanCloud's "force CAPTCHA on SMS sends" until the test ends."""
    config = dataclasses.replace(upstream.EMULATOR.config, captcha_required=True)
    monkeypatch.setattr(upstream.EMULATOR, "config", config)


# --- sms-code/ and sms-code/verify/ ------------------------------------------------------------


def test_sms_code_sends_one_code(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = post(api, "sms-code/", {"phone": PHONE})
    assert response.status_code == 202
    assert response.json() == CODE_SENT
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert [m["purpose"] for m in upstream.EMULATOR.messages(PHONE)] == ["generic"]


def test_sms_code_verify_accepts_the_code_once(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    sms = request_code(api)
    lc.calls.clear()
    with django_assert_num_queries(0):
        response = post(api, "sms-code/verify/", {"phone": PHONE, "code": sms})
    assert response.status_code == 200, response.content
    assert response.json() == {"code": "code_verified", "detail": "The code is valid."}
    assert lc.calls == [("POST", f"/1.1/verifySmsCode/{sms}")]
    replay = post(api, "sms-code/verify/", {"phone": PHONE, "code": sms})
    assert_error(replay, 400, "invalid_code")  # T13: a spent code is just invalid
    assert len(lc.calls) == 2


def test_sms_code_verify_wrong_expired_and_cross_number_codes_read_the_same(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    sms = request_code(api)
    request_code(api, OTHER)
    lc.calls.clear()
    wrong = "000000" if sms != "000000" else "111111"
    answers = [
        post(api, "sms-code/verify/", {"phone": PHONE, "code": wrong}),
        post(api, "sms-code/verify/", {"phone": THIRD, "code": sms}),  # T15: bound to PHONE
    ]
    upstream.EMULATOR.clock.advance(11 * 60)  # T14: past the 10-minute ttl
    answers.append(post(api, "sms-code/verify/", {"phone": PHONE, "code": sms}))
    for response in answers:
        assert_error(response, 400, "invalid_code")
    assert len({(r.status_code, r.content) for r in answers}) == 1
    assert len(lc.calls) == 3


def test_a_code_for_one_purpose_does_not_serve_another(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    signup(api, password=PASSWORD)
    assert post(api, "password-reset/sms-code/", {"phone": PHONE}).status_code == 202
    reset_code = code(PHONE)
    cool_down()
    lc.calls.clear()
    assert_error(post(api, "login/", {"phone": PHONE, "code": reset_code}), 400, "invalid_code")
    assert_error(
        post(api, "sms-code/verify/", {"phone": PHONE, "code": reset_code}), 400, "invalid_code"
    )
    assert lc.calls == [("POST", "/1.1/login"), ("POST", f"/1.1/verifySmsCode/{reset_code}")]
    reset = post(
        api, "password-reset/", {"phone": PHONE, "code": reset_code, "password": "other-Pass-3"}
    )
    assert reset.status_code == 200, reset.content  # still good for its own purpose


# --- no enumeration (T09) ---------------------------------------------------------------------


def _three_kinds_of_number() -> dict[str, str]:
    """A known verified number, an unverified one, and one nobody has."""
    signup(APIClient(), PHONE, password=PASSWORD)
    make_unverified(OTHER)
    return {"verified": PHONE, "unverified": OTHER, "unknown": THIRD}


@pytest.mark.parametrize("path", ["login/sms-code/", "password-reset/sms-code/"])
def test_code_requests_answer_the_same_for_every_number(
    path: str, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    numbers = _three_kinds_of_number()
    lc.calls.clear()
    answers = {}
    for kind, phone in numbers.items():
        with django_assert_num_queries(0):
            answers[kind] = post(APIClient(), path, {"phone": phone})
    for response in answers.values():
        assert response.status_code == 202
        assert response.json() == CODE_SENT
    shapes = {(r.status_code, r.content, tuple(sorted(r.items()))) for r in answers.values()}
    assert len(shapes) == 1, answers
    assert lc.calls == [("POST", SEND_PATHS[path])] * 3
    # Only the verified number got a code.
    assert [m["mobilePhoneNumber"] for m in upstream.EMULATOR.messages()] == [PHONE, PHONE]


def test_a_login_code_signs_in_and_cannot_be_reused(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    first = signup(api, password=PASSWORD)
    assert post(api, "login/sms-code/", {"phone": PHONE}).status_code == 202
    sms = code(PHONE)
    lc.calls.clear()
    login = post(api, "login/", {"phone": PHONE, "code": sms})
    assert login.status_code == 200, login.content
    assert login.json()["user"] == first["user"]
    assert_error(post(api, "login/", {"phone": PHONE, "code": sms}), 400, "invalid_code")
    assert lc.calls == [("POST", "/1.1/login")] * 2


def test_a_login_code_for_an_unknown_number_is_an_invalid_code(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    assert post(api, "login/sms-code/", {"phone": THIRD}).status_code == 202
    lc.calls.clear()
    assert_error(post(api, "login/", {"phone": THIRD, "code": "123456"}), 400, "invalid_code")
    assert lc.calls == [("POST", "/1.1/login")]


# --- upstream send limits (T16, T28) ------------------------------------------------------------


@lc_phone_settings(SMS_RESEND_COOLDOWN=None)  # LeanCloud's own limits (ours: tests/security)
def test_a_second_code_within_ten_seconds_is_429_sms_rate_limited(
    lc: upstream.CountingApp,
) -> None:
    path = "sms-code/"
    lc.calls.clear()
    api = APIClient()
    assert post(api, path, {"phone": PHONE}).status_code == 202
    upstream.EMULATOR.clock.advance(5)
    again = post(api, path, {"phone": PHONE})  # LeanCloud: code 1 "too fast"
    assert_error(again, 429, "sms_rate_limited")
    assert again["Retry-After"] == "60"
    upstream.EMULATOR.clock.advance(10)
    minute = post(api, path, {"phone": PHONE})  # LeanCloud: 601 within the minute
    assert_error(minute, 429, "sms_rate_limited")
    assert minute["Retry-After"] == "60"
    assert minute.content == again.content
    assert lc.calls == [("POST", SEND_PATHS[path])] * 3
    assert len(upstream.EMULATOR.messages(PHONE)) == 1
    cool_down()
    assert post(api, path, {"phone": PHONE}).status_code == 202


@pytest.mark.parametrize("path", list(ACCOUNT_PATHS))
@lc_phone_settings(SMS_RESEND_COOLDOWN=None)  # LeanCloud's own limits (ours: tests/security)
def test_leancloud_refusing_an_account_code_is_signalled_not_answered(
    path: str, lc: upstream.CountingApp
) -> None:
    signup(APIClient(), PHONE)
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    api = APIClient()
    first = post(api, path, {"phone": PHONE})
    assert first.status_code == 202
    upstream.EMULATOR.clock.advance(5)
    with failed_sends() as failures:
        again = post(api, path, {"phone": PHONE})  # LeanCloud: code 1 "too fast"
    assert (again.status_code, again.content) == (first.status_code, first.content)
    assert [type(f["error"]) for f in failures] == [SendThrottled]
    assert failures[0]["phone"] == PHONE
    assert lc.calls == [("POST", ACCOUNT_PATHS[path])] * 2
    assert len(upstream.EMULATOR.messages(PHONE)) == 1


def test_a_missing_captcha_is_400_captcha_required(
    lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    lc.calls.clear()
    _require_captcha(monkeypatch)
    response = post(APIClient(), "sms-code/", {"phone": PHONE})
    assert_error(response, 400, "captcha_required")
    assert lc.calls == [("POST", SEND_PATHS["sms-code/"])]
    assert upstream.EMULATOR.messages() == []


@pytest.mark.parametrize("path", list(ACCOUNT_PATHS))
def test_leancloud_asking_for_a_captcha_on_an_account_code_is_signalled(
    path: str, lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A known number: the emulator looks the user up before it checks the CAPTCHA, so an
    # unknown one gets nothing either way (what LeanCloud does first is not documented).
    # Sites whose LeanCloud console requires a CAPTCHA set CAPTCHA_REQUIRED (docs/security.md).
    signup(APIClient(), PHONE)
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    _require_captcha(monkeypatch)
    with failed_sends() as failures:
        response = post(APIClient(), path, {"phone": PHONE})
    assert response.status_code == 202
    assert [type(f["error"]) for f in failures] == [CaptchaRequired]
    assert lc.calls == [("POST", ACCOUNT_PATHS[path])]
    assert upstream.EMULATOR.messages() == []


def test_a_wrong_captcha_answer_is_400_invalid_captcha(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    token = api.get(url("captcha/")).json()["captcha_token"]
    answer = _captcha_answer(token)
    wrong = "0000" if answer != "0000" else "1111"
    response = post(api, "captcha/verify/", {"captcha_token": token, "captcha_code": wrong})
    assert_error(response, 400, "invalid_captcha")
    again = post(api, "captcha/verify/", {"captcha_token": token, "captcha_code": answer})
    assert_error(again, 400, "invalid_captcha")  # a challenge is used up by any answer
    assert lc.calls == [("GET", "/1.1/requestCaptcha"), *[("POST", "/1.1/verifyCaptcha")] * 2]


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"captcha_token": "abc", "captcha_code": "1234"},  # too short a token
        {"captcha_token": "../../x", "captcha_code": "1234"},
        {"captcha_token": "abcdEFGH", "captcha_code": "1" * 17},
        {"captcha_token": "abcdEFGH"},
        {"captcha_token": None, "captcha_code": "1234"},
    ],
)
def test_captcha_verify_refuses_bad_input_locally(
    api: APIClient, lc: upstream.CountingApp, body: dict[str, Any]
) -> None:
    assert_error(post(api, "captcha/verify/", body), 400, "invalid", errors=True)
    assert lc.calls == []


def test_captcha_url_carries_no_key(api: APIClient, lc: upstream.CountingApp) -> None:
    body = api.get(url("captcha/")).json()
    config = upstream.EMULATOR.config
    assert config.app_key not in body["captcha_url"]
    assert config.master_key not in body["captcha_url"]
