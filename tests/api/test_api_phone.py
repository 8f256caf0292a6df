"""Signed-in endpoints (phone/verify, phone/change, me/, logout/) and password-reset/."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_lc_phone import signals
from django_lc_phone.models import PhoneProfile
from tests import upstream
from tests.app._api import (
    CODE_SENT,
    ENDPOINTS,
    NEW_PASSWORD,
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    assert_error,
    assert_no_session_token,
    code,
    cool_down,
    make_unverified,
    post,
    received,
    signed_in,
    signup,
    url,
)

User = get_user_model()
SIGNED_IN = [(path, method) for path, method, signed in ENDPOINTS if signed]


def _call(client: APIClient, path: str, method: str) -> Any:
    return client.get(url(path)) if method == "get" else post(client, path, {})


@pytest.mark.parametrize(("path", "method"), SIGNED_IN)
def test_signed_in_endpoints_refuse_anonymous_callers(
    path: str, method: str, api: APIClient, lc: upstream.CountingApp
) -> None:
    response = _call(api, path, method)
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"] == "Token"
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    assert_error(_call(bad, path, method), 401, "authentication_failed")
    assert lc.calls == []


def test_me_shows_the_user_without_an_upstream_call(
    lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    client, user = signed_in()
    lc.calls.clear()
    with django_assert_num_queries(2):
        response = client.get(url("me/"))
    assert response.status_code == 200
    profile = PhoneProfile.objects.get()
    assert response.json() == {
        "id": str(user.pk),
        "username": PHONE,
        "phone": PHONE,
        "phone_verified": True,
        "lc_object_id": profile.lc_object_id,
    }
    assert lc.calls == []
    assert_no_session_token(response, profile.lc_session_token)


def test_me_for_a_user_without_a_profile(api: APIClient, lc: upstream.CountingApp) -> None:
    user = User.objects.create_user(username="local")
    api.force_authenticate(user)
    response = api.get(url("me/"))
    assert response.json() == {
        "id": str(user.pk),
        "username": "local",
        "phone": None,
        "phone_verified": False,
        "lc_object_id": None,
    }


def test_logout_revokes_the_token(lc: upstream.CountingApp, django_assert_num_queries: Any) -> None:
    client, user = signed_in()
    lc.calls.clear()
    with django_assert_num_queries(2):
        response = post(client, "logout/")
    assert response.status_code == 204
    assert response.content == b""
    assert not Token.objects.filter(user=user).exists()
    assert_error(client.get(url("me/")), 401, "authentication_failed")
    assert lc.calls == []


# --- phone/verify -------------------------------------------------------------------------------


def _unverified_client() -> tuple[APIClient, Any]:
    make_unverified(PHONE)
    client = APIClient()
    response = post(client, "login/", {"phone": PHONE, "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert response.json()["user"]["phone_verified"] is False
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client, User.objects.get(pk=response.json()["user"]["id"])


def test_verify_an_unverified_phone(
    lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    client, user = _unverified_client()
    lc.calls.clear()
    with django_assert_num_queries(2):
        sent = post(client, "phone/verify/sms-code/")
    assert sent.status_code == 202
    assert sent.json() == CODE_SENT
    sms = code(PHONE)
    wrong = "000000" if sms != "000000" else "111111"
    assert_error(post(client, "phone/verify/", {"code": wrong}), 400, "invalid_code")
    assert PhoneProfile.objects.get().phone_verified is False
    # The profile is read twice: for the attempt limit's key, then by the service.
    with received(signals.phone_verified) as verified, django_assert_num_queries(4):
        response = post(client, "phone/verify/", {"code": sms})
    assert response.status_code == 200, response.content
    assert response.json()["phone_verified"] is True
    assert response.json()["phone"] == PHONE
    assert lc.calls == [
        ("POST", "/1.1/requestMobilePhoneVerify"),
        ("POST", f"/1.1/verifyMobilePhone/{wrong}"),
        ("POST", f"/1.1/verifyMobilePhone/{sms}"),
    ]
    assert len(verified) == 1
    assert verified[0]["user"].pk == user.pk
    assert (verified[0]["sender"], verified[0]["phone"]) == (PhoneProfile, PHONE)
    profile = PhoneProfile.objects.get()
    assert profile.phone_verified
    assert profile.phone_verified_at is not None
    assert client.get(url("me/")).json()["phone_verified"] is True
    replay = post(client, "phone/verify/", {"code": sms})
    assert_error(replay, 400, "invalid_code")


def test_a_verified_phone_gets_no_new_code(lc: upstream.CountingApp) -> None:
    """Finding 18: verifying a verified phone said "a code has been sent" and sent none."""
    client, _ = signed_in()
    upstream.EMULATOR.clear_messages()
    lc.calls.clear()
    response = post(client, "phone/verify/sms-code/")
    assert_error(response, 400, "already_verified")
    assert "verified already" in response.json()["detail"]
    assert lc.calls == []
    assert upstream.EMULATOR.messages() == []


def test_a_user_without_a_phone_cannot_verify_or_change_one(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    user = User.objects.create_user(username="local")
    api.force_authenticate(user)
    assert_error(post(api, "phone/verify/sms-code/"), 400, "no_phone")
    assert_error(post(api, "phone/verify/", {"code": "123456"}), 400, "no_phone")
    assert_error(post(api, "phone/change/sms-code/", {"phone": OTHER}), 401, "session_expired")
    change = post(api, "phone/change/", {"phone": OTHER, "code": "123456"})
    assert_error(change, 401, "session_expired")
    assert lc.calls == []


# --- phone/change -------------------------------------------------------------------------------


def test_change_phone(lc: upstream.CountingApp, django_assert_num_queries: Any) -> None:
    client, user = signed_in()
    lc.calls.clear()
    # The token; the profile, checked before a send budget is spent; then the send (here in
    # the request: SEND_IN_BACKGROUND is off in the tests) reads the user and its session.
    with django_assert_num_queries(4):
        sent = post(client, "phone/change/sms-code/", {"phone": OTHER})
    assert sent.status_code == 202
    assert sent.json() == CODE_SENT
    sms = code(OTHER)
    old_token = Token.objects.get(user_id=user.pk).key
    # 7; the username, which was the old number, follows it (2); the tokens deleted, the
    # refresh tokens to blacklist read (SimpleJWT's blacklist app is installed here), the
    # recorded sessions read and the session hash rotated (revocation, 4); the caller's new
    # token (2).
    with received(signals.phone_changed) as changed, django_assert_num_queries(15):
        response = post(client, "phone/change/", {"phone": OTHER, "code": sms})
    assert response.status_code == 200, response.content
    profile = PhoneProfile.objects.get()
    new_token = Token.objects.get(user_id=user.pk).key
    assert new_token != old_token
    assert response.json() == {
        "id": str(user.pk),
        "username": OTHER,
        "phone": OTHER,
        "phone_verified": True,
        "lc_object_id": profile.lc_object_id,
        "token": new_token,
    }
    assert_no_session_token(response, profile.lc_session_token)
    assert lc.calls == [
        ("POST", "/1.1/requestChangePhoneNumber"),
        ("POST", "/1.1/changePhoneNumber"),
    ]
    assert [(c["user"].pk, c["old_phone"], c["new_phone"]) for c in changed] == [
        (user.pk, PHONE, OTHER)
    ]
    assert changed[0]["sender"] is PhoneProfile
    assert profile.phone_e164 == OTHER
    assert client.get(url("me/")).status_code == 401  # the old token ended with the change
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_token}")
    assert client.get(url("me/")).json()["phone"] == OTHER
    assert_error(post(client, "phone/change/", {"phone": OTHER, "code": sms}), 400, "invalid_code")


def test_change_to_a_taken_number_is_refused_only_at_the_confirm_step(
    lc: upstream.CountingApp,
) -> None:
    alice, _ = signed_in(PHONE)
    signup(APIClient(), THIRD)  # bob owns THIRD
    upstream.EMULATOR.clear_messages()
    lc.calls.clear()
    taken = post(alice, "phone/change/sms-code/", {"phone": THIRD})
    free = post(alice, "phone/change/sms-code/", {"phone": OTHER})
    assert free.status_code == 202
    assert (taken.status_code, taken.content) == (free.status_code, free.content)
    assert sorted(taken.items()) == sorted(free.items())
    assert [m["mobilePhoneNumber"] for m in upstream.EMULATOR.messages()] == [OTHER]
    # The free number is taken by someone else before alice confirms her code.
    sms = code(OTHER)
    cool_down()
    signup(APIClient(), OTHER)
    lc.calls.clear()
    confirm = post(alice, "phone/change/", {"phone": OTHER, "code": sms})
    assert_error(confirm, 409, "phone_unavailable")
    assert lc.calls == [("POST", "/1.1/changePhoneNumber")]
    phones = dict(PhoneProfile.objects.values_list("user__username", "phone"))
    assert {k: str(v) for k, v in phones.items()} == {PHONE: PHONE, THIRD: THIRD, OTHER: OTHER}


def test_another_user_cannot_confirm_a_pending_change(lc: upstream.CountingApp) -> None:
    alice, _ = signed_in(PHONE)
    mallory, _ = signed_in(THIRD)
    assert post(alice, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
    sms = code(OTHER)
    lc.calls.clear()
    with received(signals.phone_changed) as changed:
        stolen = post(mallory, "phone/change/", {"phone": OTHER, "code": sms})
    assert_error(stolen, 400, "invalid_code")
    assert lc.calls == []  # no change is pending for mallory: LeanCloud is not even asked
    assert changed == []
    assert sorted(str(p) for p in PhoneProfile.objects.values_list("phone", flat=True)) == sorted(
        [PHONE, THIRD]
    )


def test_a_dead_upstream_session_asks_to_sign_in_again(lc: upstream.CountingApp) -> None:
    client, _ = signed_in()
    PhoneProfile.objects.update(lc_session_token="a" * 25)
    lc.calls.clear()
    # The code goes out outside the request (a taken number must not answer faster): the
    # dead session is found there, signalled, and forgotten...
    with received(signals.code_send_failed) as failed:
        response = post(client, "phone/change/sms-code/", {"phone": OTHER})
    assert response.status_code == 202
    assert [type(f["error"]).__name__ for f in failed] == ["SessionExpired"]
    assert lc.calls == [("POST", "/1.1/requestChangePhoneNumber")]
    assert PhoneProfile.objects.get().lc_session_token == ""
    # ...so the next request is told at once to sign in again.
    cool_down()
    assert_error(post(client, "phone/change/sms-code/", {"phone": OTHER}), 401, "session_expired")
    assert lc.calls == [("POST", "/1.1/requestChangePhoneNumber")]
    assert len(lc.calls) == 1


# --- password-reset/ ----------------------------------------------------------------------------


def test_password_reset(
    lc: upstream.CountingApp,
    django_assert_num_queries: Any,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _, user = signed_in(password=PASSWORD)
    assert PhoneProfile.objects.get().lc_session_token
    anonymous = APIClient()
    lc.calls.clear()
    with django_assert_num_queries(0):
        sent = post(anonymous, "password-reset/sms-code/", {"phone": PHONE})
    assert sent.status_code == 202
    assert sent.json() == CODE_SENT
    sms = code(PHONE)
    body = {"phone": PHONE, "code": sms, "password": NEW_PASSWORD}
    # Profile and user, the stored session, the DRF token, the refresh tokens to blacklist
    # (SimpleJWT's blacklist app is installed here), the recorded sessions, the session hash
    # (in a savepoint), and the capture of the new password (CAPTURE_PASSWORDS).
    with (
        received(signals.password_reset) as reset,
        django_assert_num_queries(9),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(anonymous, "password-reset/", body)
    assert response.status_code == 200, response.content
    assert response.json() == {
        "code": "password_reset",
        "detail": "Your password has been reset. Sign in with it.",
    }
    assert not response.cookies  # nobody is signed in by a reset
    assert "token" not in response.json()
    assert [(r["sender"], r["user"].pk, r["phone"]) for r in reset] == [
        (PhoneProfile, user.pk, PHONE)
    ]
    assert lc.calls == [
        ("POST", "/1.1/requestPasswordResetBySmsCode"),
        ("PUT", f"/1.1/resetPasswordBySmsCode/{sms}"),
    ]
    assert PhoneProfile.objects.get().lc_session_token == ""  # LeanCloud rotated it
    assert_error(post(anonymous, "password-reset/", body), 400, "invalid_code")
    old = post(anonymous, "login/", {"phone": PHONE, "password": PASSWORD})
    assert_error(old, 401, "invalid_credentials")
    new = post(anonymous, "login/", {"phone": PHONE, "password": NEW_PASSWORD})
    assert new.status_code == 200, new.content
    assert PhoneProfile.objects.get().lc_session_token  # the new session is stored


def test_password_reset_of_a_number_with_no_local_user(
    lc: upstream.CountingApp, django_capture_on_commit_callbacks: Any
) -> None:
    signup(APIClient(), OTHER, password=PASSWORD)
    PhoneProfile.objects.all().delete()
    User.objects.all().delete()
    anonymous = APIClient()
    assert post(anonymous, "password-reset/sms-code/", {"phone": OTHER}).status_code == 202
    body = {"phone": OTHER, "code": code(OTHER), "password": NEW_PASSWORD}
    with (
        received(signals.password_reset) as reset,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(anonymous, "password-reset/", body)
    assert response.status_code == 200, response.content
    assert [(r["user"], r["phone"]) for r in reset] == [(None, OTHER)]
    assert User.objects.count() == 0


def test_a_reset_code_is_bound_to_its_number(lc: upstream.CountingApp) -> None:
    signup(APIClient(), PHONE, password=PASSWORD)
    signup(APIClient(), OTHER, password=PASSWORD)
    anonymous = APIClient()
    assert post(anonymous, "password-reset/sms-code/", {"phone": PHONE}).status_code == 202
    sms = code(PHONE)
    cool_down()
    lc.calls.clear()
    response = post(
        anonymous, "password-reset/", {"phone": OTHER, "code": sms, "password": NEW_PASSWORD}
    )
    assert_error(response, 400, "invalid_code")
    unknown = post(
        anonymous, "password-reset/", {"phone": THIRD, "code": sms, "password": NEW_PASSWORD}
    )
    assert unknown.content == response.content  # unknown numbers read the same
    assert lc.calls == [("PUT", f"/1.1/resetPasswordBySmsCode/{sms}")] * 2
