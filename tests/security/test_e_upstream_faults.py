"""Reference §5 table E, upstream faults (T22-T28): the right status and code, no retry that could
send a second SMS or burn a code, no partial local state, no redirect followed, a circuit
breaker every worker shares, and never LeanCloud's own text in an answer.

Faults come from the emulator (``EMULATOR.arm_fault``), from :func:`answer_next` (one scripted
answer in front of the emulator) or, for what only a socket can do (connect failures, a read
timeout after the server acted), from :data:`WIRE`: ``LC_PHONE["HTTP_SESSION_FACTORY"]`` set to
:func:`scripted_session` puts a scripted adapter in front of the counting emulator and mounts a
second, counting host that redirects point at.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import RemoteDisconnected
from typing import Any

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import caches
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from django_lc_phone import signals
from django_lc_phone.exceptions import ProviderUnavailable
from django_lc_phone.guards import breaker
from django_lc_phone.leancloud.wire import ERRORS, MESSAGE_SMS_TOO_FAST
from django_lc_phone.models import PhoneProfile
from django_lc_phone.providers.leancloud import BREAKER
from django_lc_phone.testing.inprocess import WSGIAdapter
from tests import upstream
from tests.app._api import (
    NEW_PASSWORD,
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    assert_error,
    code,
    cool_down,
    lc_phone_settings,
    post,
    received,
    request_code,
    signed_in,
    signup,
    url,
)
from tests.limiter import LIMITER_CLOCK
from tests.security._util import ip, local_state, sends

User = get_user_model()

SESSION_FACTORY = "tests.security.test_e_upstream_faults.scripted_session"
ELSEWHERE = "http://elsewhere.test"  # the host redirects point at
EMULATOR_REDIRECT_HOST = "http://redirected.invalid"  # where the emulator's own fault points
# Text of every upstream answer these tests script; none of it may reach a client.
UPSTREAM_TEXTS = (
    "Emulated server error",
    "openresty",
    "Bad Gateway",
    "Internal upstream explosion",
    "elsewhere.test",
    "redirected.invalid",
)


# --- a scripted wire in front of the counting emulator ------------------------------------------


def _refused(request: requests.PreparedRequest) -> Exception:
    reason = NewConnectionError(None, "Failed to establish a new connection: [Errno 111] refused")  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, request.url, reason), request=request)  # type: ignore[arg-type]


def _dns(request: requests.PreparedRequest) -> Exception:
    reason = NameResolutionError("leancloud.test", None, OSError("Name or service not known"))  # type: ignore[arg-type]
    return requests.ConnectionError(MaxRetryError(None, request.url, reason), request=request)  # type: ignore[arg-type]


def _connect_timeout(request: requests.PreparedRequest) -> Exception:
    reason = ConnectTimeoutError(None, "connect timed out")
    return requests.ConnectTimeout(MaxRetryError(None, request.url, reason), request=request)  # type: ignore[arg-type]


def _read_timeout(request: requests.PreparedRequest) -> Exception:
    return requests.ReadTimeout("Read timed out. (read timeout=10.0)", request=request)


def _read_timeout_after_headers(request: requests.PreparedRequest) -> Exception:
    # What requests raises when the body times out after the status line arrived.
    reason = ReadTimeoutError(None, request.url, "Read timed out.")  # type: ignore[arg-type]
    return requests.ConnectionError(reason, request=request)


def _dropped(request: requests.PreparedRequest) -> Exception:
    cause = ProtocolError("Connection aborted.", RemoteDisconnected("closed without response"))
    return requests.ConnectionError(cause, request=request)


CONNECT_FAILURES: dict[str, Callable[[requests.PreparedRequest], Exception]] = {
    "refused": _refused,
    "dns": _dns,
    "connect_timeout": _connect_timeout,
}
# Failures after the request reached the server: it acted (an SMS went out), the answer is lost.
AFTER_SENDING: dict[str, Callable[[requests.PreparedRequest], Exception]] = {
    "read_timeout": _read_timeout,
    "read_timeout_after_headers": _read_timeout_after_headers,
}


@dataclass
class Wire:
    """Scripted connection attempts. Each attempt pops the next step: None (deliver to the
    emulator), a connect failure (nothing sent) or a failure after sending (delivered to the
    emulator, then the answer is lost)."""

    attempts: list[str] = field(default_factory=list)
    connect: list[Callable[[requests.PreparedRequest], Exception] | None] = field(
        default_factory=list
    )
    after_sending: list[Callable[[requests.PreparedRequest], Exception] | None] = field(
        default_factory=list
    )
    during: Callable[[], None] | None = None  # run while an attempt is in flight (once)

    def reset(self) -> None:
        self.attempts.clear()
        self.connect.clear()
        self.after_sending.clear()
        self.during = None


WIRE = Wire()


class CountingHost:
    """A second host: counts (method, path) and keeps the headers of every request it gets."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        self.calls.append((environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")))
        self.headers.append(upstream.request_headers(environ))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [
            b'{"objectId":"5d831ad3f40d3a0007541fbc","sessionToken":"stolen0000000000000000000"}'
        ]


