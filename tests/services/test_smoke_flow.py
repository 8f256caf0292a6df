"""One end-to-end story through every endpoint of auth/phone/ (details live in other files)."""

from __future__ import annotations

from rest_framework.test import APIClient

from tests import upstream

PHONE = "+8613800138000"
NEW_PHONE = "+8613900139000"


def _code(phone: str) -> str:
    return upstream.EMULATOR.last_code(phone)


def test_every_flow_end_to_end(api: APIClient, lc: upstream.CountingApp) -> None:
    sent = api.post("/auth/phone/sms-code/", {"phone": PHONE}, format="json")
    assert sent.status_code == 202, sent.json()
    signup = api.post(
        "/auth/phone/signup/",
        {"phone": PHONE, "code": _code(PHONE), "password": "first-Password-1"},
        format="json",
    )
    assert signup.status_code == 201, signup.json()
    body = signup.json()
    assert body["created"] is True
    assert body["user"]["phone"] == PHONE
    assert body["user"]["phone_verified"] is True
    token = body["token"]

    login = api.post(
        "/auth/phone/login/", {"phone": PHONE, "password": "first-Password-1"}, format="json"
    )
    assert login.status_code == 200, login.json()
    assert login.json()["user"]["id"] == body["user"]["id"]

    upstream.advance_clocks(61)
    assert (
        api.post("/auth/phone/login/sms-code/", {"phone": PHONE}, format="json").status_code == 202
    )
    login = api.post("/auth/phone/login/", {"phone": PHONE, "code": _code(PHONE)}, format="json")
    assert login.status_code == 200, login.json()

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api.get("/auth/phone/me/")
    assert me.json()["lc_object_id"] == body["user"]["lc_object_id"]

    assert (
        api.post(
            "/auth/phone/phone/change/sms-code/", {"phone": NEW_PHONE}, format="json"
        ).status_code
        == 202
    )
    changed = api.post(
        "/auth/phone/phone/change/", {"phone": NEW_PHONE, "code": _code(NEW_PHONE)}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["phone"] == NEW_PHONE

    upstream.advance_clocks(61)
    reset_code = api.post(
        "/auth/phone/password-reset/sms-code/", {"phone": NEW_PHONE}, format="json"
    )
    assert reset_code.status_code == 202
    reset = api.post(
        "/auth/phone/password-reset/",
        {"phone": NEW_PHONE, "code": _code(NEW_PHONE), "password": "second-Password-2"},
        format="json",
    )
    assert reset.status_code == 200, reset.json()
    wrong = api.post(
        "/auth/phone/login/", {"phone": NEW_PHONE, "password": "first-Password-1"}, format="json"
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_credentials"
    # The reset revoked the token this client signed in with: it is signed out already.
    assert api.post("/auth/phone/logout/").status_code == 401
    assert api.get("/auth/phone/me/").status_code == 401
