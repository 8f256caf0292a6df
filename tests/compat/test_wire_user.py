"""Wire-level tests of ``GET``/``PUT /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``: the
caller's own record only, username and password changes, every other field refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

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

PATHS = ["users/{}", "classes/_User/{}"]


def assert_code(response: Any, code: int, status: int = 400) -> None:
    """A LeanCloud error with the site's own message."""
    assert response.status_code == status, response.content
    assert response.json()["code"] == code


@pytest.mark.parametrize("path", PATHS)
def test_get_own_record_without_session_token(lc: LC, path: str) -> None:
    user = signup(lc)
    answer = lc.get(path.format(user["objectId"]), session=str(user["sessionToken"]))
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == USER_KEYS - {"sessionToken"}
    assert body["objectId"] == user["objectId"]
    assert body["mobilePhoneNumber"] == PHONE
    assert body["mobilePhoneVerified"] is True


@pytest.mark.parametrize("path", PATHS)
def test_get_anybody_elses_record_or_an_unknown_id_is_206(lc: LC, path: str) -> None:
    mine = signup(lc)
    theirs = signup(lc, OTHER)
    token = str(mine["sessionToken"])
    assert_error(lc.get(path.format(theirs["objectId"]), session=token), 206)
    assert_error(lc.get(path.format("0" * 24), session=token), 206)
    assert_error(lc.get(path.format(mine["objectId"])), 206)
    assert_error(lc.get(path.format(mine["objectId"]), session="a" * 25), 211)


def test_master_key_reads_any_record_and_211_for_unknown(lc: LC) -> None:
    user = signup(lc)
    answer = lc.get(f"users/{user['objectId']}", master=True)
    assert answer.status_code == 200
    assert answer.json()["objectId"] == user["objectId"]
    assert_error(lc.get("users/" + "0" * 24, master=True), 211)


@pytest.mark.parametrize("path", PATHS)
def test_put_password_keeps_the_callers_session_and_ends_the_others(lc: LC, path: str) -> None:
    user = signup(lc, password=PASSWORD)
    mine = str(user["sessionToken"])
    other = lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}).json()
    answer = lc.put(path.format(user["objectId"]), {"password": NEW_PASSWORD}, session=mine)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"updatedAt", "objectId"}
    assert body["objectId"] == user["objectId"]
    assert ISO.match(body["updatedAt"])
    assert lc.get("users/me", session=mine).status_code == 200
    assert_error(lc.get("users/me", session=str(other["sessionToken"])), 211)
    assert_error(lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}), 210)
    login = lc.post("login", {"mobilePhoneNumber": PHONE, "password": NEW_PASSWORD})
    assert login.status_code == 200


def test_put_password_after_a_code_sign_up_enables_password_login(lc: LC) -> None:
    user = signup(lc)
    token = str(user["sessionToken"])
    answer = lc.put(f"classes/_User/{user['objectId']}", {"password": PASSWORD}, session=token)
    assert answer.status_code == 200, answer.content
    assert lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}).status_code == 200


def test_put_weak_or_empty_password_is_218_or_201_and_changes_nothing(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    token = str(user["sessionToken"])
    assert_code(lc.put(f"users/{user['objectId']}", {"password": "123"}, session=token), 218)
    assert_error(lc.put(f"users/{user['objectId']}", {"password": ""}, session=token), 201)
    assert_error(lc.put(f"users/{user['objectId']}", {"password": "  "}, session=token), 218)
    assert lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}).status_code == 200


def test_put_username_unique(lc: LC) -> None:
    user = signup(lc, username="alice")
    signup(lc, OTHER, username="bob")
    token = str(user["sessionToken"])
    path = f"users/{user['objectId']}"
    assert_error(lc.put(path, {"username": "bob"}, session=token), 202)
    assert_error(lc.put(path, {"username": "  "}, session=token), 217)
    assert_error(lc.put(path, {"username": 5}, session=token), 217)
    answer = lc.put(path, {"username": "carol"}, session=token)
    assert answer.status_code == 200, answer.content
    assert lc.get("users/me", session=token).json()["username"] == "carol"
    model = get_user_model()
    assert model._default_manager.filter(**{model.USERNAME_FIELD: "carol"}).exists()


def test_put_email_shows_it_unverified_and_delete_removes_it(lc: LC) -> None:
    user = signup(lc)
    token = str(user["sessionToken"])
    path = f"users/{user['objectId']}"
    assert "email" not in lc.get("users/me", session=token).json()
    answer = lc.put(path, {"email": " Alice@Example.COM "}, session=token)
    assert answer.status_code == 200, answer.content
    me = lc.get(path, session=token).json()
    assert me["email"] == "Alice@example.com"  # the domain lower-cased, as Django stores it
    assert me["emailVerified"] is False
    assert lc.put(path, {"email": {"__op": "Delete"}}, session=token).status_code == 200
    assert "email" not in lc.get("users/me", session=token).json()


@pytest.mark.parametrize("value", ["not-an-email", "", "  ", 5, None, {"__op": "Increment"}])
def test_put_invalid_email_is_125_and_changes_nothing(lc: LC, value: object) -> None:
    user = signup(lc)
    token = str(user["sessionToken"])
    body = {"username": "zed", "email": value}
    assert_error(lc.put(f"users/{user['objectId']}", body, session=token), 125)
    me = lc.get("users/me", session=token).json()
    assert me["username"] != "zed"
    assert "email" not in me