OTHER_HOST = CountingHost()


class ScriptedAdapter(WSGIAdapter):
    """The in-process adapter with :data:`WIRE`'s script applied to each attempt."""

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        WIRE.attempts.append(request.path_url)
        if WIRE.during is not None:
            during, WIRE.during = WIRE.during, None
            during()
        if WIRE.connect:
            failure = WIRE.connect.pop(0)
            if failure is not None:
                raise failure(request)
        response = super().send(request, **kwargs)
        if WIRE.after_sending:
            failure = WIRE.after_sending.pop(0)
            if failure is not None:
                raise failure(request)
        return response


def scripted_session() -> requests.Session:
    """``HTTP_SESSION_FACTORY`` of these tests: the scripted emulator, plus the other hosts."""
    session = requests.Session()
    session.mount(upstream.SERVER_URL, ScriptedAdapter(upstream.COUNTER))
    session.mount(ELSEWHERE, WSGIAdapter(OTHER_HOST))
    session.mount(EMULATOR_REDIRECT_HOST, WSGIAdapter(OTHER_HOST))
    return session


@pytest.fixture
def wire(lc: upstream.CountingApp) -> Iterator[Wire]:
    """The scripted wire, in use for the test."""
    WIRE.reset()
    OTHER_HOST.calls.clear()
    OTHER_HOST.headers.clear()
    lc.headers.clear()
    with lc_phone_settings(HTTP_SESSION_FACTORY=SESSION_FACTORY):
        yield WIRE
    WIRE.reset()


@contextmanager
def answer_next(
    status: int,
    body: Any,
    *,
    content_type: str = "application/json;charset=utf-8",
    path: str | None = None,
    headers: Iterable[tuple[str, str]] = (),
    times: int = 1,
) -> Iterator[None]:
    """The next ``times`` upstream requests (under ``path``) get this answer instead of the
    emulator's; every other request reaches the emulator. All are counted in ``lc.calls``."""
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    app = upstream.COUNTER.app
    left = [times]

    def scripted(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        matches = path is None or environ.get("PATH_INFO", "").startswith(path)
        if left[0] > 0 and matches:
            left[0] -= 1
            start_response(f"{status} Scripted", [("Content-Type", content_type), *headers])
            return [payload]
        return app(environ, start_response)

    upstream.COUNTER.app = scripted  # type: ignore[assignment]
    try:
        yield
    finally:
        upstream.COUNTER.app = app


def assert_no_upstream_text(response: Any, *texts: str) -> None:
    """Nothing the upstream said, nor a stack trace, in the body or a header."""
    shown = response.content.decode() + "\n".join(f"{k}: {v}" for k, v in response.items())
    for text in (*UPSTREAM_TEXTS, *texts, "Traceback"):
        assert text not in shown, text


def no_sessions_or_tokens() -> tuple[int, int]:
    return Session.objects.count(), Token.objects.count()


# --- T22 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", list(CONNECT_FAILURES))
def test_t22_connect_failures_on_send_code_are_503_after_one_retry(
    failure: str, api: APIClient, wire: Wire, lc: upstream.CountingApp
) -> None:
    """T22 | Connection refused / DNS failure / connect timeout on send-code | At most one retry
    (connect phase only), then 503 `upstream_unavailable` + `Retry-After` | A 500; more than 2
    connect attempts."""
    wire.connect[:] = [CONNECT_FAILURES[failure]] * 5
    response = post(api, "sms-code/", {"phone": PHONE})
    assert_error(response, 503, "upstream_unavailable")
    assert response["Retry-After"] == "30"
    assert wire.attempts == ["/1.1/requestSmsCode"] * 2  # the first try and one retry
    assert lc.calls == []  # nothing reached the server
    assert sends() == 0
    assert_no_upstream_text(response, "refused", "Name or service", "timed out")
    # Nothing was sent, so nothing was spent: the number is not cooling down.
    wire.connect.clear()
    again = post(api, "sms-code/", {"phone": PHONE})
    assert again.status_code == 202, again.content
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert sends(PHONE) == 1


@pytest.mark.parametrize("failure", list(CONNECT_FAILURES))
def test_t22_one_connect_failure_is_retried_once_and_sends_one_sms(
    failure: str, api: APIClient, wire: Wire, lc: upstream.CountingApp
) -> None:
    """T22 | A connect failure on send-code | At most one retry (connect phase only) | More than 2
    connect attempts; a second SMS."""
    wire.connect[:] = [CONNECT_FAILURES[failure]]
    response = post(api, "sms-code/", {"phone": PHONE})
    assert response.status_code == 202, response.content
    assert response.json()["code"] == "code_sent"
    assert wire.attempts == ["/1.1/requestSmsCode"] * 2
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert sends(PHONE) == 1


# --- T23 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("failure", [*AFTER_SENDING, "emulator_hang"])
def test_t23_read_timeout_on_send_code_is_504_and_starts_the_cooldown(
    failure: str, api: APIClient, wire: Wire, lc: upstream.CountingApp
) -> None:
    """T23 | Read timeout on send-code | 504 `upstream_timeout`; exactly one upstream POST; the
    local per-number cooldown is started anyway | Automatic retry (a second SMS); the client
    able to trigger another send at once."""
    if failure == "emulator_hang":
        upstream.EMULATOR.arm_fault("hang", path="/1.1/requestSmsCode")
    else:  # the server sent the SMS, the answer never arrived
        wire.after_sending[:] = [AFTER_SENDING[failure]]
    response = post(api, "sms-code/", {"phone": PHONE})
    assert_error(response, 504, "upstream_timeout")
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert wire.attempts == ["/1.1/requestSmsCode"]  # never repeated
    assert sends(PHONE) == (0 if failure == "emulator_hang" else 1)
    assert_no_upstream_text(response, "timed out")

    again = post(APIClient(REMOTE_ADDR=ip(9)), "sms-code/", {"phone": PHONE})
    assert_error(again, 429, "sms_rate_limited")
    assert 0 < int(again["Retry-After"]) <= 60
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]  # no upstream call
    assert sends(PHONE) <= 1

    cool_down()
    later = post(api, "sms-code/", {"phone": PHONE})
    assert later.status_code == 202, later.content
    assert lc.calls == [("POST", "/1.1/requestSmsCode")] * 2


