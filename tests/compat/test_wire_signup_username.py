"""Compat's username sign-up (``POST /1.1/users`` and ``/1.1/classes/_User`` with ``username``
and ``password``, no ``smsCode``): off by default (119); on, LeanCloud's sign-up answer (201),
202 for a taken name, the field errors, and the client's budget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from django_lc_phone.models import PhoneProfile
from tests.app._api import lc_phone_settings
from tests.compat._wire import ISO, PASSWORD, PHONE, assert_error
from tests.compat.conftest import LC
from tests.compat.test_wire_login_account import client

PATHS = ["users", "classes/_User"]
SIGNUP_KEYS = {
    "username", "emailVerified", "mobilePhoneVerified", "objectId", "createdAt", "updatedAt",
    "sessionToken",
}  # fmt: skip


def assert_code(response: Any, code: int, status: int = 400) -> None:
    """A LeanCloud error of ``code`` (its message may be the site's own)."""
    assert response.status_code == status, response.content
    assert response.json()["code"] == code, response.content


@pytest.fixture
def signups_on() -> Iterator[None]:
    with lc_phone_settings(PROVIDER="local", COMPAT_USERNAME_SIGNUP=True):
        yield


@pytest.mark.parametrize("path", PATHS)
def test_off_by_default_a_username_signup_is_119(lc: LC, path: str) -> None:
    assert_code(lc.post(path, {"username": "alice", "password": PASSWORD}), 119)
    assert not get_user_model().objects.exists()


@pytest.mark.usefixtures("signups_on")
@pytest.mark.parametrize("path", PATHS)
def test_a_username_signup_answers_as_leancloud(lc: LC, path: str) -> None:
    answer = lc.post(path, {"username": "alice", "password": PASSWORD, "email": "a@Example.com"})
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert set(body) == SIGNUP_KEYS | {"email"}
    assert body["username"] == "alice"
    assert body["email"] == "a@example.com"
    assert body["mobilePhoneVerified"] is False
    assert body["emailVerified"] is False
    assert ISO.match(body["createdAt"])
    assert len(body["objectId"]) == 24
    assert answer["Location"] == f"/1.1/classes/_User/{body['objectId']}"
    profile = PhoneProfile.objects.select_related("user").get(lc_object_id=body["objectId"])
    assert profile.phone is None
    assert profile.user.check_password(PASSWORD)
    me = lc.get("users/me", session=body["sessionToken"])
    assert me.json()["objectId"] == body["objectId"]
    again = lc.post("login", {"username": "alice", "password": PASSWORD})
    assert again.json()["objectId"] == body["objectId"]


@pytest.mark.usefixtures("signups_on")
def test_a_taken_username_is_202_and_changes_nothing(lc: LC) -> None:
    """No look-up decides it: the unique constraint does, so two racing sign-ups get one
    account and one 202."""
    assert lc.post("users", {"username": "alice", "password": PASSWORD}).status_code == 201
    assert_error(lc.post("users", {"username": "alice", "password": "other-Password-2"}), 202)
    assert get_user_model().objects.count() == PhoneProfile.objects.count() == 1
    assert get_user_model().objects.get().check_password(PASSWORD)


@pytest.mark.usefixtures("signups_on")
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"password": PASSWORD}, 200),
        ({"username": "   ", "password": PASSWORD}, 217),
        ({"username": 5, "password": PASSWORD}, 217),
        ({"username": "al ice!", "password": PASSWORD}, 217),
        ({"username": "al\x00ice", "password": PASSWORD}, 217),
        ({"username": "13800138000", "password": PASSWORD}, 217),
        ({"username": PHONE, "password": PASSWORD}, 217),
        ({"username": "alice"}, 201),
        ({"username": "alice", "password": " "}, 218),
        ({"username": "alice", "password": PASSWORD, "email": "not-an-email"}, 125),
        ({"username": "alice", "password": PASSWORD, "email": 3}, 125),
        ({"username": "alice", "password": PASSWORD, "gender": "female"}, 119),
        ({"username": "alice", "password": PASSWORD, "mobilePhoneNumber": PHONE}, 119),
    ],
)
def test_signup_field_errors(lc: LC, body: dict[str, Any], code: int) -> None:
    assert_code(lc.post("users", body), code)
    assert not get_user_model().objects.exists()


@pytest.mark.usefixtures("signups_on")
def test_an_email_another_user_has_is_203(lc: LC) -> None:
    """Email logins need an email to name one user: nobody can share the victim's."""
    get_user_model().objects.create_user("victim", "victim@example.com", PASSWORD)
    body = {"username": "mallory", "password": PASSWORD, "email": "VICTIM@example.com"}
    assert_error(lc.post("users", body), 203)
    victim = lc.post("login", {"email": "victim@example.com", "password": PASSWORD})
    assert victim.status_code == 200


@pytest.mark.usefixtures("signups_on")
def test_one_client_gets_renames_per_hour_signups_taken_or_not(lc: LC) -> None:
    assert lc.post("users", {"username": "name0", "password": PASSWORD}).status_code == 201
    for n in range(1, 4):
        assert lc.post("users", {"username": f"name{n}", "password": PASSWORD}).status_code == 201
    assert_error(lc.post("users", {"username": "name0", "password": PASSWORD}), 202)  # a probe
    refused = lc.post("users", {"username": "fresh", "password": PASSWORD})
    assert_error(refused, 429)
    assert int(refused["Retry-After"]) > 0
    assert_error(lc.post("users", {"username": "name1", "password": PASSWORD}), 429)
    assert get_user_model().objects.count() == 4
    assert client(7).post("users", {"username": "fresh", "password": PASSWORD}).status_code == 201


@pytest.mark.usefixtures("signups_on")
def test_a_username_user_can_bind_a_number_with_its_session(lc: LC) -> None:
    """The local provider acts as the user by its provider session (a phone change): a
    username sign-up mints one, as the provider's own sign-ups do. Found by LeanCloud's own
    ``test_request_change_phone_number``, which answered 211 here."""
    token = lc.post("users", {"username": "alice", "password": PASSWORD}).json()["sessionToken"]
    asked = lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": PHONE}, session=token)
    assert asked.status_code == 200, asked.content
    assert asked.json() == {}


@pytest.mark.usefixtures("signups_on")
def test_a_username_user_changes_its_password(lc: LC) -> None:
    """``updatePassword`` checks a user without a number by its username, within that
    account's budget (it used to refuse everyone without a number: 210)."""
    made = lc.post("users", {"username": "alice", "password": PASSWORD}).json()
    path = f"users/{made['objectId']}/updatePassword"
    wrong = lc.put(path, {"old_password": "wrong-Pass-1", "new_password": "next-Pass-12"},
                   session=made["sessionToken"])  # fmt: skip
    assert_code(wrong, 210)
    changed = lc.put(path, {"old_password": PASSWORD, "new_password": "next-Pass-12"},
                     session=made["sessionToken"])  # fmt: skip
    assert changed.status_code == 200, changed.content
    login = lc.post("login", {"username": "alice", "password": "next-Pass-12"})
    assert login.status_code == 200, login.content
