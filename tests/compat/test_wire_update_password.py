"""Wire-level tests of ``PUT /1.1/users/<id>/updatePassword``: the user's own session, the old
password checked inside the login's attempt limits, every session ended and one new token
answered, as LeanCloud answers ``{"updatedAt", "objectId", "sessionToken"}``."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from django_lc_phone.leancloud.wire import HEADER_SESSION, SESSION_TOKEN_RE
from tests.app._api import lc_phone_settings
from tests.compat._wire import ISO, NEW_PASSWORD, OTHER, PASSWORD, PHONE, assert_error, signup
from tests.compat.conftest import LC, key_headers

WRONG_PASSWORD = "wrong-Password-9"


def path(user: dict[str, Any]) -> str:
    """The endpoint for ``user``."""
    return f"users/{user['objectId']}/updatePassword"


def change(old: Any = PASSWORD, new: Any = NEW_PASSWORD) -> dict[str, Any]:
    """An updatePassword body."""
    return {"old_password": old, "new_password": new}


def logs_in(lc: LC, password: str, phone: str = PHONE) -> int:
    """The LeanCloud code (0 for success) of a password login."""
    answer = lc.post("login", {"mobilePhoneNumber": phone, "password": password})
    return 0 if answer.status_code == 200 else int(answer.json()["code"])


def test_new_password_and_one_new_token_every_old_session_ends(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    mine = str(user["sessionToken"])
    other = lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}).json()
    answer = lc.put(path(user), change(), session=mine)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == {"updatedAt", "objectId", "sessionToken"}
    assert body["objectId"] == user["objectId"]
    assert ISO.match(body["updatedAt"])
    new = body["sessionToken"]
    assert SESSION_TOKEN_RE.fullmatch(new)
    assert new not in (mine, other["sessionToken"])
    # The new token is the user's; the caller's old one and every other one ended.
    me = lc.get("users/me", session=new)
    assert me.status_code == 200
    assert me.json()["objectId"] == user["objectId"]
    assert_error(lc.get("users/me", session=mine), 211)
    assert_error(lc.get("users/me", session=str(other["sessionToken"])), 211)
    assert logs_in(lc, PASSWORD) == 210
    assert logs_in(lc, NEW_PASSWORD) == 0
    assert PASSWORD not in answer.content.decode()
    assert NEW_PASSWORD not in answer.content.decode()


def test_the_api_tokens_of_the_user_end_too(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    local = get_user_model()._default_manager.get()
    Token.objects.create(user=local)
    answer = lc.put(path(user), change(), session=str(user["sessionToken"]))
    assert answer.status_code == 200, answer.content
    assert not Token.objects.filter(user=local).exists()


def test_the_new_token_can_change_it_again(lc: LC) -> None:
    """What the official SDKs do: they adopt the answer's token and go on with it."""
    user = signup(lc, password=PASSWORD)
    first = lc.put(path(user), change(), session=str(user["sessionToken"]))
    token = first.json()["sessionToken"]
    second = lc.put(path(user), change(NEW_PASSWORD, PASSWORD), session=token)
    assert second.status_code == 200, second.content
    assert logs_in(lc, PASSWORD) == 0