def test_t23_a_connection_dropped_after_sending_also_keeps_the_cooldown(
    api: APIClient, wire: Wire, lc: upstream.CountingApp
) -> None:
    """T23 | The connection drops after the send-code request reached the server (like a read
    timeout: the SMS may have gone out) | one upstream POST; the per-number cooldown stands
    | The client able to trigger another send (a second SMS) at once."""
    wire.after_sending[:] = [_dropped]
    response = post(api, "sms-code/", {"phone": PHONE})
    assert_error(response, 503, "upstream_unavailable")
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert wire.attempts == ["/1.1/requestSmsCode"]
    assert sends(PHONE) == 1  # it was delivered

    again = post(APIClient(REMOTE_ADDR=ip(9)), "sms-code/", {"phone": PHONE})
    assert_error(again, 429, "sms_rate_limited")
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert sends(PHONE) == 1


# --- T24 ------------------------------------------------------------------------------------------

# fault -> (status, code): a read timeout, or a 5xx that is not a LeanCloud error body.
T24_FAULTS: dict[str, tuple[int, str]] = {
    "read_timeout": (504, "upstream_timeout"),
    "html_502": (502, "bad_upstream_response"),
    "html_500": (502, "bad_upstream_response"),
    "json_500": (502, "bad_upstream_response"),
}
T24_PATHS = {
    "signup": "/1.1/usersByMobilePhone",
    "login_password": "/1.1/login",
    "login_code": "/1.1/login",
    "reset": "/1.1/resetPasswordBySmsCode",
}


@contextmanager
def _t24_fault(kind: str, path: str) -> Iterator[None]:
    if kind == "read_timeout":
        upstream.EMULATOR.arm_fault("hang", path=path)
        yield
    elif kind.startswith("html_"):
        upstream.EMULATOR.arm_fault("html", path=path, status=int(kind[-3:]))
        yield
    else:
        with answer_next(500, {"message": "Internal upstream explosion"}, path=path):
            yield


def _upstream_only_user(phone: str = PHONE) -> None:
    """A LeanCloud user with a password, and nothing local."""
    signup(APIClient(), phone, password=PASSWORD)
    Token.objects.all().delete()
    PhoneProfile.objects.all().delete()
    User.objects.all().delete()


@pytest.mark.parametrize("issuer", ["authtoken", "session"])
@pytest.mark.parametrize("kind", list(T24_FAULTS))
@pytest.mark.parametrize("flow", ["signup", "login_password", "login_code"])
def test_t24_a_failed_sign_in_leaves_nothing_local_and_costs_no_attempt(
    flow: str, kind: str, issuer: str, api: APIClient, lc: upstream.CountingApp
) -> None:
    """T24 | Read timeout or 5xx on `usersByMobilePhone` / `login` | 504 / 502; no local user,
    link, session or token created; exactly one upstream call | Partial local rows; a retry
    that would hit 603 or count toward the lockout."""
    status, error = T24_FAULTS[kind]
    if flow == "signup":
        sms = request_code(api)
        body = {"phone": PHONE, "code": sms, "password": PASSWORD}
    elif flow == "login_code":
        _upstream_only_user()
        assert post(api, "login/sms-code/", {"phone": PHONE}).status_code == 202
        body = {"phone": PHONE, "code": code(PHONE)}
    else:
        _upstream_only_user()
        body = {"phone": PHONE, "password": PASSWORD}
    lc.calls.clear()
    # One attempt allowed: a failure that were counted would lock the retry below out.
    with lc_phone_settings(TOKEN_ISSUER=issuer, CODE_ATTEMPTS=1, PASSWORD_ATTEMPTS=1):
        with _t24_fault(kind, T24_PATHS[flow]):
            response = post(api, "signup/" if flow == "signup" else "login/", body)
        assert_error(response, status, error)
        assert lc.calls == [("POST", T24_PATHS[flow])]  # never repeated
        assert local_state() == (0, 0, 0)
        assert no_sessions_or_tokens() == (0, 0)
        assert not response.cookies
        assert_no_upstream_text(response)

        # The attempt was given back: the same request now succeeds, once.
        retry = post(api, "signup/" if flow == "signup" else "login/", body)
    assert retry.status_code in (200, 201), retry.content
    assert len(lc.calls) == 2
    assert local_state()[:2] == (1, 1)


