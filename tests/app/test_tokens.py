"""Token issuers: DRF authtoken (the default), a Django session, SimpleJWT, or a dotted path."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_lc_phone.models import PhoneProfile
from tests import settings as test_settings
from tests import upstream
from tests.app._api import (
    OTHER,
    PASSWORD,
    PHONE,
    assert_error,
    assert_no_session_token,
    assert_no_transaction,
    code,
    cool_down,
    post,
    request_code,
    url,
)


def _issuer(name: str) -> Any:
    return override_settings(LC_PHONE={**test_settings.LC_PHONE, "TOKEN_ISSUER": name})


def _signup(api: APIClient) -> Any:
    sms = request_code(api)
    response = post(api, "signup/", {"phone": PHONE, "code": sms, "password": PASSWORD})
    assert response.status_code == 201, response.content
    return response


class FixedIssuer:
    """A custom issuer named by dotted path."""

    revoked: list[int] = []

    def issue(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        return {"token": f"fixed-{user.pk}", "expires_in": 60}

    def revoke(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        self.revoked.append(user.pk)


def test_authtoken_is_the_default(api: APIClient, lc: upstream.CountingApp) -> None:
    response = _signup(api)
    body = response.json()
    assert Token.objects.get().key == body["token"]
    assert "sessionid" not in response.cookies
    assert "refresh" not in body
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get(url("me/")).status_code == 200
    login = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD})
    assert login.json()["token"] == body["token"]  # one token per user
    assert Token.objects.count() == 1


def test_session_issuer(api: APIClient, lc: upstream.CountingApp) -> None:
    with _issuer("session"):
        response = _signup(api)
        body = response.json()
        assert set(body) == {"token", "user", "created"}
        assert body["token"] is None
        assert response.cookies[settings.SESSION_COOKIE_NAME].value
        assert Token.objects.count() == 0
        assert_no_session_token(response, PhoneProfile.objects.get().lc_session_token)
        me = api.get(url("me/"))
        assert me.status_code == 200, me.content
        assert me.json() == body["user"]
        assert api.session["_auth_user_backend"] == "django_lc_phone.backends.PhoneCodeBackend"

        browser = APIClient()
        login = post(browser, "login/", {"phone": PHONE, "password": PASSWORD})
        assert login.status_code == 200, login.content
        assert login.json()["token"] is None
        backend = browser.session["_auth_user_backend"]
        assert backend == "django_lc_phone.backends.PhonePasswordBackend"
        assert browser.get(url("me/")).json() == body["user"]
        upstream.advance_clocks(61)
        assert post(browser, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
        changed = post(browser, "phone/change/", {"phone": OTHER, "code": code(OTHER)})
        assert changed.status_code == 200, changed.content
        assert changed.json()["phone"] == OTHER
        assert browser.get(url("me/")).json()["phone"] == OTHER

        # The phone change ended the user's other sessions, and kept this one.
        assert_error(api.get(url("me/")), 401, "not_authenticated")
        assert post(browser, "logout/").status_code == 204
        assert_error(browser.get(url("me/")), 401, "not_authenticated")


def test_simplejwt_issuer(api: APIClient, lc: upstream.CountingApp) -> None:
    pytest.importorskip("rest_framework_simplejwt")
    jwt_only = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework_simplejwt.authentication.JWTAuthentication"
        ],
    }
    # Signed-in views read the authentication classes per request, so this reaches them.
    with _issuer("simplejwt"), override_settings(REST_FRAMEWORK=jwt_only):
        response = _signup(api)
        body = response.json()
        assert set(body) == {"token", "refresh", "user", "created"}
        assert body["token"].count(".") == 2  # a JWT: header.payload.signature
        assert body["refresh"].count(".") == 2
        assert body["token"] != body["refresh"]
        assert Token.objects.count() == 0
        assert "sessionid" not in response.cookies
        assert_no_session_token(response, PhoneProfile.objects.get().lc_session_token)

        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
        me = client.get(url("me/"))
        assert me.status_code == 200, me.content
        assert me.json() == body["user"]
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['refresh']}")
        assert client.get(url("me/")).status_code == 401  # a refresh token is no access token

        login = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD})
        assert login.status_code == 200, login.content
        assert set(login.json()) == {"token", "refresh", "user", "created"}


def test_a_simplejwt_login_needs_no_token_row(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    """A JWT is no row: the login reads the profile and user, and writes last_login; here
    also SimpleJWT's own record of the refresh token, which its blacklist app (installed in
    these settings) keeps so that a phone change can end it."""
    with _issuer("simplejwt"):
        _signup(api)
        cool_down()
        with django_assert_num_queries(3) as captured:
            login = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD})
    assert login.status_code == 200, login.content
    assert_no_transaction(captured)
    read, outstanding, last_login = (q["sql"] for q in captured.captured_queries)
    assert read.startswith('SELECT "lc_phone_phoneprofile"'), read
    assert outstanding.startswith('INSERT INTO "token_blacklist_outstandingtoken"'), outstanding
    assert last_login.startswith('UPDATE "auth_user" SET "last_login"'), last_login
    assert Token.objects.count() == 0


def test_a_phone_change_blacklists_every_refresh_token_and_hands_a_new_pair(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    """Finding 7 (SimpleJWT): a phone change ends every other credential of the user; with the
    blacklist app installed, every refresh token issued before, and the caller gets a new pair."""
    from rest_framework_simplejwt.exceptions import TokenError
    from rest_framework_simplejwt.tokens import RefreshToken

    jwt_only = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "rest_framework_simplejwt.authentication.JWTAuthentication"
        ],
    }
    with _issuer("simplejwt"), override_settings(REST_FRAMEWORK=jwt_only):
        first = _signup(api).json()
        upstream.advance_clocks(61)
        other = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD}).json()
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {first['token']}")
        assert post(client, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
        changed = post(client, "phone/change/", {"phone": OTHER, "code": code(OTHER)})
        assert changed.status_code == 200, changed.content
        body = changed.json()
        assert body["phone"] == OTHER
        for old in (first["refresh"], other["refresh"]):
            with pytest.raises(TokenError):
                RefreshToken(old)  # blacklisted
        RefreshToken(body["refresh"])  # the new one is good
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['token']}")
        assert client.get(url("me/")).json()["phone"] == OTHER


def test_a_dotted_path_issuer(api: APIClient, lc: upstream.CountingApp) -> None:
    FixedIssuer.revoked.clear()
    with _issuer("tests.app.test_tokens.FixedIssuer"):
        body = _signup(api).json()
        assert body["token"] == f"fixed-{body['user']['id']}"
        assert body["expires_in"] == 60
        api.force_authenticate(PhoneProfile.objects.get().user)
        assert post(api, "logout/").status_code == 204
    assert FixedIssuer.revoked == [int(body["user"]["id"])]