def test_wrong_old_password_is_210_and_changes_nothing(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    token = str(user["sessionToken"])
    assert_error(lc.put(path(user), change(WRONG_PASSWORD), session=token), 210)
    assert lc.get("users/me", session=token).status_code == 200
    assert logs_in(lc, PASSWORD) == 0
    assert logs_in(lc, NEW_PASSWORD) == 210


def test_a_user_without_a_password_has_no_old_password_to_give(lc: LC) -> None:
    user = signup(lc)  # by code only: an unusable password
    token = str(user["sessionToken"])
    assert_error(lc.put(path(user), change(), session=token), 210)
    assert_error(lc.put(path(user), change(""), session=token), 201)
    assert logs_in(lc, NEW_PASSWORD) == 210


def test_wrong_old_passwords_spend_the_logins_attempts(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    token = str(user["sessionToken"])
    with lc_phone_settings(PASSWORD_ATTEMPTS=2):
        assert_error(lc.put(path(user), change(WRONG_PASSWORD), session=token), 210)
        assert logs_in(lc, WRONG_PASSWORD) == 210
        # Spent, by one guess here and one at login: the right password is refused too,
        # here and at login, until the window passes.
        locked = lc.put(path(user), change(), session=token)
        assert_error(locked, 219)
        assert int(locked["Retry-After"]) > 0
        assert logs_in(lc, PASSWORD) == 219
    assert lc.get("users/me", session=token).status_code == 200


def test_a_successful_change_spends_no_attempt(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    token = str(user["sessionToken"])
    with lc_phone_settings(PASSWORD_ATTEMPTS=1):
        for old, new in [(PASSWORD, NEW_PASSWORD), (NEW_PASSWORD, PASSWORD)] * 2:
            answer = lc.put(path(user), change(old, new), session=token)
            assert answer.status_code == 200, answer.content
            token = answer.json()["sessionToken"]


def test_without_a_session_206_with_an_unknown_one_211(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    assert_error(lc.put(path(user), change()), 206)
    assert_error(lc.put(path(user), change(), session="a" * 25), 211)
    assert_error(lc.put(path(user), change(), session="not a token"), 211)
    # The master key does not stand in for the user's session: the answer is a session.
    assert_error(lc.put(path(user), change(), master=True), 206)
    assert logs_in(lc, PASSWORD) == 0


def test_anybody_elses_id_or_an_unknown_one_is_206(lc: LC) -> None:
    mine = signup(lc, password=PASSWORD)
    theirs = signup(lc, OTHER, password=PASSWORD)
    token = str(mine["sessionToken"])
    assert_error(lc.put(path(theirs), change(), session=token), 206)
    assert_error(lc.put("users/" + "0" * 24 + "/updatePassword", change(), session=token), 206)
    assert logs_in(lc, PASSWORD, OTHER) == 0
    assert logs_in(lc, PASSWORD) == 0
    assert lc.get("users/me", session=str(theirs["sessionToken"])).status_code == 200


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"new_password": NEW_PASSWORD}, 201),
        (change(""), 201),
        (change(None), 201),
        (change("  "), 218),
        (change(5), 218),
        (change(["x"]), 218),
        ({"old_password": PASSWORD}, 201),
        (change(new=""), 201),
        (change(new="   "), 218),
        (change(new=5), 218),
        (change(new="123"), 218),  # the site's validators: too short, too common
        (change(new="password"), 218),
        ({}, 201),
    ],
)
def test_missing_or_malformed_fields(lc: LC, body: dict[str, Any], code: int) -> None:
    user = signup(lc, password=PASSWORD)
    token = str(user["sessionToken"])
    answer = lc.put(path(user), body, session=token)
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == code
    assert lc.get("users/me", session=token).status_code == 200
    assert logs_in(lc, PASSWORD) == 0


def test_malformed_bodies_are_leancloud_errors(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    token = str(user["sessionToken"])
    for raw in (b"[1]", b"{", b'"x"'):
        answer = lc.client.put(
            f"/1.1/{path(user)}",
            raw,
            content_type="application/json",
            headers={**key_headers(), HEADER_SESSION: token},
        )
        assert_error(answer, 107)


def test_other_methods_are_404_and_preflight_is_served(lc: LC) -> None:
    user = signup(lc, password=PASSWORD)
    token = str(user["sessionToken"])
    assert lc.post(path(user), change(), session=token).status_code == 404
    assert lc.get(path(user), session=token).status_code == 404
    assert lc.call("OPTIONS", path(user)).status_code == 200
    assert logs_in(lc, PASSWORD) == 0


def test_audited_without_the_passwords(lc: LC, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    user = signup(lc, password=PASSWORD)
    token = str(user["sessionToken"])
    lc.put(path(user), change(WRONG_PASSWORD), session=token)
    lc.put(path(user), change(), session=token)
    lines = [r.getMessage() for r in caplog.records if r.name == "django_lc_phone.audit"]
    events = [line for line in lines if line.startswith("lc_phone.compat.password_update ")]
    assert len(events) == 2
    assert events[0].startswith("lc_phone.compat.password_update outcome=lc_210 status=400")
    assert events[1].startswith("lc_phone.compat.password_update outcome=ok status=200")
    assert all("+86138****8000" in line and PHONE not in line for line in events)
    everything = "\n".join(r.getMessage() for r in caplog.records)
    for secret in (PASSWORD, NEW_PASSWORD, WRONG_PASSWORD):
        assert secret not in everything
