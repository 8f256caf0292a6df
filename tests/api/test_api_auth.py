"""signup/ and login/: the answer's shape, the local user, the sync, signals, uniform failures."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model, user_logged_in
from django.http import HttpRequest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_lc_phone import signals
from django_lc_phone.leancloud import LeanCloudClient, LeanCloudError
from django_lc_phone.leancloud.wire import LOGIN_LOCK_FAILURES
from django_lc_phone.models import PhoneProfile
from django_lc_phone.providers.base import PhoneAuthProvider, RemoteUser
from django_lc_phone.sync import SYNCED_AT_PRECISION
from django_lc_phone.testing.inprocess import wsgi_session
from tests import upstream
from tests.app._api import (
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    assert_error,
    assert_no_session_token,
    assert_no_transaction,
    code,
    cool_down,
    make_unverified,
    post,
    received,
    request_code,
    signup,
    url,
)

USER_KEYS = {"id", "username", "phone", "phone_verified", "lc_object_id"}
User = get_user_model()


def _check_auth_body(body: dict[str, Any], *, created: bool) -> None:
    assert set(body) == {"token", "user", "created"}, body
    assert body["created"] is created
    assert isinstance(body["token"], str)
    assert len(body["token"]) == 40
    assert set(body["user"]) == USER_KEYS
    assert Token.objects.get(key=body["token"]).user_id == int(body["user"]["id"])


# --- signup/ ------------------------------------------------------------------------------------


def test_signup_creates_the_local_user_and_profile(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    sms = request_code(api)
    lc.calls.clear()
    with (
        received(signals.remote_user_authenticated) as authenticated,
        received(signals.phone_user_created) as created,
        received(user_logged_in) as logged_in,
        django_assert_num_queries(13),
    ):
        response = post(api, "signup/", {"phone": PHONE, "code": sms})
    assert response.status_code == 201, response.content
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    body = response.json()
    _check_auth_body(body, created=True)
    user = User.objects.get()
    profile = PhoneProfile.objects.get()
    assert body["user"] == {
        "id": str(user.pk),
        "username": PHONE,
        "phone": PHONE,
        "phone_verified": True,
        "lc_object_id": profile.lc_object_id,
    }
    assert not user.has_usable_password()
    assert (profile.user_id, profile.phone_e164, profile.phone_verified) == (user.pk, PHONE, True)
    assert profile.phone_verified_at is not None
    assert profile.last_synced_at is not None
    assert len(profile.lc_object_id or "") == 24
    assert_no_session_token(response, profile.lc_session_token)

    assert len(authenticated) == 1
    assert set(authenticated[0]) == {"sender", "remote_user", "request", "user"}
    assert authenticated[0]["user"].pk == user.pk  # a notice: the user is linked already
    assert authenticated[0]["sender"] is PhoneAuthProvider
    remote = authenticated[0]["remote_user"]
    assert isinstance(remote, RemoteUser)
    assert (remote.object_id, remote.phone, remote.phone_verified) == (
        profile.lc_object_id,
        PHONE,
        True,
    )
    assert remote.session_token == profile.lc_session_token
    assert isinstance(authenticated[0]["request"], HttpRequest)
    assert created == [{"sender": PhoneProfile, "user": user, "remote_user": remote}]
    assert [(k["user"], k["sender"]) for k in logged_in] == [(user, User)]


def test_signup_with_username_and_password(api: APIClient, lc: upstream.CountingApp) -> None:
    sms = request_code(api)
    body = {"phone": PHONE, "code": sms, "username": "alice", "password": PASSWORD}
    response = post(api, "signup/", body)
    assert response.status_code == 201, response.content
    assert response.json()["user"]["username"] == "alice"
    assert not User.objects.get().has_usable_password()  # LeanCloud keeps the password
    login = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert login.status_code == 200, login.content
    assert login.json()["user"] == response.json()["user"]


def test_signup_again_is_200_for_the_same_user(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    first = signup(api)
    sms = request_code(api)
    lc.calls.clear()
    with (
        received(signals.phone_user_created) as created,
        received(signals.remote_user_authenticated) as authenticated,
        # nothing changed: the profile, user and token in one read; no transaction, no
        # write but Django's last_login
        django_assert_num_queries(2),
    ):
        again = post(api, "signup/", {"phone": PHONE, "code": sms, "username": "ignored"})
    assert again.status_code == 200, again.content
    body = again.json()
    _check_auth_body(body, created=False)
    assert body["user"] == first["user"]
    assert body["token"] == first["token"]
    assert (created, len(authenticated)) == ([], 1)
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    assert (User.objects.count(), PhoneProfile.objects.count()) == (1, 1)


def test_a_local_username_clash_gets_a_derived_username(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    User.objects.create_user(username=PHONE, password="local-Password-1")
    body = signup(api)
    object_id = body["user"]["lc_object_id"]
    assert body["user"]["username"] == f"lc_{object_id}"
    assert User.objects.count() == 2


def test_signup_with_a_taken_username_is_409_and_keeps_the_code(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    signup(api, PHONE, username="alice")
    sms = request_code(api, OTHER)
    lc.calls.clear()
    response = post(api, "signup/", {"phone": OTHER, "code": sms, "username": "alice"})
    assert_error(response, 409, "username_taken")
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    assert (User.objects.count(), PhoneProfile.objects.count()) == (1, 1)
    retry = post(api, "signup/", {"phone": OTHER, "code": sms, "username": "bob"})
    assert retry.status_code == 201, retry.content


def test_signup_with_a_wrong_or_spent_code_creates_nothing(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    sms = request_code(api)
    lc.calls.clear()
    wrong = "000000" if sms != "000000" else "111111"
    with django_assert_num_queries(0):
        response = post(api, "signup/", {"phone": PHONE, "code": wrong})
    assert_error(response, 400, "invalid_code")
    assert post(api, "signup/", {"phone": PHONE, "code": sms}).status_code == 201
    replay = post(api, "signup/", {"phone": PHONE, "code": sms})  # T13
    assert_error(replay, 400, "invalid_code")
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")] * 3
    assert (User.objects.count(), PhoneProfile.objects.count(), Token.objects.count()) == (1, 1, 1)


# --- login/ -------------------------------------------------------------------------------------


def test_password_login_reuses_the_user_and_profile(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    first = signup(api, password=PASSWORD)
    profile = PhoneProfile.objects.get()
    lc.calls.clear()
    # A login that changes nothing does not rewrite the profile (no UPDATE, no commit to
    # wait for) until its last_synced_at is SYNCED_AT_PRECISION old; then one UPDATE of that
    # field does, still with no transaction.
    for queries in (2, 2, "stale", 3):
        if queries == "stale":
            earlier = timezone.now() - SYNCED_AT_PRECISION
            PhoneProfile.objects.update(last_synced_at=earlier)
            continue
        with (
            received(signals.phone_user_created) as created,
            received(signals.remote_user_authenticated) as authenticated,
            django_assert_num_queries(queries) as captured,
        ):
            response = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
        assert_no_transaction(captured)
        assert response.status_code == 200, response.content
        body = response.json()
        _check_auth_body(body, created=False)
        assert body["user"] == first["user"]
        assert (created, len(authenticated)) == ([], 1)
        assert authenticated[0]["remote_user"].object_id == first["user"]["lc_object_id"]
    assert lc.calls == [("POST", "/1.1/login")] * 3
    again = PhoneProfile.objects.get()
    assert (again.pk, again.user_id, again.created_at) == (
        profile.pk,
        profile.user_id,
        profile.created_at,
    )
    assert again.last_synced_at is not None
    assert profile.last_synced_at is not None
    assert again.last_synced_at > profile.last_synced_at  # written by the last login
    assert User.objects.count() == 1


def test_code_login_after_signup_keeps_one_profile(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    first = signup(api)
    assert post(api, "login/sms-code/", {"phone": PHONE}).status_code == 202
    sms = code(PHONE)
    lc.calls.clear()
    # nothing changed: the profile, user and token in one read; no transaction, no write
    # but Django's last_login
    with django_assert_num_queries(2) as captured:
        response = post(api, "login/", {"phone": PHONE, "code": sms})
    assert_no_transaction(captured)
    assert response.status_code == 200, response.content
    _check_auth_body(response.json(), created=False)
    assert response.json()["user"] == first["user"]
    assert lc.calls == [("POST", "/1.1/login")]
    assert (User.objects.count(), PhoneProfile.objects.count()) == (1, 1)


def test_first_login_of_an_existing_remote_user_creates_the_local_one(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    make_unverified(PHONE)
    with (
        received(signals.phone_user_created) as created,
        # 13, and the UPDATE that keeps the first capture of the password (CAPTURE_PASSWORDS)
        django_assert_num_queries(14),
    ):
        response = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert response.status_code == 200, response.content  # login/ never creates the account
    body = response.json()
    _check_auth_body(body, created=False)
    assert body["user"]["phone_verified"] is False
    assert body["user"]["username"] == f"u{PHONE[-8:]}"
    assert len(created) == 1
    assert not User.objects.get().has_usable_password()
    profile = PhoneProfile.objects.get()
    assert (profile.phone_verified, profile.phone_verified_at) == (False, None)
    assert profile.captured_password
    assert lc.calls == [("POST", "/1.1/login")]


def test_the_session_token_is_kept_server_side_only(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    tokens: list[str] = []
    responses = [post(api, "signup/", {"phone": PHONE, "code": request_code(api)})]
    tokens.append(PhoneProfile.objects.get().lc_session_token)
    cool_down()
    responses.append(post(api, "login/", {"phone": PHONE, "password": PASSWORD}))
    assert responses[-1].status_code == 401  # no password set: invalid credentials
    assert post(api, "login/sms-code/", {"phone": PHONE}).status_code == 202
    responses.append(post(api, "login/", {"phone": PHONE, "code": code(PHONE)}))
    tokens.append(PhoneProfile.objects.get().lc_session_token)
    api.credentials(HTTP_AUTHORIZATION=f"Token {responses[0].json()['token']}")
    responses.append(api.get(url("me/")))
    assert all(len(t) == 25 for t in tokens), tokens
    for response in responses:
        assert_no_session_token(response, *tokens)


@pytest.mark.parametrize("store", [True, False])
def test_store_session_token_setting(
    api: APIClient, lc: upstream.CountingApp, settings: Any, store: bool
) -> None:
    settings.LC_PHONE = {**settings.LC_PHONE, "STORE_SESSION_TOKEN": store}
    signup(api)
    assert bool(PhoneProfile.objects.get().lc_session_token) is store


# --- failed logins: one answer for every reason (T07) --------------------------------------------


def test_failed_password_logins_are_byte_identical(
    lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    signup(APIClient(), PHONE, password=PASSWORD)  # known, with a password
    signup(APIClient(), OTHER)  # known, signed up by code: no password
    make_unverified(THIRD)  # known upstream, phone unverified
    lc.calls.clear()
    attempts = {
        "unknown number": {"phone": "+8613600136000", "password": PASSWORD},
        "wrong password": {"phone": PHONE, "password": "wrong-Password-9"},
        "no password set": {"phone": OTHER, "password": PASSWORD},
        "unverified, wrong password": {"phone": THIRD, "password": "wrong-Password-9"},
    }
    answers = {}
    for reason, body in attempts.items():
        with django_assert_num_queries(0):
            answers[reason] = post(APIClient(), "login/", body)
    for response in answers.values():
        assert_error(response, 401, "invalid_credentials")
    shapes = {(r.status_code, r.content, tuple(sorted(r.items()))) for r in answers.values()}
    assert len(shapes) == 1, {k: (v.status_code, v.content) for k, v in answers.items()}
    assert lc.calls == [("POST", "/1.1/login")] * len(attempts)
    assert User.objects.count() == 2


def test_failed_code_logins_are_byte_identical(lc: upstream.CountingApp) -> None:
    signup(APIClient(), PHONE)
    make_unverified(OTHER)
    lc.calls.clear()
    answers = [
        post(APIClient(), "login/", {"phone": phone, "code": "123456"})
        for phone in (PHONE, OTHER, THIRD)
    ]
    for response in answers:
        assert_error(response, 400, "invalid_code")
    assert len({(r.status_code, r.content) for r in answers}) == 1
    assert lc.calls == [("POST", "/1.1/login")] * 3


def _lock_on_leancloud(phone: str) -> None:
    """Fail logins straight against LeanCloud (as anyone holding the app key could) until it
    locks the account: the app's own limits never let that many through."""
    client = LeanCloudClient(
        str(settings.LC_PHONE["APP_ID"]),
        str(settings.LC_PHONE["APP_KEY"]),
        server_url=upstream.SERVER_URL,
        session=wsgi_session(upstream.EMULATOR, upstream.SERVER_URL),
    )
    for _ in range(LOGIN_LOCK_FAILURES + 1):
        with pytest.raises(LeanCloudError):
            client.login_with_password(phone, "wrong-Password-9")


def test_a_locked_account_is_429_too_many_attempts(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    signup(api, password=PASSWORD)
    _lock_on_leancloud(PHONE)
    lc.calls.clear()
    locked = post(api, "login/", {"phone": PHONE, "password": "wrong-Password-9"})
    assert_error(locked, 429, "too_many_attempts")  # LeanCloud 219
    assert locked["Retry-After"] == "900"
    right = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert right.content == locked.content  # locked means locked, even for the right one
    assert right["Retry-After"] == "900"
    assert lc.calls == [("POST", "/1.1/login")] * 2
    assert "login attempts" not in locked.content.decode()


def test_an_inactive_local_user_cannot_log_in(api: APIClient, lc: upstream.CountingApp) -> None:
    signup(api, password=PASSWORD)
    User.objects.update(is_active=False)
    lc.calls.clear()
    response = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert_error(response, 401, "invalid_credentials")
    assert lc.calls == [("POST", "/1.1/login")]
