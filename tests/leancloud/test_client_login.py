"""LeanCloudClient's sign-up, login and password-reset calls against the emulator over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from django_lc_phone.emulator import RunningServer
from django_lc_phone.emulator import objects as emulator_objects
from django_lc_phone.leancloud import (
    LeanCloudAccountLocked,
    LeanCloudAlreadyTaken,
    LeanCloudClient,
    LeanCloudError,
    LeanCloudInvalidCode,
    LeanCloudInvalidField,
    LeanCloudNotVerified,
    LeanCloudPasswordMismatch,
    LeanCloudRateLimited,
    LeanCloudServiceDisabled,
    LeanCloudUserNotFound,
)
from django_lc_phone.leancloud.wire import SESSION_TOKEN_RE

from ._support import MESSAGE_TOO_FAST, lc_error, make_user, sms_signup, user_fields
from .conftest import Serve

PHONE = "+8613800000011"
OTHER = "+8613800000012"
LOCKED = "登录失败次数超过限制，请稍候再试，或者通过忘记密码重设密码。"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- usersByMobilePhone --------------------------------------------------------------------


def test_signup_creates_then_logs_in(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    http_client.request_sms_code(PHONE)
    first = http_client.signup_or_login_by_mobile_phone(PHONE, emulator.last_code(PHONE))
    user = first.user
    assert first.created is True
    assert (user.username, user.mobile_phone_number, user.mobile_phone_verified) == (
        PHONE, PHONE, True,
    )  # fmt: skip
    assert user.session_token is not None
    assert SESSION_TOKEN_RE.fullmatch(user.session_token)
    assert "sessionToken" not in user.data
    assert "password" not in user.data
    assert "_password" not in user_fields(emulator, user.object_id)  # no password was given

    emulator.clock.advance(61)
    http_client.request_sms_code(PHONE)
    code = emulator.last_code(PHONE)
    again = http_client.signup_or_login_by_mobile_phone(
        PHONE, code, username="ignored", password="ignored-pw"
    )
    assert again.created is False
    assert (again.user.object_id, again.user.username) == (user.object_id, PHONE)
    assert again.user.session_token == user.session_token
    with lc_error(LeanCloudPasswordMismatch, 210):  # the password only counts at creation
        http_client.login_with_password(PHONE, "ignored-pw")
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.signup_or_login_by_mobile_phone(PHONE, code)


def test_signup_with_username_and_password(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    object_id, token = sms_signup(
        http_client, emulator_server.emulator, PHONE, username="alice", password="s3cret-pw"
    )
    user = http_client.login_with_password(PHONE, "s3cret-pw")
    assert (user.object_id, user.username, user.session_token) == (object_id, "alice", token)


def test_signup_marks_an_existing_unverified_phone_verified(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    made = make_user(emulator, PHONE, verified=False)
    http_client.request_sms_code(PHONE)
    result = http_client.signup_or_login_by_mobile_phone(PHONE, emulator.last_code(PHONE))
    assert (result.created, result.user.object_id) == (False, made.object_id)
    assert result.user.mobile_phone_verified is True
    assert http_client.get_user(made.object_id).mobile_phone_verified is True


@pytest.mark.parametrize(
    ("fields", "cls", "code"),
    [
        ({}, LeanCloudAlreadyTaken, 202),  # the default username (the phone) is someone's
        ({"username": "taken"}, LeanCloudAlreadyTaken, 202),
        ({"username": "   "}, LeanCloudInvalidField, 217),
        ({"username": "bob", "password": "   "}, LeanCloudInvalidField, 218),
    ],
)
def test_signup_refusals_keep_the_code(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    fields: dict[str, str],
    cls: type[LeanCloudError],
    code: int,
) -> None:
    emulator = emulator_server.emulator
    make_user(emulator, OTHER, username=PHONE)
    make_user(emulator, username="taken")
    http_client.request_sms_code(PHONE)
    sms_code = emulator.last_code(PHONE)
    with lc_error(cls, code):
        http_client.signup_or_login_by_mobile_phone(PHONE, sms_code, **fields)
    result = http_client.signup_or_login_by_mobile_phone(PHONE, sms_code, username="bob")
    assert (result.created, result.user.username) == (True, "bob")


def test_signup_refuses_wrong_and_foreign_codes(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    with lc_error(LeanCloudInvalidCode, 603):  # nothing was requested
        http_client.signup_or_login_by_mobile_phone(PHONE, "123456")
    make_user(emulator, OTHER)
    http_client.request_login_sms_code(OTHER)
    with lc_error(LeanCloudInvalidCode, 603):  # a login code is not a sign-up code
        http_client.signup_or_login_by_mobile_phone(OTHER, emulator.last_code(OTHER))
    http_client.request_sms_code(PHONE)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.signup_or_login_by_mobile_phone(PHONE, wrong(emulator.last_code(PHONE)))
    assert http_client.scan_users(where={"mobilePhoneNumber": PHONE}).results == []


# --- login with an SMS code ----------------------------------------------------------------


def test_login_with_sms_code(http_client: LeanCloudClient, emulator_server: RunningServer) -> None:
    emulator = emulator_server.emulator
    made = make_user(emulator, PHONE, password="pw-123456")
    http_client.request_login_sms_code(PHONE)
    [message] = emulator.messages(PHONE)
    code = message["code"]
    assert (message["purpose"], message["smsType"], message["template"]) == ("login", "sms", None)
    assert message["text"] == (
        "您正在使用LeanCloud Emulator服务进行短信验证操作，"
        f"您的验证码是：{code}，请在10分钟内完成验证。"
    )
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.login_with_sms_code(PHONE, wrong(code))
    user = http_client.login_with_sms_code(PHONE, code)
    assert (user.object_id, user.session_token) == (made.object_id, made.session_token)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.login_with_sms_code(PHONE, code)
    with lc_error(LeanCloudRateLimited, 1, message=MESSAGE_TOO_FAST):
        http_client.request_login_sms_code(PHONE)


def test_login_sms_code_expires_and_generic_codes_do_not_log_in(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    make_user(emulator, PHONE)
    http_client.request_sms_code(PHONE)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.login_with_sms_code(PHONE, emulator.last_code(PHONE))
    emulator.clock.advance(61)
    http_client.request_login_sms_code(PHONE)
    emulator.clock.advance(600)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.login_with_sms_code(PHONE, emulator.last_code(PHONE))
    with lc_error(LeanCloudUserNotFound, 213):
        http_client.login_with_sms_code(OTHER, "123456")


def test_test_number_login_code_is_reusable(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    emulator.add_test_number(PHONE, "170402")
    made = make_user(emulator, PHONE)
    http_client.request_login_sms_code(PHONE)
    assert http_client.login_with_sms_code(PHONE, "170402").object_id == made.object_id
    assert http_client.login_with_sms_code(PHONE, "170402").object_id == made.object_id


@pytest.mark.parametrize(
    ("options", "verified", "cls", "code"),
    [
        ({}, None, LeanCloudUserNotFound, 213),
        ({}, False, LeanCloudNotVerified, 215),
        ({"sms_login_enabled": False}, True, LeanCloudServiceDisabled, 119),
    ],
)
def test_request_login_sms_code_refusals(
    serve: Serve,
    options: dict[str, Any],
    verified: bool | None,
    cls: type[LeanCloudError],
    code: int,
) -> None:
    server, client = serve(**options)
    if verified is not None:
        make_user(server.emulator, PHONE, verified=verified)
    with lc_error(cls, code):
        client.request_login_sms_code(PHONE)
    assert server.emulator.messages() == []


# --- login with a password -----------------------------------------------------------------


def test_login_with_password(http_client: LeanCloudClient, emulator_server: RunningServer) -> None:
    made = make_user(
        emulator_server.emulator, PHONE, verified=False, password="pw-123456", username="carol"
    )
    user = http_client.login_with_password(PHONE, "pw-123456")
    assert (user.object_id, user.username, user.session_token) == (
        made.object_id, "carol", made.session_token,
    )  # fmt: skip
    assert (user.mobile_phone_number, user.mobile_phone_verified) == (PHONE, False)
    assert http_client.login_with_password("13800000011", "pw-123456").object_id == made.object_id
    with lc_error(LeanCloudPasswordMismatch, 210):
        http_client.login_with_password(PHONE, "pw-1234567")
    with lc_error(LeanCloudUserNotFound, 213):
        http_client.login_with_password(OTHER, "pw-123456")


def test_unverified_phones_cannot_log_in_when_the_console_blocks_them(serve: Serve) -> None:
    server, client = serve(block_unverified_phone_login=True)
    make_user(server.emulator, PHONE, verified=False, password="pw-123456")
    make_user(server.emulator, OTHER, verified=True, password="pw-123456")
    with lc_error(LeanCloudNotVerified, 215):
        client.login_with_password(PHONE, "pw-123456")
    with lc_error(LeanCloudNotVerified, 215):
        client.login_with_sms_code(PHONE, "123456")
    assert client.login_with_password(OTHER, "pw-123456").mobile_phone_number == OTHER


@pytest.mark.parametrize("via", ["password", "sms_code"])
def test_more_than_six_failures_lock_the_account_for_15_minutes(
    http_client: LeanCloudClient, emulator_server: RunningServer, via: str
) -> None:
    emulator = emulator_server.emulator
    make_user(emulator, PHONE, password="right-pw")

    def fail() -> None:
        if via == "password":
            with lc_error(LeanCloudPasswordMismatch, 210):
                http_client.login_with_password(PHONE, "wrong-pw")
        else:
            with lc_error(LeanCloudInvalidCode, 603):
                http_client.login_with_sms_code(PHONE, "000000")

    for _ in range(6):
        fail()
    http_client.login_with_password(PHONE, "right-pw")  # six are allowed; a login forgets them
    for _ in range(7):
        fail()
    with lc_error(LeanCloudAccountLocked, 219, message=LOCKED):
        http_client.login_with_password(PHONE, "right-pw")
    with lc_error(LeanCloudAccountLocked, 219, message=LOCKED):
        http_client.login_with_sms_code(PHONE, "000000")
    emulator.clock.advance(15 * 60 - 5)
    with lc_error(LeanCloudAccountLocked, 219, message=LOCKED):
        http_client.login_with_password(PHONE, "right-pw")
    emulator.clock.advance(6)
    assert http_client.login_with_password(PHONE, "right-pw").mobile_phone_number == PHONE


def test_failures_older_than_15_minutes_do_not_count(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    make_user(emulator_server.emulator, PHONE, password="right-pw")
    for _ in range(6):
        with lc_error(LeanCloudPasswordMismatch, 210):
            http_client.login_with_password(PHONE, "wrong-pw")
    emulator_server.emulator.clock.advance(15 * 60 + 1)
    with lc_error(LeanCloudPasswordMismatch, 210):
        http_client.login_with_password(PHONE, "wrong-pw")
    http_client.login_with_password(PHONE, "right-pw")


# --- password reset ------------------------------------------------------------------------


def test_password_reset_sets_the_password_and_rotates_the_session(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    made = make_user(emulator, PHONE, password="old-pw")
    http_client.request_password_reset_by_sms_code(PHONE)
    [message] = emulator.messages(PHONE)
    assert message["purpose"] == "reset_password"
    code = message["code"]
    http_client.reset_password_by_sms_code(PHONE, code, "new-pw")
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.get_current_user(made.session_token)
    with lc_error(LeanCloudPasswordMismatch, 210):
        http_client.login_with_password(PHONE, "old-pw")
    user = http_client.login_with_password(PHONE, "new-pw")
    assert user.object_id == made.object_id
    assert user.session_token is not None
    assert user.session_token != made.session_token
    assert http_client.get_current_user(user.session_token).object_id == made.object_id
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.reset_password_by_sms_code(PHONE, code, "newer-pw")


def test_password_reset_refusals_keep_the_code(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    make_user(emulator, PHONE, password="old-pw")
    http_client.request_login_sms_code(PHONE)
    login_code = emulator.last_code(PHONE)
    emulator.clock.advance(61)
    http_client.request_password_reset_by_sms_code(PHONE)
    code = emulator.last_code(PHONE)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.reset_password_by_sms_code(PHONE, wrong(code), "new-pw")
    if login_code != code:  # one chance in a million that they are equal
        with lc_error(LeanCloudInvalidCode, 603):
            http_client.reset_password_by_sms_code(PHONE, login_code, "new-pw")
    with lc_error(LeanCloudInvalidField, 218):
        http_client.reset_password_by_sms_code(PHONE, code, "   ")
    with lc_error(LeanCloudInvalidCode, 603):  # no account: 603 as on LeanCloud, not 213
        http_client.reset_password_by_sms_code(OTHER, code, "new-pw")
    http_client.reset_password_by_sms_code(PHONE, code, "new-pw")
    http_client.login_with_password(PHONE, "new-pw")


def test_password_reset_lifts_the_lock(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    make_user(emulator, PHONE, password="old-pw")
    for _ in range(7):
        with lc_error(LeanCloudPasswordMismatch, 210):
            http_client.login_with_password(PHONE, "wrong-pw")
    with lc_error(LeanCloudAccountLocked, 219, message=LOCKED):
        http_client.login_with_password(PHONE, "old-pw")
    http_client.request_password_reset_by_sms_code(PHONE)
    http_client.reset_password_by_sms_code(PHONE, emulator.last_code(PHONE), "new-pw")
    http_client.login_with_password(PHONE, "new-pw")


@pytest.mark.parametrize(
    ("allow_unverified_reset", "verified", "cls", "code"),
    [
        (False, None, LeanCloudUserNotFound, 213),
        (True, None, LeanCloudUserNotFound, 213),
        (False, False, LeanCloudNotVerified, 215),
    ],
)
def test_request_password_reset_refusals(
    serve: Serve,
    allow_unverified_reset: bool,
    verified: bool | None,
    cls: type[LeanCloudError],
    code: int,
) -> None:
    server, client = serve(allow_unverified_reset=allow_unverified_reset)
    if verified is not None:
        make_user(server.emulator, PHONE, verified=verified, password="old-pw")
    with lc_error(cls, code):
        client.request_password_reset_by_sms_code(PHONE)
    assert server.emulator.messages() == []


def test_unverified_phone_may_reset_when_the_console_allows(serve: Serve) -> None:
    server, client = serve(allow_unverified_reset=True)
    made = make_user(server.emulator, PHONE, verified=False, password="old-pw")
    client.request_password_reset_by_sms_code(PHONE)
    client.reset_password_by_sms_code(PHONE, server.emulator.last_code(PHONE), "new-pw")
    user = client.login_with_password(PHONE, "new-pw")
    assert (user.object_id, user.mobile_phone_verified) == (made.object_id, False)


# --- codes are bound to the user they were sent for ------------------------------------------


def _hand_number_over(emulator: Any, old_owner: str, new_owner: str) -> None:
    """Move the number from one stored user to another (a recycled phone number)."""
    with emulator.store.transaction() as db:
        old = emulator_objects.load(db, emulator_objects.USER, old_owner)
        new = emulator_objects.load(db, emulator_objects.USER, new_owner)
        assert old is not None
        assert new is not None
        new["mobilePhoneNumber"] = old.pop("mobilePhoneNumber")
        emulator_objects.save(db, emulator_objects.USER, old)
        emulator_objects.save(db, emulator_objects.USER, new)


@pytest.mark.parametrize("flow", ["login", "reset"])
def test_a_code_does_not_follow_its_number_to_another_user(
    http_client: LeanCloudClient, emulator_server: RunningServer, flow: str
) -> None:
    emulator = emulator_server.emulator
    first = make_user(emulator, PHONE, password="first-owner-1")
    second = make_user(emulator, None, username="second-owner", password="second-owner-1")
    if flow == "login":
        http_client.request_login_sms_code(PHONE)
    else:
        http_client.request_password_reset_by_sms_code(PHONE)
    code = emulator.last_code(PHONE)
    _hand_number_over(emulator, first.object_id, second.object_id)
    with lc_error(LeanCloudInvalidCode, 603):
        if flow == "login":
            http_client.login_with_sms_code(PHONE, code)
        else:
            http_client.reset_password_by_sms_code(PHONE, code, "taken-over-1")
    assert http_client.login_with_password(PHONE, "second-owner-1").object_id == second.object_id


def test_sms_login_switched_off_answers_119_before_looking_the_number_up(serve: Serve) -> None:
    _, client = serve(sms_login_enabled=False)
    with lc_error(LeanCloudServiceDisabled, 119):
        client.request_login_sms_code("+8613800009999")  # no such user: still 119, not 213