@pytest.mark.parametrize("kind", list(T24_FAULTS))
def test_t24_a_failed_reset_changes_and_revokes_nothing(
    kind: str, lc: upstream.CountingApp, django_capture_on_commit_callbacks: Any
) -> None:
    """T24 | Read timeout or 5xx on `resetPasswordBySmsCode` | 504 / 502; no session or token
    created (or revoked); exactly one upstream call | Partial local rows; a retry."""
    status, error = T24_FAULTS[kind]
    client, user = signed_in(password=PASSWORD)
    token = Token.objects.get().key
    stored = PhoneProfile.objects.get().lc_session_token
    anonymous = APIClient()
    assert post(anonymous, "password-reset/sms-code/", {"phone": PHONE}).status_code == 202
    sms = code(PHONE)
    lc.calls.clear()
    body = {"phone": PHONE, "code": sms, "password": NEW_PASSWORD}
    with (
        lc_phone_settings(CODE_ATTEMPTS=1),
        received(signals.password_reset) as reset,
        django_capture_on_commit_callbacks(execute=True),
        _t24_fault(kind, T24_PATHS["reset"]),
    ):
        response = post(anonymous, "password-reset/", body)
    assert_error(response, status, error)
    assert lc.calls == [("PUT", f"/1.1/resetPasswordBySmsCode/{sms}")]
    assert reset == []
    assert list(Token.objects.values_list("key", flat=True)) == [token]  # nothing revoked
    assert client.get(url("me/")).status_code == 200
    assert PhoneProfile.objects.get().lc_session_token == stored
    assert local_state() == (1, 1, 1)
    assert Session.objects.count() == 0
    assert_no_upstream_text(response)
    # The attempt was given back and the code was not burnt by a retry.
    with lc_phone_settings(CODE_ATTEMPTS=1):
        retry = post(anonymous, "password-reset/", body)
    assert retry.status_code == 200, retry.content
    assert len(lc.calls) == 2
    assert user.pk == PhoneProfile.objects.get().user_id


# --- T25 ------------------------------------------------------------------------------------------


