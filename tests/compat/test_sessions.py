"""Compat session tokens: stored hashed, revocable, rotated; one user across compat and
``auth/phone/``; the local provider only; the protocol shared with the emulator."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from django_lc_phone.compat import require_local_provider, sessions
from django_lc_phone.leancloud import protocol
from django_lc_phone.models import CompatSession, PhoneProfile
from tests.app._api import lc_phone_settings
from tests.compat.conftest import LC, last_code
from tests.limiter import FakeClock

PHONE = "+8613800138000"
PASSWORD = "first-Password-1"
NEW_PASSWORD = "second-Password-2"


def _signup(lc: LC) -> dict[str, Any]:
    lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    body = {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE), "password": PASSWORD}
    answer = lc.post("usersByMobilePhone", body)
    assert answer.status_code == 201, answer.content
    user: dict[str, Any] = answer.json()
    return user


def test_only_the_tokens_sha256_is_stored(lc: LC) -> None:
    token = _signup(lc)["sessionToken"]
    [session] = CompatSession.objects.all()
    assert session.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr(list(CompatSession.objects.values()))
    assert session.revoked_at is None
    assert session.last_used_at is None
    assert lc.get("users/me", session=token).status_code == 200
    session.refresh_from_db()
    assert session.last_used_at is not None


def test_a_revoked_session_no_longer_works(lc: LC) -> None:
    token = _signup(lc)["sessionToken"]
    user = get_user_model().objects.get()
    assert sessions.revoke_all(user) == 1
    assert lc.get("users/me", session=token).json()["code"] == 211
    assert CompatSession.objects.get().revoked_at is not None  # kept, for the record


def test_an_inactive_user_has_no_session(lc: LC) -> None:
    token = _signup(lc)["sessionToken"]
    get_user_model().objects.update(is_active=False)
    assert lc.get("users/me", session=token).json()["code"] == 211


def test_each_login_is_its_own_session_and_refresh_ends_them_all(lc: LC) -> None:
    first = _signup(lc)
    second = lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}).json()
    assert first["sessionToken"] != second["sessionToken"]
    refreshed = lc.put(
        f"users/{first['objectId']}/refreshSessionToken", session=second["sessionToken"]
    ).json()
    for token in (first["sessionToken"], second["sessionToken"]):
        assert lc.get("users/me", session=token).json()["code"] == 211
    assert CompatSession.objects.filter(revoked_at__isnull=True).count() == 1
    assert lc.get("users/me", session=refreshed["sessionToken"]).status_code == 200


def test_one_user_through_compat_and_the_phone_api(
    lc: LC, limiter_clock: FakeClock, django_capture_on_commit_callbacks: Any
) -> None:
    compat_user = _signup(lc)
    api = APIClient()
    login = api.post("/auth/phone/login/", {"phone": PHONE, "password": PASSWORD}, format="json")
    assert login.status_code == 200, login.content
    assert login.json()["user"]["lc_object_id"] == compat_user["objectId"]
    assert get_user_model().objects.count() == 1
    profile = PhoneProfile.objects.get()
    assert profile.user.get_username() == compat_user["username"]

    # A reset through auth/phone/ ends the compat sessions too (credentials_revoked).
    limiter_clock.advance(61)
    api.post("/auth/phone/password-reset/sms-code/", {"phone": PHONE}, format="json")
    body = {"phone": PHONE, "code": last_code(PHONE, "reset_password"), "password": NEW_PASSWORD}
    with django_capture_on_commit_callbacks(execute=True):
        reset = api.post("/auth/phone/password-reset/", body, format="json")
    assert reset.status_code == 200, reset.content
    assert lc.get("users/me", session=compat_user["sessionToken"]).json()["code"] == 211
    again = lc.post("login", {"mobilePhoneNumber": PHONE, "password": NEW_PASSWORD})
    assert again.json()["objectId"] == compat_user["objectId"]


def test_a_user_from_the_phone_api_signs_in_through_compat(lc: LC) -> None:
    api = APIClient()
    api.post("/auth/phone/sms-code/", {"phone": PHONE}, format="json")
    body = {"phone": PHONE, "code": last_code(PHONE), "password": PASSWORD}
    created = api.post("/auth/phone/signup/", body, format="json")
    assert created.status_code == 201, created.content
    answer = lc.post("login", {"mobilePhoneNumber": PHONE, "password": PASSWORD})
    assert answer.status_code == 200
    assert answer.json()["objectId"] == created.json()["user"]["lc_object_id"]


def test_only_the_local_provider_is_served(lc: LC) -> None:
    with lc_phone_settings(PROVIDER="leancloud"), pytest.raises(ImproperlyConfigured):
        require_local_provider()
    with lc_phone_settings(PROVIDER="leancloud"), pytest.raises(ImproperlyConfigured):
        lc.post("login", {})


def test_the_emulator_and_compat_share_one_protocol() -> None:
    error = protocol.ProtocolError(401)
    assert (error.status, error.body) == (401, {"code": 401, "error": "Unauthorized."})
