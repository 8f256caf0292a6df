"""Answers the emulator gives as LeanCloud does: unknown paths, resetPasswordBySmsCode for a
number without an account, and bare mainland numbers."""

from __future__ import annotations

import pytest

from django_lc_phone.emulator import RunningServer
from django_lc_phone.leancloud.wire import JSON_CONTENT_TYPE, MESSAGE_NOT_FOUND
from tests.emulator._support import PASSWORD, call

PHONE = "+8613800138000"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/1.1/nosuch"),
        ("POST", "/1.1/functions/hello"),
        ("GET", "/1.1/requestSmsCode"),  # a served path, a method it does not take
        ("DELETE", "/1.1/login"),
    ],
)
def test_paths_it_does_not_serve_answer_leancloud_json(
    emulator_server: RunningServer, method: str, path: str
) -> None:
    answer = call(emulator_server, method, path, {})
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert answer.json() == {"code": 1, "error": MESSAGE_NOT_FOUND}  # an SDK's LeanCloudError


@pytest.mark.parametrize("phone", [PHONE, PHONE.removeprefix("+86")])
def test_reset_password_for_a_number_without_an_account_is_603(
    emulator_server: RunningServer, phone: str
) -> None:
    """LeanCloud answers 603, not 213: python-sdk's test_reset_password_by_sms_code, run
    against the real service with a bare number nobody has, accepts only 603."""
    body = {"mobilePhoneNumber": phone, "password": "new-password"}
    answer = call(emulator_server, "PUT", "/1.1/resetPasswordBySmsCode/123456", body)
    assert (answer.status_code, answer.json()["code"]) == (400, 603)


def test_bare_and_e164_numbers_are_one_number_with_one_cooldown(
    emulator_server: RunningServer,
) -> None:
    bare = PHONE.removeprefix("+86")
    assert call(emulator_server, "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": bare}).ok
    again = call(emulator_server, "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": PHONE})
    assert again.json()["code"] in (1, 601)  # the 10 s resend window (code 1)
    code = emulator_server.emulator.last_code(PHONE)
    body = {"mobilePhoneNumber": PHONE, "smsCode": code, "password": PASSWORD}
    user = call(emulator_server, "POST", "/1.1/usersByMobilePhone", body).json()
    assert user["mobilePhoneNumber"] == PHONE
    login = {"mobilePhoneNumber": bare, "password": PASSWORD}
    assert call(emulator_server, "POST", "/1.1/login", login).json()["objectId"] == user["objectId"]