def test_put_an_email_another_user_has_answers_as_a_free_one(lc: LC) -> None:
    """Finding 2: ``email`` answered 203 for an address another account has and 200 otherwise,
    with no limit: a way to find who has an address."""
    mine = signup(lc)
    theirs = signup(lc, OTHER)
    their_path = f"users/{theirs['objectId']}"
    assert (
        lc.put(
            their_path, {"email": "bob@example.com"}, session=str(theirs["sessionToken"])
        ).status_code
        == 200
    )
    my_path, my_session = f"users/{mine['objectId']}", str(mine["sessionToken"])
    taken = lc.put(my_path, {"email": "BOB@example.com"}, session=my_session)
    free = lc.put(my_path, {"email": "nobody@example.com"}, session=my_session)
    assert (taken.status_code, free.status_code) == (200, 200)
    assert set(taken.json()) == set(free.json()) == {"updatedAt", "objectId"}
    assert lc.get(my_path, session=my_session).json()["email"] == "nobody@example.com"


@pytest.mark.parametrize(
    "field",
    [
        {"mobilePhoneNumber": OTHER},
        {"mobilePhoneVerified": False},
        {"emailVerified": True},
        {"sessionToken": "a" * 25},
        {"authData": {"weixin": {"openid": "x"}}},
        {"ACL": {"*": {"read": True}}},
        {"nickname": "x"},
    ],
)
def test_put_other_fields_is_119_and_changes_nothing(lc: LC, field: dict[str, object]) -> None:
    user = signup(lc)
    token = str(user["sessionToken"])
    answer = lc.put(f"users/{user['objectId']}", {"username": "zed", **field}, session=token)
    assert_code(answer, 119)
    me = lc.get("users/me", session=token).json()
    assert me["username"] != "zed"
    assert me["mobilePhoneNumber"] == PHONE
    assert me["mobilePhoneVerified"] is True


def test_put_needs_the_users_own_session(lc: LC) -> None:
    mine = signup(lc)
    theirs = signup(lc, OTHER)
    token = str(mine["sessionToken"])
    assert_error(lc.put(f"users/{theirs['objectId']}", {"password": PASSWORD}, session=token), 206)
    assert_error(lc.put(f"users/{mine['objectId']}", {"password": PASSWORD}), 206)
    assert_error(lc.post("login", {"mobilePhoneNumber": OTHER, "password": PASSWORD}), 210)


def test_put_with_master_key_ends_every_session(lc: LC) -> None:
    user = signup(lc)
    token = str(user["sessionToken"])
    answer = lc.put(f"users/{user['objectId']}", {"password": PASSWORD}, master=True)
    assert answer.status_code == 200, answer.content
    assert_error(lc.get("users/me", session=token), 211)


def test_other_methods_are_404_and_preflight_is_served(lc: LC) -> None:
    user = signup(lc)
    token = str(user["sessionToken"])
    assert lc.call("DELETE", f"users/{user['objectId']}", session=token).status_code == 404
    assert lc.call("OPTIONS", f"classes/_User/{user['objectId']}").status_code == 200


# --- POST /1.1/users and /1.1/classes/_User -----------------------------------------------------


@pytest.mark.parametrize("path", ["users", "classes/_User"])
def test_sign_up_with_phone_and_code(lc: LC, path: str, limiter_clock: FakeClock) -> None:
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    body = {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE), "password": PASSWORD}
    answer = lc.post(path, {**body, "username": "alice"})
    assert answer.status_code == 201, answer.content
    user = answer.json()
    assert set(user) == USER_KEYS
    assert answer["Location"] == f"/1.1/classes/_User/{user['objectId']}"
    assert (user["username"], user["mobilePhoneNumber"]) == ("alice", PHONE)
    assert user["mobilePhoneVerified"] is True
    me = lc.get("users/me", session=user["sessionToken"]).json()
    assert me["objectId"] == user["objectId"]
    assert lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}).status_code == 200
    # The code is spent; a new one signs the same account in (200), as usersByMobilePhone.
    assert_error(lc.post(path, body), 603)
    limiter_clock.advance(61)
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    again = lc.post(path, {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE)})
    assert again.status_code == 200, again.content
    assert again.json()["objectId"] == user["objectId"]


@pytest.mark.parametrize(
    "body",
    [
        {"username": "alice", "password": PASSWORD},
        {"mobilePhoneNumber": PHONE, "password": PASSWORD},
        {"authData": {"weixin": {"openid": "x", "access_token": "y"}}},
    ],
)
def test_sign_up_without_code_is_119(lc: LC, body: dict[str, object]) -> None:
    assert_code(lc.post("users", body), 119)
    assert_code(lc.post("classes/_User", body), 119)
    assert not get_user_model()._default_manager.exists()


def test_sign_up_checks_before_the_code_is_spent(lc: LC) -> None:
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    code = last_code(PHONE)
    assert_code(
        lc.post("users", {"mobilePhoneNumber": PHONE, "smsCode": code, "password": "1"}), 218
    )
    assert_error(lc.post("users", {"smsCode": code}), 212)
    answer = lc.post("users", {"mobilePhoneNumber": PHONE, "smsCode": code})
    assert answer.status_code == 201, answer.content


def test_user_object_is_csrf_exempt(lc: LC) -> None:
    lc.client = Client(enforce_csrf_checks=True)
    user = signup(lc)
    token = str(user["sessionToken"])
    answer = lc.put(f"users/{user['objectId']}", {"password": PASSWORD}, session=token)
    assert answer.status_code == 200, answer.content
    assert lc.post("users", {"username": "x", "password": PASSWORD}).status_code == 400
