"""LeanCloudClient's phone-verification, change-phone and user calls against the emulator over
real HTTP, the master-key scan, and the arguments the client refuses before any request."""

from __future__ import annotations

from typing import Any

import pytest

from django_lc_phone.emulator import RunningServer
from django_lc_phone.leancloud import (
    LeanCloudAlreadyTaken,
    LeanCloudAPIError,
    LeanCloudClient,
    LeanCloudError,
    LeanCloudInvalidCode,
    LeanCloudInvalidField,
    LeanCloudInvalidPhone,
    LeanCloudPasswordMismatch,
    LeanCloudSessionRequired,
    LeanCloudUserNotFound,
)

from ._support import lc_error, make_user, sms_signup

PHONE = "+8613800000021"
OTHER = "+8613800000022"
NEW = "+8613800000023"
UNKNOWN_ID = "0" * 24
UNKNOWN_TOKEN = "z" * 25


# --- requestMobilePhoneVerify / verifyMobilePhone ------------------------------------------


def test_verify_a_phone_set_by_update_user(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    object_id, token = sms_signup(http_client, emulator, PHONE)
    http_client.update_user(object_id, {"mobilePhoneNumber": NEW}, session_token=token)
    user = http_client.get_user(object_id)
    assert (user.mobile_phone_number, user.mobile_phone_verified) == (NEW, False)
    http_client.request_mobile_phone_verify(NEW)
    [message] = emulator.messages(NEW)
    assert message["purpose"] == "verify_phone"
    code = message["code"]
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.verify_mobile_phone(NEW, f"{(int(code) + 1) % 1_000_000:06d}")
    with lc_error(LeanCloudInvalidCode, 603):  # bound to its number
        http_client.verify_mobile_phone(PHONE, code)
    http_client.verify_mobile_phone(NEW, code)
    assert http_client.get_user(object_id).mobile_phone_verified is True
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.verify_mobile_phone(NEW, code)


def test_an_already_verified_phone_gets_no_sms(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    make_user(emulator_server.emulator, PHONE, verified=True)
    http_client.request_mobile_phone_verify(PHONE)
    assert emulator_server.emulator.messages() == []
    http_client.request_sms_code(PHONE)  # and no limit was spent


def test_verify_code_of_a_number_its_user_gave_up_is_refused(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    made = make_user(emulator_server.emulator, PHONE, verified=False)
    http_client.request_mobile_phone_verify(PHONE)
    code = emulator_server.emulator.last_code(PHONE)
    http_client.update_user(made.object_id, {"mobilePhoneNumber": OTHER}, use_master_key=True)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.verify_mobile_phone(PHONE, code)


def test_request_mobile_phone_verify_unknown_number(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    with lc_error(LeanCloudUserNotFound, 213):
        http_client.request_mobile_phone_verify(PHONE)
    assert emulator_server.emulator.messages() == []


# --- requestChangePhoneNumber / changePhoneNumber ------------------------------------------


def test_change_phone_number(http_client: LeanCloudClient, emulator_server: RunningServer) -> None:
    emulator = emulator_server.emulator
    made = make_user(emulator, PHONE, password="pw-123456")
    http_client.request_change_phone_number(NEW, session_token=made.session_token)
    [message] = emulator.messages()
    assert (message["mobilePhoneNumber"], message["purpose"]) == (NEW, "change_phone")
    assert message["text"].endswith("请在6分钟内完成验证。")
    code = message["code"]
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.change_phone_number(
            NEW, f"{(int(code) + 1) % 1_000_000:06d}", session_token=made.session_token
        )
    http_client.change_phone_number(NEW, code, session_token=made.session_token)
    user = http_client.get_current_user(made.session_token)
    assert (user.mobile_phone_number, user.mobile_phone_verified) == (NEW, True)
    assert http_client.login_with_password(NEW, "pw-123456").object_id == made.object_id
    with lc_error(LeanCloudUserNotFound, 213):
        http_client.login_with_password(PHONE, "pw-123456")
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.change_phone_number(NEW, code, session_token=made.session_token)


@pytest.mark.parametrize(
    ("ttl", "elapsed", "valid"),
    [(None, 6 * 60 - 1, True), (None, 6 * 60 + 1, False), (1, 59, True), (1, 61, False)],
)
def test_change_phone_code_lifetime(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    ttl: int | None,
    elapsed: int,
    valid: bool,
) -> None:
    emulator = emulator_server.emulator
    token = make_user(emulator, PHONE).session_token
    http_client.request_change_phone_number(NEW, session_token=token, ttl=ttl)
    emulator.clock.advance(elapsed)
    if valid:
        http_client.change_phone_number(NEW, emulator.last_code(NEW), session_token=token)
    else:
        with lc_error(LeanCloudInvalidCode, 603):
            http_client.change_phone_number(NEW, emulator.last_code(NEW), session_token=token)


def test_request_change_phone_number_refusals(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    token = make_user(emulator, PHONE).session_token
    make_user(emulator, OTHER, username="other")
    with lc_error(LeanCloudSessionRequired, 206, status=403):
        http_client.request_change_phone_number(NEW, session_token=None)  # type: ignore[arg-type]
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.request_change_phone_number(NEW, session_token=UNKNOWN_TOKEN)
    with lc_error(LeanCloudAlreadyTaken, 214):
        http_client.request_change_phone_number(OTHER, session_token=token)
    assert emulator.messages() == []


def test_confirming_someone_elses_change_is_refused(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    mine = make_user(emulator, PHONE)
    theirs = make_user(emulator, OTHER, username="other")
    http_client.request_change_phone_number(NEW, session_token=mine.session_token)
    code = emulator.last_code(NEW)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.change_phone_number(NEW, code, session_token=theirs.session_token)
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.change_phone_number(NEW, code, session_token=UNKNOWN_TOKEN)
    http_client.change_phone_number(NEW, code, session_token=mine.session_token)
    assert http_client.get_user(theirs.object_id).mobile_phone_number == OTHER
    assert http_client.get_user(mine.object_id).mobile_phone_number == NEW


def test_number_taken_before_the_change_is_confirmed(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    mine = make_user(emulator, PHONE)
    http_client.request_change_phone_number(NEW, session_token=mine.session_token)
    code = emulator.last_code(NEW)
    emulator.clock.advance(61)
    sms_signup(http_client, emulator, NEW)
    with lc_error(LeanCloudAlreadyTaken, 214):
        http_client.change_phone_number(NEW, code, session_token=mine.session_token)
    assert http_client.get_user(mine.object_id).mobile_phone_number == PHONE


# --- users/me, user objects, sessions -------------------------------------------------------


def test_current_user_and_user_objects(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    made = make_user(emulator_server.emulator, PHONE, username="dora")
    me = http_client.get_current_user(made.session_token)
    assert (me.object_id, me.username, me.session_token) == (
        made.object_id, "dora", made.session_token,
    )  # fmt: skip
    assert me.created_at is not None
    assert me.updated_at is not None
    for user in (
        http_client.get_user(made.object_id),
        http_client.get_user(made.object_id, session_token=made.session_token),
        http_client.get_user(made.object_id, use_master_key=True),
    ):
        assert (user.object_id, user.mobile_phone_number) == (made.object_id, PHONE)
        assert user.session_token is None
        assert "sessionToken" not in user.data
        assert not any(key.startswith("_") for key in user.data)
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.get_current_user(UNKNOWN_TOKEN)
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.get_user(UNKNOWN_ID)


def test_update_user_needs_the_users_session_or_the_master_key(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    mine = make_user(emulator, PHONE)
    theirs = make_user(emulator, OTHER, username="other")
    for session in (None, theirs.session_token):
        with lc_error(LeanCloudSessionRequired, 206, status=403):
            http_client.update_user(mine.object_id, {"nickname": "x"}, session_token=session)
    answer = http_client.update_user(
        mine.object_id, {"nickname": "mine"}, session_token=mine.session_token
    )
    assert sorted(answer) == ["objectId", "updatedAt"]
    assert answer["objectId"] == mine.object_id
    http_client.update_user(mine.object_id, {"city": "Hangzhou"}, use_master_key=True)
    data = http_client.get_user(mine.object_id).data
    assert (data["nickname"], data["city"]) == ("mine", "Hangzhou")
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.update_user(UNKNOWN_ID, {"nickname": "x"}, use_master_key=True)


def test_changing_the_phone_resets_its_verification(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    made = make_user(emulator_server.emulator, PHONE, verified=True)
    token = made.session_token
    http_client.update_user(
        made.object_id, {"mobilePhoneNumber": "13800000021"}, session_token=token
    )
    assert http_client.get_user(made.object_id).mobile_phone_verified is True  # same number
    http_client.update_user(made.object_id, {"mobilePhoneNumber": NEW}, session_token=token)
    assert http_client.get_user(made.object_id).mobile_phone_verified is False
    fields = {"mobilePhoneVerified": True}
    http_client.update_user(made.object_id, fields, session_token=token)  # the service's to set
    assert http_client.get_user(made.object_id).mobile_phone_verified is False
    http_client.update_user(made.object_id, fields, use_master_key=True)
    assert http_client.get_user(made.object_id).mobile_phone_verified is True


@pytest.mark.parametrize(
    ("fields", "cls", "code"),
    [
        ({"username": "other"}, LeanCloudAlreadyTaken, 202),
        ({"email": "taken@example.com"}, LeanCloudAlreadyTaken, 203),
        ({"mobilePhoneNumber": OTHER}, LeanCloudAlreadyTaken, 214),
        ({"mobilePhoneNumber": "12-34"}, LeanCloudInvalidPhone, 127),
        ({"username": "  "}, LeanCloudInvalidField, 217),
        ({"email": "not-an-email"}, LeanCloudInvalidField, 125),
        ({"password": " "}, LeanCloudInvalidField, 218),
    ],
)
def test_update_user_refusals_change_nothing(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    fields: dict[str, Any],
    cls: type[LeanCloudError],
    code: int,
) -> None:
    emulator = emulator_server.emulator
    made = make_user(emulator, PHONE)
    other = make_user(emulator, OTHER, username="other")
    http_client.update_user(other.object_id, {"email": "taken@example.com"}, use_master_key=True)
    before = http_client.get_user(made.object_id).data
    with lc_error(cls, code):
        http_client.update_user(made.object_id, fields, session_token=made.session_token)
    assert http_client.get_user(made.object_id).data == before


@pytest.mark.parametrize(
    ("fields", "cls", "code", "message"),
    [
        ({"mobilePhoneNumber.x": 1}, LeanCloudInvalidField, 111, None),
        ({"username": {"__op": "Increment"}}, LeanCloudInvalidField, 111, None),
        ({"username": {"__op": "Weird"}}, LeanCloudAPIError, 1, "Unsupported operation 'Weird'."),
    ],
)
def test_update_user_malformed_operations(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    fields: dict[str, Any],
    cls: type[LeanCloudError],
    code: int,
    message: str | None,
) -> None:
    made = make_user(emulator_server.emulator, PHONE)
    with lc_error(cls, code, message=message):
        http_client.update_user(made.object_id, fields, session_token=made.session_token)
    assert http_client.get_user(made.object_id).username == PHONE


def test_update_user_cannot_touch_private_fields(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    made = make_user(emulator_server.emulator, PHONE, password="pw-123456")
    http_client.update_user(
        made.object_id,
        {"_sessionToken": UNKNOWN_TOKEN, "sessionToken": UNKNOWN_TOKEN, "_password": "x"},
        use_master_key=True,
    )
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.get_current_user(UNKNOWN_TOKEN)
    assert http_client.get_current_user(made.session_token).object_id == made.object_id
    assert http_client.login_with_password(PHONE, "pw-123456").object_id == made.object_id


def test_refresh_session_token(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    made = make_user(emulator, PHONE)
    theirs = make_user(emulator, OTHER, username="other")
    for session in (None, theirs.session_token):
        with lc_error(LeanCloudSessionRequired, 206, status=403):
            http_client.refresh_session_token(made.object_id, session_token=session)
    token = http_client.refresh_session_token(made.object_id, session_token=made.session_token)
    assert token != made.session_token
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.get_current_user(made.session_token)
    assert http_client.get_current_user(token).object_id == made.object_id
    by_master = http_client.refresh_session_token(made.object_id, use_master_key=True)
    assert by_master != token
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.get_current_user(token)
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.refresh_session_token(UNKNOWN_ID, use_master_key=True)


def test_update_password(http_client: LeanCloudClient, emulator_server: RunningServer) -> None:
    emulator = emulator_server.emulator
    made = make_user(emulator, PHONE, password="old-pw")
    theirs = make_user(emulator, OTHER, username="other", password="old-pw")
    with lc_error(LeanCloudSessionRequired, 206, status=403):
        http_client.update_password(
            made.object_id, "old-pw", "new-pw", session_token=theirs.session_token
        )
    with lc_error(LeanCloudPasswordMismatch, 210):
        http_client.update_password(
            made.object_id, "wrong-pw", "new-pw", session_token=made.session_token
        )
    with lc_error(LeanCloudInvalidField, 218):
        http_client.update_password(made.object_id, "old-pw", " ", session_token=made.session_token)
    token = http_client.update_password(
        made.object_id, "old-pw", "new-pw", session_token=made.session_token
    )
    assert token != made.session_token
    with lc_error(LeanCloudUserNotFound, 211):
        http_client.get_current_user(made.session_token)
    assert http_client.login_with_password(PHONE, "new-pw").session_token == token
    with lc_error(LeanCloudPasswordMismatch, 210):
        http_client.login_with_password(PHONE, "old-pw")