def _user(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
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


# name -> (status, body, content type) of the one answer to the sign-in call.
GARBAGE: dict[str, tuple[int, Any, str]] = {
    "html_error_page": (
        502,
        b"<html><body><h1>502 Bad Gateway</h1><p>openresty</p></body></html>",
        "text/html",
    ),
    "html_with_200": (200, b"<html><body>openresty</body></html>", "text/html"),
    "json_5xx": (500, {"message": "Internal upstream explosion"}, "application/json"),
    "empty_200": (200, b"", "application/json;charset=utf-8"),
    "non_json_200": (200, b"OK", "text/plain"),
    "malformed_json_200": (200, b'{"objectId": "5d8', "application/json;charset=utf-8"),
    "json_array_200": (200, [_user()], "application/json"),
    "json_null_200": (200, b"null", "application/json"),
    "object_id_missing": (200, _user(objectId=None), "application/json"),
    "object_id_not_a_string": (200, _user(objectId=17), "application/json"),
    "object_id_a_list": (200, _user(objectId=["5d831ad3f40d3a0007541fbc"]), "application/json"),
    "object_id_10kb": (200, _user(objectId="a" * 10_240), "application/json"),
    "object_id_a_path": (200, _user(objectId="../../users/me"), "application/json"),
    "session_token_missing": (200, _user(sessionToken=None), "application/json"),
}
T25_FLOWS = {
    "signup": ("signup/", "/1.1/usersByMobilePhone"),
    "login_password": ("login/", "/1.1/login"),
    "login_code": ("login/", "/1.1/login"),
}


@pytest.mark.parametrize("garbage", list(GARBAGE))
@pytest.mark.parametrize("flow", list(T25_FLOWS))
def test_t25_garbage_answers_are_502_and_create_no_local_user(
    flow: str, garbage: str, api: APIClient, lc: upstream.CountingApp
) -> None:
    """T25 | Upstream HTML error page, 5xx JSON, empty body, non-JSON with status 200, JSON with
    `objectId` missing / not a string / 10 KB long, `sessionToken` missing | 502
    `bad_upstream_response` | `KeyError`/`ValueError` -> 500; a local user holding a junk
    `objectId`."""
    status, body, content_type = GARBAGE[garbage]
    path, upstream_path = T25_FLOWS[flow]
    if flow == "signup":
        data = {"phone": PHONE, "code": request_code(api)}
    elif flow == "login_code":
        _upstream_only_user()
        assert post(api, "login/sms-code/", {"phone": PHONE}).status_code == 202
        data = {"phone": PHONE, "code": code(PHONE)}
    else:
        _upstream_only_user()
        data = {"phone": PHONE, "password": PASSWORD}
    lc.calls.clear()
    with answer_next(status, body, content_type=content_type, path=upstream_path):
        response = post(api, path, data)
    assert_error(response, 502, "bad_upstream_response")
    assert lc.calls == [("POST", upstream_path)]
    assert local_state() == (0, 0, 0)
    assert not PhoneProfile.objects.filter(lc_object_id__isnull=False).exists()
    assert_no_upstream_text(response, "aaaaaaaaaa", "users/me", "abcdefghijklmnopqrstuvwxy")


# --- T26 ------------------------------------------------------------------------------------------

T26_FLOWS = ["sms_code", "login_password", "phone_change_code", "phone_change"]


@pytest.mark.parametrize("redirect", [301, 302, 303, 307, 308])
@pytest.mark.parametrize("flow", T26_FLOWS)
def test_t26_a_redirect_to_another_host_is_502_and_never_followed(
    flow: str, redirect: int, wire: Wire, lc: upstream.CountingApp
) -> None:
    """T26 | Upstream replies 307/302 to another host | 502; the other host gets **zero**
    requests | Redirect followed; `X-LC-Sign` / `X-LC-Session` sent to the other host."""
    client = APIClient()
    upstream_path = {
        "sms_code": "/1.1/requestSmsCode",
        "login_password": "/1.1/login",
        "phone_change_code": "/1.1/requestChangePhoneNumber",
        "phone_change": "/1.1/changePhoneNumber",
    }[flow]
    if flow == "sms_code":
        path, data = "sms-code/", {"phone": PHONE}
    elif flow == "login_password":
        _upstream_only_user()
        path, data = "login/", {"phone": PHONE, "password": PASSWORD}
    else:
        client, _ = signed_in()
        if flow == "phone_change_code":
            path, data = "phone/change/sms-code/", {"phone": OTHER}
        else:
            assert post(client, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
            path, data = "phone/change/", {"phone": OTHER, "code": code(OTHER)}
    lc.calls.clear()
    lc.headers.clear()
    wire.attempts.clear()
    location = [("Location", f"{ELSEWHERE}{upstream_path}")]
    with (
        answer_next(redirect, b"", content_type="text/html", headers=location),
        received(signals.code_send_failed) as failed,
    ):
        response = post(client, path, data)
    if flow == "phone_change_code":  # sent outside the request: signalled, not answered
        assert response.status_code == 202, response.content
        assert [type(f["error"]).__name__ for f in failed] == ["BadProviderResponse"]
    else:
        assert_error(response, 502, "bad_upstream_response")
    assert lc.calls == [("POST", upstream_path)]
    assert wire.attempts == [upstream_path]
    assert OTHER_HOST.calls == []
    assert OTHER_HOST.headers == []
    sent = lc.headers[0]
    assert "X-Lc-Sign" in sent  # what a followed redirect would have carried away
    if flow.startswith("phone_change"):
        assert "X-Lc-Session" in sent
    assert "Location" not in response
    assert_no_upstream_text(response)
    assert User.objects.count() == (0 if flow in ("sms_code", "login_password") else 1)


def test_t26_the_emulators_redirect_fault_is_not_followed_either(
    api: APIClient, wire: Wire, lc: upstream.CountingApp
) -> None:
    """T26 | The emulator's own `redirect` fault (302 to `redirected.invalid`) | 502; the other
    host gets zero requests | Redirect followed."""
    upstream.EMULATOR.arm_fault("redirect")
    response = post(api, "sms-code/", {"phone": PHONE})
    assert_error(response, 502, "bad_upstream_response")
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert OTHER_HOST.calls == []
    assert sends() == 0


def test_t26_the_harness_would_see_a_followed_redirect(
    wire: Wire, lc: upstream.CountingApp
) -> None:
    """T26 (control) | A plain `requests` call that follows the same redirect | The other host
    counts it and receives the custom credential headers (requests strips only
    `Authorization`) | The zero counts above being vacuous."""
    session = scripted_session()
    headers = {"X-LC-Sign": "signature,master", "X-LC-Session": "sessiontoken0000000000000"}
    location = [("Location", f"{ELSEWHERE}/1.1/requestSmsCode")]
    with answer_next(307, b"", content_type="text/html", headers=location):
        followed = session.post(f"{upstream.SERVER_URL}/1.1/requestSmsCode", headers=headers)
    assert followed.status_code == 200
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert OTHER_HOST.calls == [("POST", "/1.1/requestSmsCode")]
    assert OTHER_HOST.headers[0]["X-Lc-Sign"] == "signature,master"
    assert OTHER_HOST.headers[0]["X-Lc-Session"] == "sessiontoken0000000000000"


# --- T27 ------------------------------------------------------------------------------------------


def _opened() -> Any:
    return caches["default"].get(breaker.state_keys(BREAKER)[0])


def _open_the_circuit(wire: Wire) -> list[dict[str, Any]]:
    """Five consecutive connect failures (each one retried once), from five clients and numbers;
    the ``circuit_state_changed`` signals they sent."""
    wire.connect[:] = [_refused] * 10
    with received(signals.circuit_state_changed) as changes:
        for n in range(5):
            client = APIClient(REMOTE_ADDR=ip(n))
            response = post(client, "sms-code/", {"phone": f"+8613{n}00138000"})
            assert_error(response, 503, "upstream_unavailable")
    assert len(wire.attempts) == 10
    assert wire.connect == []
    return changes


def test_t27_five_connect_failures_open_the_circuit_and_one_probe_closes_it(
    wire: Wire, lc: upstream.CountingApp
) -> None:
    """T27 | 5 consecutive connect failures, then a 6th request | 6th -> 503 at once (circuit
    open), no upstream call; after `reset_timeout` one probe goes through | Every request
    waiting for the full timeout during an outage."""
    changes = _open_the_circuit(wire)
    assert [(c["state"], c["failures"]) for c in changes] == [("open", 5)]
    assert _opened() is not None

    wire.attempts.clear()
    sixth = post(APIClient(REMOTE_ADDR=ip(6)), "sms-code/", {"phone": OTHER})
    assert_error(sixth, 503, "upstream_unavailable")
    assert sixth["Retry-After"] == "60"
    login = post(APIClient(REMOTE_ADDR=ip(7)), "login/", {"phone": THIRD, "password": PASSWORD})
    assert_error(login, 503, "upstream_unavailable")
    assert wire.attempts == []  # no connection attempted at all
    assert lc.calls == []

    LIMITER_CLOCK.advance(30)
    half = post(APIClient(REMOTE_ADDR=ip(8)), "sms-code/", {"phone": OTHER})
    assert_error(half, 503, "upstream_unavailable")
    assert half["Retry-After"] == "30"
    assert wire.attempts == []

    LIMITER_CLOCK.advance(31)  # past CIRCUIT_RESET_TIMEOUT: the next call is the probe
    with received(signals.circuit_state_changed) as closed:
        probe = post(APIClient(REMOTE_ADDR=ip(9)), "sms-code/", {"phone": OTHER})
    assert probe.status_code == 202, probe.content
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert [c["state"] for c in closed] == ["closed"]
    assert _opened() is None
    after = post(APIClient(REMOTE_ADDR=ip(10)), "sms-code/", {"phone": THIRD})
    assert after.status_code == 202, after.content
    assert lc.calls == [("POST", "/1.1/requestSmsCode")] * 2


def test_t27_a_failed_probe_opens_the_circuit_again(wire: Wire, lc: upstream.CountingApp) -> None:
    """T27 | The probe after `reset_timeout` fails too | 503, and the circuit is open again for a
    full `reset_timeout`: no further connection attempt | Every request waiting for the full
    timeout during an outage."""
    _open_the_circuit(wire)
    LIMITER_CLOCK.advance(61)
    wire.attempts.clear()
    wire.connect[:] = [_refused] * 2
    probe = post(APIClient(REMOTE_ADDR=ip(9)), "sms-code/", {"phone": OTHER})
    assert_error(probe, 503, "upstream_unavailable")
    assert wire.attempts == ["/1.1/requestSmsCode"] * 2
    wire.attempts.clear()
    LIMITER_CLOCK.advance(59)
    still = post(APIClient(REMOTE_ADDR=ip(10)), "sms-code/", {"phone": OTHER})
    assert_error(still, 503, "upstream_unavailable")
    assert still["Retry-After"] == "1"
    assert wire.attempts == []
    assert lc.calls == []


def test_t27_only_one_probe_at_a_time(wire: Wire, lc: upstream.CountingApp) -> None:
    """T27 | Two requests arrive while the circuit is half open | One probe goes through; the
    other gets 503 at once with no upstream call | Every request hammering a recovering
    upstream."""
    _open_the_circuit(wire)
    LIMITER_CLOCK.advance(61)
    wire.attempts.clear()
    during: list[Any] = []

    def second_request() -> None:  # arrives while the probe is on the wire
        during.append(post(APIClient(REMOTE_ADDR=ip(20)), "sms-code/", {"phone": THIRD}))

    wire.during = second_request
    probe = post(APIClient(REMOTE_ADDR=ip(9)), "sms-code/", {"phone": OTHER})
    assert probe.status_code == 202, probe.content
    assert_error(during[0], 503, "upstream_unavailable")
    assert wire.attempts == ["/1.1/requestSmsCode"]
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert sends(THIRD) == 0


def _wrong_codes(lc: upstream.CountingApp) -> None:
    api = APIClient()
    sms = request_code(api, PHONE)
    wrong = "000000" if sms != "000000" else "111111"
    for _ in range(10):
        assert_error(post(api, "signup/", {"phone": PHONE, "code": wrong}), 400, "invalid_code")


def _wrong_passwords(lc: upstream.CountingApp) -> None:
    # Five per account: LeanCloud itself locks an account at the sixth failure (219).
    _upstream_only_user(PHONE)
    _upstream_only_user(OTHER)
    for phone in (PHONE, OTHER):
        for _ in range(5):
            response = post(APIClient(), "login/", {"phone": phone, "password": "wrong-Password-9"})
            assert_error(response, 401, "invalid_credentials")
    assert lc.calls.count(("POST", "/1.1/login")) == 10


def _rate_limited(lc: upstream.CountingApp) -> None:
    with answer_next(400, {"code": 601, "error": ERRORS[601].message}, times=5):
        for n in range(5):
            client = APIClient(REMOTE_ADDR=ip(n))
            response = post(client, "sms-code/", {"phone": f"+8613{n}00138000"})
            assert_error(response, 429, "sms_rate_limited")
    with answer_next(400, {"code": 1, "error": MESSAGE_SMS_TOO_FAST}, times=5):
        for n in range(5, 10):
            client = APIClient(REMOTE_ADDR=ip(n))
            response = post(client, "sms-code/", {"phone": f"+8613{n}00138000"})
            assert_error(response, 429, "sms_rate_limited")


BUSINESS_ERRORS: dict[str, Callable[[upstream.CountingApp], None]] = {
    "603_wrong_code": _wrong_codes,
    "210_wrong_password": _wrong_passwords,
    "601_and_1_too_fast": _rate_limited,
}


@pytest.mark.parametrize("business", list(BUSINESS_ERRORS))
def test_t27_business_errors_do_not_trip_the_breaker(
    business: str, lc: upstream.CountingApp
) -> None:
    """T27 | 10 consecutive 400-class business errors (603 / 210 / 601, 1 "too fast") | They
    count as answers: the circuit stays closed and the next request reaches the upstream |
    Business errors tripping the breaker."""
    with (
        lc_phone_settings(
            CODE_ATTEMPTS=None,
            PASSWORD_ATTEMPTS=None,
            ATTEMPTS_PER_IP_MINUTE=None,
            CAPTCHA_AFTER_FAILURES=None,
        ),
        received(signals.circuit_state_changed) as changes,
    ):
        BUSINESS_ERRORS[business](lc)
        calls = len(lc.calls)
        assert calls >= 10
        assert _opened() is None
        cool_down()
        response = post(APIClient(REMOTE_ADDR=ip(50)), "sms-code/", {"phone": THIRD})
    assert response.status_code == 202, response.content
    assert len(lc.calls) == calls + 1
    assert lc.calls[-1] == ("POST", "/1.1/requestSmsCode")
    assert changes == []


def test_t27_only_consecutive_failures_count(wire: Wire, lc: upstream.CountingApp) -> None:
    """T27 | 4 connect failures, a business error (603), 4 more failures | The circuit stays
    closed (the answer reset the count); the next request reaches the upstream | A breaker
    that counts failures that were not consecutive."""
    api = APIClient(REMOTE_ADDR=ip(1))
    sms = request_code(api, PHONE)
    wrong = "000000" if sms != "000000" else "111111"

    def four_failures(first_ip: int) -> None:
        wire.connect[:] = [_refused] * 8
        for n in range(4):
            client = APIClient(REMOTE_ADDR=ip(first_ip + n))
            assert_error(post(client, "sms-code/", {"phone": OTHER}), 503, "upstream_unavailable")
        assert wire.connect == []

    four_failures(10)
    assert_error(post(api, "signup/", {"phone": PHONE, "code": wrong}), 400, "invalid_code")
    four_failures(20)
    assert _opened() is None
    wire.attempts.clear()
    response = post(APIClient(REMOTE_ADDR=ip(30)), "sms-code/", {"phone": OTHER})
    assert response.status_code == 202, response.content
    assert wire.attempts == ["/1.1/requestSmsCode"]
    assert lc.calls == [
        ("POST", "/1.1/requestSmsCode"),
        ("POST", "/1.1/usersByMobilePhone"),
        ("POST", "/1.1/requestSmsCode"),
    ]


class CountingProvider:
    """A second worker's provider: counts the calls that reach it."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def send_code(self, phone: str, **kwargs: Any) -> None:
        self.calls.append(phone)


def test_t27_every_worker_shares_the_circuit(wire: Wire, lc: upstream.CountingApp) -> None:
    """T27 | The API opens the circuit; another worker (its own provider, its own cache
    connection) calls LeanCloud | It is refused at once too, without reaching LeanCloud; its
    successful probe closes the circuit for the API as well | Per-process breakers that let
    each worker wait out the outage."""
    _open_the_circuit(wire)
    worker = caches.create_connection("default")  # as another process would connect
    assert worker.get(breaker.state_keys(BREAKER)[0]) is not None
    inner = CountingProvider()

    def other() -> None:
        breaker.call(lambda: inner.send_code(OTHER), BREAKER)

    with pytest.raises(ProviderUnavailable) as refused:
        other()
    assert refused.value.retry_after == 60
    ran: list[int] = []
    breaker.call(lambda: ran.append(1), "sms:another-remote")  # other remotes: their own
    assert ran == [1]
    assert inner.calls == []

    LIMITER_CLOCK.advance(61)
    other()  # the other worker's probe succeeds...
    assert inner.calls == [OTHER]
    assert worker.get(breaker.state_keys(BREAKER)[0]) is None
    wire.attempts.clear()
    response = post(APIClient(REMOTE_ADDR=ip(40)), "sms-code/", {"phone": THIRD})
    assert response.status_code == 202, response.content  # ...and the API is through again
    assert wire.attempts == ["/1.1/requestSmsCode"]
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]


# --- T28 ------------------------------------------------------------------------------------------

# (LeanCloud code, HTTP status, message) -> (status, code, Retry-After)
T28_ERRORS: list[tuple[int, int, str, int, str, str | None]] = [
    (601, 400, ERRORS[601].message, 429, "sms_rate_limited", "60"),
    (1, 400, MESSAGE_SMS_TOO_FAST, 429, "sms_rate_limited", "60"),
    (502, 502, "Server is in maintenance.", 503, "upstream_unavailable", "30"),
    (503, 503, ERRORS[503].message, 503, "upstream_unavailable", "30"),
    (529, 529, "Too many concurrent requests, please try again later.", 503,
     "upstream_unavailable", "30"),
    (602, 400, ERRORS[602].message, 502, "sms_delivery_failed", None),
]  # fmt: skip
T28_ENDPOINTS: dict[str, str] = {
    "sms-code/": "/1.1/requestSmsCode",
    "login/sms-code/": "/1.1/requestLoginSmsCode",
    "password-reset/sms-code/": "/1.1/requestPasswordResetBySmsCode",
    "phone/verify/sms-code/": "/1.1/requestMobilePhoneVerify",
    "phone/change/sms-code/": "/1.1/requestChangePhoneNumber",
}
# Sent outside the request (whether they go out depends on an account): LeanCloud's answer is
# signalled as this error, and the client gets the same 202 as ever.
T28_SIGNALLED: dict[str, str] = {
    "sms_rate_limited": "SendThrottled",
    "upstream_unavailable": "ProviderUnavailable",
    "sms_delivery_failed": "SmsNotDelivered",
}
T28_IN_BACKGROUND = ("login/sms-code/", "password-reset/sms-code/", "phone/change/sms-code/")


@pytest.mark.parametrize("endpoint", list(T28_ENDPOINTS))
@pytest.mark.parametrize(
    ("lc_code", "http", "message", "status", "error", "retry_after"),
    T28_ERRORS,
    ids=[f"{e[0]}-{e[1]}" for e in T28_ERRORS],
)
def test_t28_leancloud_send_errors_map_to_generic_answers(
    endpoint: str,
    lc_code: int,
    http: int,
    message: str,
    status: int,
    error: str,
    retry_after: str | None,
    lc: upstream.CountingApp,
) -> None:
    """T28 | Upstream `601` or `1` "too fast"; upstream `502`/`503`/`529`; upstream `602` | 429
    with `Retry-After`; 503; 502 — each with a generic body | Upstream error text in the
    response; retries."""
    client, phone = APIClient(), PHONE
    body: dict[str, Any] = {"phone": PHONE}
    if endpoint.startswith("phone/"):
        client, _ = signed_in(PHONE)
        if endpoint == "phone/verify/sms-code/":
            PhoneProfile.objects.update(phone_verified=False)
            body = {}
        else:
            body, phone = {"phone": OTHER}, OTHER
    sent_before = sends(phone)
    lc.calls.clear()
    background = endpoint in T28_IN_BACKGROUND
    with (
        answer_next(http, {"code": lc_code, "error": message}),
        received(signals.code_send_failed) as failed,
    ):
        response = post(client, endpoint, body)
    if background:
        assert response.status_code == 202, response.content
        assert [type(f["error"]).__name__ for f in failed] == [T28_SIGNALLED[error]]
    else:
        assert_error(response, status, error)
        assert response.get("Retry-After") == retry_after
        assert failed == []
    assert lc.calls == [("POST", T28_ENDPOINTS[endpoint])]  # no retry
    assert_no_upstream_text(response, message)
    detail = response.json()["detail"]
    assert "LeanCloud" not in detail
    assert sends(phone) == sent_before

    again = post(client, endpoint, body)
    if status != 503 or background:
        # LeanCloud answered about this number ("too fast", or it failed to deliver): our
        # cooldown stands, so the client cannot make us ask again at once. A send outside the
        # request keeps its budgets whatever happened: giving them back would tell a failed
        # send to an account from a number without one.
        assert_error(again, 429, "sms_rate_limited")
        assert len(lc.calls) == 1
    else:
        # The service was down and sent nothing: the next request may try again (once).
        assert again.status_code == 202, again.content
        assert len(lc.calls) == 2
