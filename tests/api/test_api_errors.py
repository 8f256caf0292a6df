"""Upstream faults (T22-T28): the right status and code, no retries, no partial local state,
and never LeanCloud's own text in a response."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import override_settings
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_lc_phone import signals
from django_lc_phone.leancloud.wire import ERRORS, MESSAGE_SMS_TOO_FAST
from django_lc_phone.models import PhoneProfile
from tests import settings as test_settings
from tests import upstream
from tests.app._api import (
    PASSWORD,
    PHONE,
    assert_error,
    code,
    lc_phone_settings,
    post,
    received,
    request_code,
    signup,
)

User = get_user_model()

# fault kind -> (status, code, Retry-After)
FAULTS: dict[str, tuple[int, str, str | None]] = {
    "drop": (503, "upstream_unavailable", "30"),
    "hang": (504, "upstream_timeout", None),
    "html": (502, "bad_upstream_response", None),
    "malformed_json": (502, "bad_upstream_response", None),
    "empty": (502, "bad_upstream_response", None),
    "redirect": (502, "bad_upstream_response", None),
}
# ... and a LeanCloud-shaped 503 (the faults below arm http_error with status 503).
ALL_FAULTS: dict[str, tuple[int, str, str | None]] = {
    **FAULTS,
    "http_error": (503, "upstream_unavailable", "30"),
}
# LeanCloud error (code, HTTP status, message) on requestSmsCode -> (status, code, Retry-After)
LEANCLOUD_ERRORS: list[tuple[int, int, str, int, str, str | None]] = [
    (1, 400, MESSAGE_SMS_TOO_FAST, 429, "sms_rate_limited", "60"),
    (601, 400, ERRORS[601].message, 429, "sms_rate_limited", "60"),
    (602, 400, ERRORS[602].message, 502, "sms_delivery_failed", None),
    (160, 400, ERRORS[160].message, 502, "sms_delivery_failed", None),
    (603, 400, ERRORS[603].message, 400, "invalid_code", None),
    (127, 400, ERRORS[127].message, 400, "invalid_phone", None),
    (608, 400, ERRORS[608].message, 400, "captcha_required", None),
    (124, 400, ERRORS[124].message, 504, "upstream_timeout", None),
    (502, 502, "Server is in maintenance.", 503, "upstream_unavailable", "30"),
    (503, 503, ERRORS[503].message, 503, "upstream_unavailable", "30"),
    (529, 529, "Too many concurrent requests.", 503, "upstream_unavailable", "30"),
    (119, 400, ERRORS[119].message, 503, "upstream_unavailable", "30"),
    (401, 401, "Unauthorized.", 503, "upstream_unavailable", "30"),
    (403, 403, "Forbidden to access.", 503, "upstream_unavailable", "30"),
    (1, 400, "Something odd happened inside.", 502, "bad_upstream_response", None),
    (999, 400, "A code nobody documented.", 502, "bad_upstream_response", None),
]


@contextmanager
def answering(status: int, body: Any, content_type: str = "application/json") -> Iterator[None]:
    """Make every upstream request get this answer (still counted in ``lc.calls``)."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        start_response(f"{status} X", [("Content-Type", content_type)])
        return [payload]

    original = upstream.COUNTER.app
    upstream.COUNTER.app = app  # type: ignore[assignment]
    try:
        yield
    finally:
        upstream.COUNTER.app = original


def _nothing_local() -> None:
    assert (User.objects.count(), PhoneProfile.objects.count(), Token.objects.count()) == (0, 0, 0)


# --- transport faults ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FAULTS))
def test_faults_on_sms_code(
    kind: str, api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    status, error, retry_after = FAULTS[kind]
    upstream.EMULATOR.arm_fault(kind, path="/1.1/requestSmsCode")
    with django_assert_num_queries(0):
        response = post(api, "sms-code/", {"phone": PHONE})
    assert_error(response, status, error)
    assert response.get("Retry-After") == retry_after
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]  # never retried: it may have been sent
    assert "openresty" not in response.content.decode()


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_upstream_5xx_with_a_leancloud_body(status: int, api: APIClient, lc: Any) -> None:
    upstream.EMULATOR.arm_fault("http_error", status=status)
    response = post(api, "sms-code/", {"phone": PHONE})
    assert_error(response, 503, "upstream_unavailable")
    assert response["Retry-After"] == "30"
    assert "Emulated" not in response.content.decode()
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]


