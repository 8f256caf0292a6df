"""Helpers for the API tests: the endpoints, sign-up shortcuts, error checks and body capture."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.test import APIClient

from django_lc_phone.models import PhoneProfile
from django_lc_phone.testing.inprocess import wsgi_session
from tests import upstream

BASE = "/auth/phone/"
PHONE = "+8613800138000"
NATIONAL = "13800138000"
OTHER = "+8613900139000"
THIRD = "+8613700137000"
PASSWORD = "first-Password-1"
NEW_PASSWORD = "second-Password-2"
CODE_SENT = {"code": "code_sent", "detail": "If this number can receive codes, one has been sent."}

# SMS template variables that break one rule each of inputs.template_variables (finding 15):
# sms-code/ and compat's requestSmsCode refuse them all. The limits as documented: at most 16
# variables, values of at most 128 characters.
BAD_TEMPLATE_VARIABLES: dict[str, dict[str, Any]] = {
    "too many": {f"v{i}": "x" for i in range(17)},
    "a value too long": {"order_id": "x" * 129},
    "a name with a dash": {"order-id": "7"},
    "a name starting with a digit": {"1st": "7"},
    "a name too long": {"v" * 33: "7"},
    "a name that is no ASCII": {"订单": "7"},
    "an object value": {"order_id": {"$ne": 1}},
    "a list value": {"order_id": ["7"]},
    "a null value": {"order_id": None},
    "a boolean value": {"order_id": True},
}

# Every endpoint of api/urls.py: (path, method, needs a signed-in user).
ENDPOINTS: tuple[tuple[str, str, bool], ...] = (
    ("sms-code/", "post", False),
    ("sms-code/verify/", "post", False),
    ("signup/", "post", False),
    ("login/sms-code/", "post", False),
    ("login/", "post", False),
    ("password-reset/sms-code/", "post", False),
    ("password-reset/", "post", False),
    ("password/change/", "post", True),
    ("phone/verify/sms-code/", "post", True),
    ("phone/verify/", "post", True),
    ("phone/change/sms-code/", "post", True),
    ("phone/change/", "post", True),
    ("captcha/", "get", False),
    ("captcha/verify/", "post", False),
    ("me/", "get", True),
    ("logout/", "post", True),
)


def url(path: str) -> str:
    return BASE + path


def post(api: APIClient, path: str, data: Any = None, **extra: Any) -> Any:
    """POST JSON to an endpoint of the phone API."""
    return api.post(url(path), data, format="json", **extra)


def code(phone: str) -> str:
    """The newest code the emulator sent to ``phone``."""
    return upstream.EMULATOR.last_code(phone)


def cool_down() -> None:
    """Move the emulator's clock past LeanCloud's per-number resend windows, and ours past the
    resend cooldown."""
    upstream.advance_clocks(61)


def reset_upstream_log(lc: upstream.CountingApp) -> None:
    lc.calls.clear()


def request_code(api: APIClient, phone: str = PHONE) -> str:
    response = post(api, "sms-code/", {"phone": phone})
    assert response.status_code == 202, response.content
    return code(phone)


def signup(
    api: APIClient, phone: str = PHONE, *, password: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Request a generic code and sign up with it; the JSON answer (201 or 200)."""
    sms = request_code(api, phone)
    body: dict[str, Any] = {"phone": phone, "code": sms, **extra}
    if password is not None:
        body["password"] = password
    response = post(api, "signup/", body)
    assert response.status_code in (200, 201), response.content
    cool_down()
    result: dict[str, Any] = response.json()
    return result


def signed_in(phone: str = PHONE, *, password: str | None = PASSWORD) -> tuple[APIClient, Any]:
    """A client carrying the token of a new user with ``phone``, and that user."""
    client = APIClient()
    body = signup(client, phone, password=password)
    client.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    user = get_user_model().objects.get(pk=body["user"]["id"])
    return client, user


def make_unverified(phone: str, password: str = PASSWORD) -> None:
    """A LeanCloud user who signed up with a username and password and never verified ``phone``."""
    config = upstream.EMULATOR.config
    session = wsgi_session(upstream.EMULATOR, upstream.SERVER_URL)  # not counted
    response = session.post(
        upstream.SERVER_URL + "/1.1/users",
        json={"username": f"u{phone[-8:]}", "password": password, "mobilePhoneNumber": phone},
        headers={"X-LC-Id": config.app_id, "X-LC-Key": config.app_key},
    )
    assert response.status_code == 201, response.content
    assert response.json()["mobilePhoneVerified"] is False


def profile(phone: str = PHONE) -> PhoneProfile:
    return PhoneProfile.objects.get(phone=phone)


def assert_error(response: Any, status: int, code: str, *, errors: bool = False) -> None:
    """Status and the exact error body: ``{"code", "detail"}`` (plus ``"errors"`` for bad input)."""
    assert response.status_code == status, response.content
    body = response.json()
    keys = {"code", "detail", "errors"} if errors else {"code", "detail"}
    assert set(body) == keys, body
    assert body["code"] == code, body
    assert isinstance(body["detail"], str), body
    assert body["detail"], body
    if errors:
        assert isinstance(body["errors"], dict), body
        assert body["errors"], body


def without_volatile_headers(response: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in response.items()}


@contextmanager
def upstream_bodies() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Record (path, JSON body) of every request the emulator receives."""
    seen: list[tuple[str, dict[str, Any]]] = []
    app = upstream.COUNTER.app

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(raw)
        seen.append((environ.get("PATH_INFO", ""), json.loads(raw) if raw else {}))
        return app(environ, start_response)

    upstream.COUNTER.app = recording  # type: ignore[assignment]
    try:
        yield seen
    finally:
        upstream.COUNTER.app = app


@contextmanager
def received(signal: Any) -> Iterator[list[dict[str, Any]]]:
    """The keyword arguments (with ``sender``) of every ``signal`` sent inside the block."""
    calls: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        kwargs.pop("signal", None)
        calls.append(kwargs)

    signal.connect(receiver, weak=False, dispatch_uid=f"tests-{id(calls)}")
    try:
        yield calls
    finally:
        signal.disconnect(dispatch_uid=f"tests-{id(calls)}")


def assert_no_session_token(response: Any, *tokens: str) -> None:
    """No LeanCloud session token in the body or any header of ``response``."""
    assert tokens
    assert all(tokens)
    for token in tokens:
        assert token not in response.content.decode(), "session token in the body"
        for name, value in response.items():
            assert token not in value, f"session token in the {name} header"
        for morsel in response.cookies.values():
            assert token not in morsel.value
    text = response.content.decode().lower()
    assert "sessiontoken" not in text
    assert "session_token" not in text


# The statements that open, end or nest a transaction (a savepoint inside the test's own).
TRANSACTION_SQL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


def assert_no_transaction(captured: Any) -> None:
    """No statement of ``captured`` (a ``CaptureQueriesContext``) opens a transaction."""
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [s for s in sql if s.upper().startswith(TRANSACTION_SQL)], sql


def lc_phone_settings(**overrides: Any) -> override_settings:
    """``override_settings`` of a few ``LC_PHONE`` keys, the rest as in the test settings."""
    return override_settings(LC_PHONE={**settings.LC_PHONE, **overrides})
