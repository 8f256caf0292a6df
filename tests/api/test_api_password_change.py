"""``password/change/``: the signed-in user changes its password with the old one, on both
providers; the old one is checked within the password budget, every other credential ends, the
caller gets new ones, and with LeanCloud the new password is captured."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password
from rest_framework.test import APIClient

from django_lc_phone.leancloud.wire import new_object_id, new_session_token
from django_lc_phone.models import PhoneProfile
from tests import upstream
from tests.app._api import (
    NEW_PASSWORD,
    PASSWORD,
    PHONE,
    assert_error,
    lc_phone_settings,
    post,
    profile,
    signed_in,
)

LOCMEM = "django_lc_phone.sms.locmem.LocmemGateway"


def _change(client: APIClient, old: str = PASSWORD, new: str = NEW_PASSWORD) -> Any:
    return post(client, "password/change/", {"old_password": old, "new_password": new})


def _login(password: str) -> int:
    answer = post(APIClient(), "login/", {"phone": PHONE, "password": password})
    return int(answer.status_code)


def test_leancloud_changes_it_and_the_new_one_is_captured(lc: upstream.CountingApp) -> None:
    client, _user = signed_in()
    before = profile().lc_session_token
    lc.calls.clear()
    answer = _change(client)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["code"] == "password_changed"
    assert body["token"]
    assert [path for _method, path in lc.calls if path.endswith("/updatePassword")] != []
    row = profile()
    assert row.lc_session_token  # LeanCloud's new session, stored as a sign-in's
    assert row.lc_session_token != before
    assert check_password(NEW_PASSWORD, row.captured_password)
    assert _login(PASSWORD) == 401
    assert _login(NEW_PASSWORD) == 200
    # The caller's old token ended with the others; the answer's one works.
    assert client.get("/auth/phone/me/").status_code == 401
    fresh = APIClient()
    fresh.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert fresh.get("/auth/phone/me/").status_code == 200


def test_a_wrong_old_password_is_401_and_spends_the_password_budget() -> None:
    client, _user = signed_in()
    with lc_phone_settings(PASSWORD_ATTEMPTS=2):
        for _ in range(2):
            assert_error(_change(client, old="wrong-Password-9"), 401, "invalid_credentials")
        assert_error(_change(client), 429, "too_many_attempts")  # even the right one, now
    assert _login(PASSWORD) == 200  # nothing changed upstream


def test_a_weak_new_password_is_refused_before_anything_is_sent(
    lc: upstream.CountingApp,
) -> None:
    client, _user = signed_in()
    lc.calls.clear()
    assert_error(_change(client, new="123"), 400, "invalid", errors=True)
    assert lc.calls == []


def test_without_a_stored_leancloud_session_it_is_session_expired() -> None:
    client, _user = signed_in()
    PhoneProfile.objects.update(lc_session_token="")
    assert_error(_change(client), 401, "session_expired")


def test_anonymous_callers_are_refused() -> None:
    assert _change(APIClient()).status_code == 401


def _local_user() -> tuple[APIClient, Any]:
    """A local user with a number and a password, signed in through the API."""
    user = get_user_model().objects.create_user(username=PHONE, password=PASSWORD)
    PhoneProfile.objects.create(
        user=user,
        phone=PHONE,
        phone_verified=True,
        lc_object_id=new_object_id(),
        lc_session_token=new_session_token(),
    )
    login = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD})
    assert login.status_code == 200, login.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    return client, user


def test_the_local_provider_changes_the_sites_own_password() -> None:
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        client, user = _local_user()
        answer = _change(client)
        assert answer.status_code == 200, answer.content
        user.refresh_from_db()
        assert user.check_password(NEW_PASSWORD)
        assert profile().captured_password == ""  # nothing to capture: it is the site's
        assert client.get("/auth/phone/me/").status_code == 401
        assert _login(NEW_PASSWORD) == 200
        assert_error(_change(APIClient(), old="x"), 401, "not_authenticated")


@pytest.mark.parametrize("field", ["old_password", "new_password"])
def test_both_passwords_are_required(field: str) -> None:
    client, _user = signed_in()
    body = {"old_password": PASSWORD, "new_password": NEW_PASSWORD}
    del body[field]
    assert_error(post(client, "password/change/", body), 400, "invalid", errors=True)