@pytest.mark.parametrize("status", [500, 502, 503])
def test_an_html_error_page_is_a_bad_upstream_response(
    status: int, api: APIClient, lc: upstream.CountingApp
) -> None:
    upstream.EMULATOR.arm_fault("html", status=status)
    assert_error(post(api, "sms-code/", {"phone": PHONE}), 502, "bad_upstream_response")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_connection_refused_is_503_with_retry_after(
    api: APIClient, lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []
    import urllib3.util.connection

    real_connect = urllib3.util.connection.create_connection

    def counting_connect(address: Any, *args: Any, **kwargs: Any) -> Any:
        """Each attempt of the client's pool opens a connection (none is kept: all refused)."""
        attempts.append(address)
        return real_connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counting_connect)
    refused = {
        **test_settings.LC_PHONE,
        "SERVER_URL": f"http://127.0.0.1:{_closed_port()}",
        "HTTP_SESSION_FACTORY": None,
        "CONNECT_TIMEOUT": 1.0,
    }
    with override_settings(LC_PHONE=refused):
        response = post(api, "sms-code/", {"phone": PHONE})
        login = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert_error(response, 503, "upstream_unavailable")
    assert response["Retry-After"] == "30"
    assert_error(login, 503, "upstream_unavailable")
    assert len(attempts) == 4  # one retry each: nothing was sent
    assert lc.calls == []
    _nothing_local()


@pytest.mark.parametrize(
    ("lc_code", "http", "message", "status", "error", "retry_after"), LEANCLOUD_ERRORS
)
def test_leancloud_errors_on_sms_code(
    api: APIClient,
    lc: upstream.CountingApp,
    lc_code: int,
    http: int,
    message: str,
    status: int,
    error: str,
    retry_after: str | None,
) -> None:
    with answering(http, {"code": lc_code, "error": message}):
        response = post(api, "sms-code/", {"phone": PHONE})
    assert_error(response, status, error)
    assert response.get("Retry-After") == retry_after
    assert message not in response.content.decode()
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]


@pytest.mark.parametrize("lc_code", [213, 215])
@pytest.mark.parametrize("path", ["login/sms-code/", "password-reset/sms-code/"])
def test_unknown_accounts_on_code_requests_read_as_sent(
    path: str, lc_code: int, api: APIClient, lc: upstream.CountingApp
) -> None:
    with answering(400, {"code": lc_code, "error": ERRORS[lc_code].message}):
        response = post(api, path, {"phone": PHONE})
    assert response.status_code == 202
    assert response.json()["code"] == "code_sent"


@pytest.mark.parametrize("lc_code", [210, 211, 213, 215, 216])
def test_every_password_failure_reads_the_same(
    lc_code: int, api: APIClient, lc: upstream.CountingApp
) -> None:
    with answering(400, {"code": lc_code, "error": ERRORS[lc_code].message}):
        response = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert_error(response, 401, "invalid_credentials")
    assert response.json()["detail"] == "Invalid phone number or password."
    assert lc.calls == [("POST", "/1.1/login")]


