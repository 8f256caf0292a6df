"""Wire-level tests of the compat endpoints: login, users/me, refreshSessionToken and the
password reset, with their errors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from django_lc_phone.models import PhoneProfile
from django_lc_phone.sms import locmem
from tests.compat._wire import (
    ISO,
    NEW_PASSWORD,
    OTHER,
    PASSWORD,
    PHONE,
    USER_KEYS,
    assert_error,
    signup,
)
from tests.compat.conftest import LC, last_code
from tests.limiter import FakeClock

# --- login --------------------------------------------------------------------------------


def test_password_login(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    answer = lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD})
    assert answer.status_code == 200
    assert set(answer.json()) == USER_KEYS
    assert answer.json()["objectId"] == user["objectId"]


@pytest.mark.parametrize("credential", ["password", "smsCode"])
def test_a_login_reads_the_user_s_profile_once(
    lc: LC, credential: str, limiter_clock: FakeClock
) -> None:
    """Step 9: one compat login read the same PhoneProfile row three times (the provider, the
    sync, the answer's user). The sign-in's read is reused for the answer."""
    signup(lc, password=PASSWORD)
    body = {"mobilePhoneNumber": PHONE, "password": PASSWORD}
    if credential == "smsCode":
        limiter_clock.advance(61)
        assert lc.post("requestLoginSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
        body = {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE, "login")}
    table = PhoneProfile._meta.db_table
    with CaptureQueriesContext(connection) as queries:
        answer = lc.post("login", body)
    assert answer.status_code == 200, answer.content
    reads = [
        q["sql"] for q in queries if q["sql"].startswith("SELECT") and f'FROM "{table}"' in q["sql"]
    ]
    assert len(reads) == 1, reads


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"mobilePhoneNumber": PHONE, "password": "wrong-Password-9"}, 210),
        ({"mobilePhoneNumber": OTHER, "password": PASSWORD}, 210),  # unknown: no probing
        ({"mobilePhoneNumber": PHONE}, 201),
        ({"password": PASSWORD}, 200),
        ({"mobilePhoneNumber": "12", "password": PASSWORD}, 127),
        ({"mobilePhoneNumber": PHONE, "smsCode": "000000"}, 603),
        ({"username": "alice", "password": PASSWORD}, 210),  # unknown username: no probing
    ],
)
def test_login_errors(lc: LC, body: dict[str, str], code: int) -> None:
    signup(lc, password=PASSWORD)
    assert_error(lc.post("login", body), code)


def test_wrong_passwords_lock_the_login_with_219(lc: LC) -> None:
    signup(lc, password=PASSWORD)
    for _ in range(5):
        assert_error(
            lc.post("login", {"mobilePhoneNumber": PHONE, "password": "Wrong-pass-1"}), 210
        )
    assert_error(lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}), 219)


def test_login_by_code(lc: LC, limiter_clock: FakeClock) -> None:
    user = signup(lc)
    limiter_clock.advance(61)
    assert lc.post("requestLoginSmsCode", {"mobilePhoneNumber": PHONE}).content == b"{}"
    body = {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE, "login")}
    answer = lc.post("login", body)
    assert answer.status_code == 200, answer.content
    assert answer.json()["objectId"] == user["objectId"]
    assert_error(lc.post("login", body), 603)  # spent


def test_code_requests_for_unknown_numbers_look_the_same(lc: LC, limiter_clock: FakeClock) -> None:
    for path in ("requestLoginSmsCode", "requestPasswordResetBySmsCode"):
        limiter_clock.advance(61)
        answer = lc.post(path, {"mobilePhoneNumber": OTHER})
        assert (answer.status_code, answer.content) == (200, b"{}")
        assert_error(lc.post(path, {"mobilePhoneNumber": OTHER}), 601)  # limited all the same
    assert locmem.outbox == []


# --- users/me, refreshSessionToken ------------------------------------------------------------


def test_users_me(lc: LC) -> None:
    user = signup(lc)
    token = str(user["sessionToken"])
    assert lc.get("users/me", session=token).json() == user | {"updatedAt": user["updatedAt"]}
    become = lc.get(f"users/me?session_token={token}")
    assert become.json()["objectId"] == user["objectId"]
    assert_error(lc.get("users/me"), 211)
    assert_error(lc.get("users/me", session="nosuchtoken0000000000000"), 211)


def test_refresh_session_token(lc: LC) -> None:
    user = signup(lc)
    old, object_id = str(user["sessionToken"]), str(user["objectId"])
    answer = lc.put(f"users/{object_id}/refreshSessionToken", session=old)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body) == {"updatedAt", "objectId", "sessionToken"}
    assert body["objectId"] == object_id
    assert ISO.fullmatch(body["updatedAt"])
    assert body["sessionToken"] != old
    assert_error(lc.get("users/me", session=old), 211)
    assert lc.get("users/me", session=body["sessionToken"]).status_code == 200


def test_refresh_needs_the_users_own_session_or_the_master_key(lc: LC) -> None:
    alice = signup(lc)
    bob = signup(lc, OTHER)
    path = f"users/{alice['objectId']}/refreshSessionToken"
    unknown = "users/000000000000000000000000/refreshSessionToken"
    assert_error(lc.put(path), 206)
    assert_error(lc.put(path, session=str(bob["sessionToken"])), 206)
    assert_error(lc.put(unknown, master=True), 211)  # the master key may know who exists
    assert lc.put(path, master=True).status_code == 200
    assert_error(lc.get("users/me", session=str(alice["sessionToken"])), 211)


def test_refresh_without_a_valid_session_answers_every_id_alike(lc: LC) -> None:
    """Finding 9: refreshSessionToken without a session answered 206 for an existing objectId
    and 211 for an unknown one: a way to tell which objectIds exist."""
    alice = signup(lc)
    bob = signup(lc, OTHER)
    known = f"users/{alice['objectId']}/refreshSessionToken"
    unknown = "users/000000000000000000000000/refreshSessionToken"
    for session in (None, "notavalidsession00000000", str(bob["sessionToken"])):
        answers = [lc.put(path, session=session) for path in (known, unknown)]
        assert [(a.status_code, a.content) for a in answers[1:]] == [
            (answers[0].status_code, answers[0].content)
        ], session
    assert_error(lc.put(unknown), 206)
    assert_error(lc.put(unknown, session="notavalidsession00000000"), 211)


# --- password reset ---------------------------------------------------------------------------


def test_password_reset_ends_every_session(lc: LC, limiter_clock: FakeClock) -> None:
    user = signup(lc, password=PASSWORD)
    limiter_clock.advance(61)
    assert lc.post("requestPasswordResetBySmsCode", {"mobilePhoneNumber": PHONE}).content == b"{}"
    code = last_code(PHONE, "reset_password")
    body = {"mobilePhoneNumber": PHONE, "password": NEW_PASSWORD}
    answer = lc.put(f"resetPasswordBySmsCode/{code}", body)
    assert (answer.status_code, answer.content) == (200, b"{}")
    assert_error(lc.get("users/me", session=str(user["sessionToken"])), 211)
    assert_error(lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}), 210)
    new = lc.post("login", {"mobilePhoneNumber": PHONE, "password": NEW_PASSWORD})
    assert new.status_code == 200


@pytest.mark.parametrize(
    ("code", "body", "error"),
    [
        ("000000", {"mobilePhoneNumber": PHONE, "password": NEW_PASSWORD}, 603),
        ("abc", {"mobilePhoneNumber": PHONE, "password": NEW_PASSWORD}, 603),
        ("000000", {"mobilePhoneNumber": PHONE}, 201),
        ("000000", {"mobilePhoneNumber": PHONE, "password": "   "}, 218),
        ("000000", {"password": NEW_PASSWORD}, 603),  # no number: the code names it
        ("000000", {"mobilePhoneNumber": 13800138000, "password": NEW_PASSWORD}, 127),
    ],
)
def test_password_reset_errors(lc: LC, code: str, body: dict[str, str], error: int) -> None:
    signup(lc, password=PASSWORD)
    assert_error(lc.put(f"resetPasswordBySmsCode/{code}", body), error)