def test_an_upstream_lock_is_429_with_the_same_body_for_the_lock_text(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    answers = []
    for body in (
        {"code": 219, "error": "Login failed too many times, try again in 15 minutes."},
        {"code": 1, "error": "You have exceeded the maximum number of login attempts, wait."},
    ):
        with answering(400, body):
            answers.append(post(api, "login/", {"phone": PHONE, "password": PASSWORD}))
    for response in answers:
        assert_error(response, 429, "too_many_attempts")
        assert response["Retry-After"] == "900"
    assert answers[0].content == answers[1].content


# --- no partial local state (T24, T25) ------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ALL_FAULTS))
def test_a_failed_signup_leaves_nothing_local(
    kind: str, api: APIClient, lc: upstream.CountingApp
) -> None:
    sms = request_code(api)
    lc.calls.clear()
    upstream.EMULATOR.arm_fault(kind, path="/1.1/usersByMobilePhone", status=503)
    response = post(api, "signup/", {"phone": PHONE, "code": sms})
    status, error, retry_after = ALL_FAULTS[kind]
    assert_error(response, status, error)
    assert response.get("Retry-After") == retry_after
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    _nothing_local()


@pytest.mark.parametrize("kind", list(ALL_FAULTS))
def test_a_failed_login_leaves_nothing_local(
    kind: str, api: APIClient, lc: upstream.CountingApp
) -> None:
    signup(api, password=PASSWORD)
    PhoneProfile.objects.all().delete()
    User.objects.all().delete()
    Token.objects.all().delete()
    lc.calls.clear()
    upstream.EMULATOR.arm_fault(kind, path="/1.1/login", status=503)
    response = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert_error(response, *ALL_FAULTS[kind][:2])
    assert lc.calls == [("POST", "/1.1/login")]
    _nothing_local()


def _user_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "objectId": "5d831ad3f40d3a0007541fbc",
        "username": PHONE,
        "mobilePhoneNumber": PHONE,
        "mobilePhoneVerified": True,
        "sessionToken": "abcdefghijklmnopqrstuvwxy",
        "createdAt": "2026-01-01T00:00:00.000Z",
        "updatedAt": "2026-01-01T00:00:00.000Z",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    "body",
    [
        _user_body(objectId=None),
        _user_body(objectId=17),
        _user_body(objectId="x" * 10_000),
        _user_body(objectId="../../admin"),
        _user_body(sessionToken=None),
        _user_body(sessionToken=["x"]),
        _user_body(mobilePhoneNumber=12),
        _user_body(mobilePhoneVerified="yes"),
        [_user_body()],
        {"error": "ok?"},
    ],
)
@pytest.mark.parametrize("path", ["signup/", "login/"])
def test_incomplete_or_mistyped_users_are_502_and_create_nothing(
    path: str, body: Any, api: APIClient, lc: upstream.CountingApp
) -> None:
    data = {"phone": PHONE, "code": "123456"}
    with answering(200, body):
        response = post(api, path, data)
    assert_error(response, 502, "bad_upstream_response")
    assert len(lc.calls) == 1
    _nothing_local()


def test_a_well_formed_answer_does_link(api: APIClient, lc: upstream.CountingApp) -> None:
    """The control case for the test above: the same helper, a valid body, one local user."""
    with answering(201, _user_body()):
        response = post(api, "signup/", {"phone": PHONE, "code": "123456"})
    assert response.status_code == 201, response.content
    assert PhoneProfile.objects.get().lc_object_id == "5d831ad3f40d3a0007541fbc"


@pytest.mark.parametrize("kind", list(ALL_FAULTS))
def test_a_failed_reset_sends_no_signal_and_keeps_the_session(
    kind: str, lc: upstream.CountingApp
) -> None:
    api = APIClient()
    signup(api, password=PASSWORD)
    token = PhoneProfile.objects.get().lc_session_token
    assert post(api, "password-reset/sms-code/", {"phone": PHONE}).status_code == 202
    sms = code(PHONE)
    lc.calls.clear()
    upstream.EMULATOR.arm_fault(kind, status=503)
    with received(signals.password_reset) as reset:
        body = {"phone": PHONE, "code": sms, "password": "other-Password-5"}
        response = post(api, "password-reset/", body)
    assert_error(response, *ALL_FAULTS[kind][:2])
    assert reset == []
    assert lc.calls == [("PUT", f"/1.1/resetPasswordBySmsCode/{sms}")]
    assert PhoneProfile.objects.get().lc_session_token == token


def test_a_call_that_needs_the_missing_master_key_is_503_misconfigured(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    """SMS_USE_MASTER_KEY without MASTER_KEY (check E005): a setting to fix, told apart from an
    outage and from bad input; nothing leaves, and LeanCloud's breaker stays closed."""
    with lc_phone_settings(SMS_USE_MASTER_KEY=True, MASTER_KEY=""):
        answers = [post(api, "sms-code/", {"phone": PHONE}) for _ in range(6)]
    for response in answers:
        assert_error(response, 503, "misconfigured")
    assert lc.calls == []
    assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
