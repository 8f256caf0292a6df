"""LeanCloudClient against a mocked ``requests`` (the ``responses`` library): every upstream fault.

Reference: security-and-reliability.md §3.1-3.8 and tests T22-T26. A request is repeated only when
it provably never left (refused, DNS failure, connect timeout), at most once, after a jittered
backoff; anything later is reported with ``request_sent=True`` and never repeated. Every answer
that is not LeanCloud JSON is a :class:`LeanCloudBadResponse`, never a ``KeyError``.

``responses`` patches requests only, so these clients are given a ``requests.Session`` (the
``session=`` path, as ``HTTP_SESSION_FACTORY`` gives one). The signing, bodies and parsing seen
here are the same on the default urllib3 path; its own faults, raised by urllib3 at the socket,
are in ``test_transport_pool.py``.
"""

from __future__ import annotations

import hashlib
import json
import random
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses
import urllib3
from urllib3.connection import HTTPConnection
from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)

from django_lc_phone.leancloud import (
    LeanCloudAuthError,
    LeanCloudBadResponse,
    LeanCloudClient,
    LeanCloudConnectionError,
    LeanCloudError,
    LeanCloudInvalidArgument,
    LeanCloudInvalidCode,
    LeanCloudMasterKeyMissing,
    LeanCloudTimeout,
    LeanCloudUnavailable,
    RetryPolicy,
)
from django_lc_phone.leancloud.senders import SessionSender
from django_lc_phone.leancloud.transport import Transport

SERVER = "https://lc.example.test"
OTHER_HOST = "https://elsewhere.example.test"
APP_ID = "transport-faults-app"
# The documented signing example's keys [leancloud-rest-api.md §1.3].
APP_KEY = "UtOCzqb67d3sN12Kts4URwy8"
MASTER_KEY = "DyJegPlemooo4X1tg94gQkw1"
TS_MS = 1453014943466
APP_SIGN = "d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466"
MASTER_SIGN = "e074720658078c898aa0d4b1b82bdf4b,1453014943466,master"

PHONE = "+8613800138000"
CODE = "123456"
OBJECT_ID = "5f0c7e2a9b1d4c3e8f6a0b1c"
TOKEN = "abcdefghijklmnopqrstuvwxy"
PASSWORD = "s3cret-pw"
BACKOFF_BASE = 0.25

USER_BODY: dict[str, Any] = {
    "objectId": OBJECT_ID,
    "username": PHONE,
    "mobilePhoneNumber": PHONE,
    "mobilePhoneVerified": True,
    "sessionToken": TOKEN,
    "createdAt": "2024-01-02T03:04:05.678Z",
    "updatedAt": "2024-01-02T03:04:05.678Z",
}


# --- the calls ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One client call and what it must put on the wire."""

    name: str
    method: str
    path: str
    invoke: Callable[[LeanCloudClient], object]
    body_keys: frozenset[str] | None  # None: no request body at all
    ok_body: dict[str, Any] = field(default_factory=dict)
    master: bool = False
    session: bool = False
    query: str = ""

    @property
    def url(self) -> str:
        return SERVER + self.path


def keys(*names: str) -> frozenset[str]:
    return frozenset(names)


CALLS: list[Call] = [
    Call(
        "request_sms_code",
        "POST",
        "/1.1/requestSmsCode",
        lambda c: c.request_sms_code(PHONE),
        keys("mobilePhoneNumber", "smsType"),
    ),
    Call(
        "request_sms_code_options",
        "POST",
        "/1.1/requestSmsCode",
        lambda c: c.request_sms_code(
            PHONE, ttl=5, name="App", op="login", template="t1", sign="S", variables={"v": "x"}
        ),
        keys("mobilePhoneNumber", "smsType", "ttl", "name", "op", "template", "sign", "v"),
    ),
    Call(
        "request_sms_code_master",
        "POST",
        "/1.1/requestSmsCode",
        lambda c: c.request_sms_code(PHONE, use_master_key=True),
        keys("mobilePhoneNumber", "smsType"),
        master=True,
    ),
    Call(
        "verify_sms_code",
        "POST",
        f"/1.1/verifySmsCode/{CODE}",
        lambda c: c.verify_sms_code(PHONE, CODE),
        keys("mobilePhoneNumber"),
    ),
    Call(
        "signup_or_login_by_mobile_phone",
        "POST",
        "/1.1/usersByMobilePhone",
        lambda c: c.signup_or_login_by_mobile_phone(PHONE, CODE),
        keys("mobilePhoneNumber", "smsCode"),
        USER_BODY,
    ),
    Call(
        "signup_with_password",
        "POST",
        "/1.1/usersByMobilePhone",
        lambda c: c.signup_or_login_by_mobile_phone(PHONE, CODE, username="u", password=PASSWORD),
        keys("mobilePhoneNumber", "smsCode", "username", "password"),
        USER_BODY,
    ),
    Call(
        "request_login_sms_code",
        "POST",
        "/1.1/requestLoginSmsCode",
        lambda c: c.request_login_sms_code(PHONE),
        keys("mobilePhoneNumber"),
    ),
    Call(
        "login_with_sms_code",
        "POST",
        "/1.1/login",
        lambda c: c.login_with_sms_code(PHONE, CODE),
        keys("mobilePhoneNumber", "smsCode"),
        USER_BODY,
    ),
    Call(
        "login_with_password",
        "POST",
        "/1.1/login",
        lambda c: c.login_with_password(PHONE, PASSWORD),
        keys("mobilePhoneNumber", "password"),
        USER_BODY,
    ),
    Call(
        "request_password_reset_by_sms_code",
        "POST",
        "/1.1/requestPasswordResetBySmsCode",
        lambda c: c.request_password_reset_by_sms_code(PHONE),
        keys("mobilePhoneNumber"),
    ),
    Call(
        "reset_password_by_sms_code",
        "PUT",
        f"/1.1/resetPasswordBySmsCode/{CODE}",
        lambda c: c.reset_password_by_sms_code(PHONE, CODE, PASSWORD),
        keys("mobilePhoneNumber", "password"),
    ),
    Call(
        "request_mobile_phone_verify",
        "POST",
        "/1.1/requestMobilePhoneVerify",
        lambda c: c.request_mobile_phone_verify(PHONE, validate_token="vt-1"),
        keys("mobilePhoneNumber", "validate_token"),
    ),
    Call(
        "verify_mobile_phone",
        "POST",
        f"/1.1/verifyMobilePhone/{CODE}",
        lambda c: c.verify_mobile_phone(PHONE, CODE),
        keys("mobilePhoneNumber"),
    ),
    Call(
        "request_change_phone_number",
        "POST",
        "/1.1/requestChangePhoneNumber",
        lambda c: c.request_change_phone_number(PHONE, session_token=TOKEN),
        keys("mobilePhoneNumber"),
        session=True,
    ),
    Call(
        "change_phone_number",
        "POST",
        "/1.1/changePhoneNumber",
        lambda c: c.change_phone_number(PHONE, CODE, session_token=TOKEN),
        keys("mobilePhoneNumber", "code"),
        session=True,
    ),
    Call(
        "request_captcha",
        "GET",
        "/1.1/requestCaptcha",
        lambda c: c.request_captcha(width=85),
        None,
        {"captcha_token": "abcd1234", "captcha_url": "https://captcha.example.test/a.png"},
        query="width=85",
    ),
    Call(
        "request_captcha_master",
        "GET",
        "/1.1/requestCaptcha",
        lambda c: c.request_captcha(size=4, ttl=60),
        None,
        {"captcha_token": "abcd1234", "captcha_url": "https://captcha.example.test/a.png"},
        master=True,
        query="size=4&ttl=60",
    ),
    Call(
        "verify_captcha",
        "POST",
        "/1.1/verifyCaptcha",
        lambda c: c.verify_captcha("ab12", "abcd1234"),
        keys("captcha_code", "captcha_token"),
        {"validate_token": "vt-1"},
    ),
    Call(
        "get_current_user",
        "GET",
        "/1.1/users/me",
        lambda c: c.get_current_user(TOKEN),
        None,
        USER_BODY,
        session=True,
    ),
    Call(
        "get_user",
        "GET",
        f"/1.1/classes/_User/{OBJECT_ID}",
        lambda c: c.get_user(OBJECT_ID),
        None,
        USER_BODY,
    ),
    Call(
        "get_user_session",
        "GET",
        f"/1.1/classes/_User/{OBJECT_ID}",
        lambda c: c.get_user(OBJECT_ID, session_token=TOKEN),
        None,
        USER_BODY,
        session=True,
    ),
    Call(
        "get_user_master",
        "GET",
        f"/1.1/classes/_User/{OBJECT_ID}",
        lambda c: c.get_user(OBJECT_ID, use_master_key=True),
        None,
        USER_BODY,
        master=True,
    ),
    Call(
        "update_user",
        "PUT",
        f"/1.1/classes/_User/{OBJECT_ID}",
        lambda c: c.update_user(OBJECT_ID, {"nickname": "n"}, session_token=TOKEN),
        keys("nickname"),
        {"objectId": OBJECT_ID, "updatedAt": "2024-01-02T03:04:05.678Z"},
        session=True,
    ),
    Call(
        "update_user_master",
        "PUT",
        f"/1.1/classes/_User/{OBJECT_ID}",
        lambda c: c.update_user(OBJECT_ID, {"nickname": "n"}, use_master_key=True),
        keys("nickname"),
        {"objectId": OBJECT_ID, "updatedAt": "2024-01-02T03:04:05.678Z"},
        master=True,
    ),
    Call(
        "refresh_session_token",
        "PUT",
        f"/1.1/users/{OBJECT_ID}/refreshSessionToken",
        lambda c: c.refresh_session_token(OBJECT_ID, session_token=TOKEN),
        None,
        USER_BODY,
        session=True,
    ),
    Call(
        "refresh_session_token_master",
        "PUT",
        f"/1.1/users/{OBJECT_ID}/refreshSessionToken",
        lambda c: c.refresh_session_token(OBJECT_ID, use_master_key=True),
        None,
        USER_BODY,
        master=True,
    ),
    Call(
        "update_password",
        "PUT",
        f"/1.1/users/{OBJECT_ID}/updatePassword",
        lambda c: c.update_password(OBJECT_ID, "old-pw", "new-pw", session_token=TOKEN),
        keys("old_password", "new_password"),
        USER_BODY,
        session=True,
    ),
    Call(
        "scan_users",
        "GET",
        "/1.1/scan/classes/_User",
        lambda c: c.scan_users(limit=10),
        None,
        {"results": [{"objectId": OBJECT_ID}], "cursor": None},
        master=True,
        query="limit=10",
    ),
]
BY_NAME = {call.name: call for call in CALLS}
# The calls that burn a code, send an SMS or count toward a lockout (§3.2 of the reference).
SIDE_EFFECT_CALLS = [
    BY_NAME[name]
    for name in (
        "request_sms_code",
        "verify_sms_code",
        "signup_or_login_by_mobile_phone",
        "login_with_password",
        "reset_password_by_sms_code",
    )
]
USER_CALLS = [
    BY_NAME[name]
    for name in (
        "signup_or_login_by_mobile_phone",
        "login_with_sms_code",
        "login_with_password",
        "get_current_user",
    )
]


def name_of(call: Call) -> str:
    return call.name


# --- fixtures -------------------------------------------------------------------------------


@pytest.fixture
def mocked() -> Iterator[responses.RequestsMock]:
    """Every request made through ``requests`` goes to the registered fakes (none to the net)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def sleeps() -> list[float]:
    """The delays the client slept for, in order."""
    return []


class TickingClock:
    """A clock that starts at the documented timestamp and moves ``step`` seconds per read."""

    def __init__(self, step: float = 0.0) -> None:
        self.now = TS_MS / 1000
        self.step = step

    def __call__(self) -> float:
        now = self.now
        self.now += self.step
        return now


def build(sleeps: list[float], **options: Any) -> LeanCloudClient:
    options.setdefault("retry", RetryPolicy(max_connect_retries=1, backoff_base=BACKOFF_BASE))
    options.setdefault("clock", TickingClock())
    return LeanCloudClient(
        APP_ID,
        APP_KEY,
        master_key=MASTER_KEY,
        server_url=SERVER,
        sleep=sleeps.append,
        session=requests.Session(),  # what responses patches
        **options,
    )


@pytest.fixture
def client(mocked: responses.RequestsMock, sleeps: list[float]) -> Iterator[LeanCloudClient]:
    lc = build(sleeps)
    yield lc
    lc.close()


def register(mocked: responses.RequestsMock, call: Call, **answer: Any) -> None:
    if not answer:
        answer = {"json": call.ok_body, "status": 200}
    mocked.add(call.method, call.url, **answer)


def body_text(body: bytes | str | None) -> str:
    assert body is not None
    return body.decode() if isinstance(body, bytes) else body


def md5_sign(key: str, timestamp_ms: int) -> str:
    """The signature computed independently of ``wire``: md5(timestamp + key), lowercase hex."""
    return hashlib.md5(f"{timestamp_ms}{key}".encode(), usedforsecurity=False).hexdigest()


# --- the exceptions requests raises for each fault (as built by requests' HTTPAdapter) ----------


def _pool() -> urllib3.HTTPSConnectionPool:
    return urllib3.HTTPSConnectionPool("lc.example.test", 443)


def _conn() -> HTTPConnection:
    return HTTPConnection("lc.example.test", 443)


def refused(url: str) -> requests.RequestException:
    cause = NewConnectionError(_conn(), "Failed to establish a new connection: [Errno 111] refused")
    return requests.ConnectionError(MaxRetryError(_pool(), urlsplit(url).path, cause))


def dns_failure(url: str) -> requests.RequestException:
    gaierror = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    cause = NameResolutionError("lc.example.test", _conn(), gaierror)
    return requests.ConnectionError(MaxRetryError(_pool(), urlsplit(url).path, cause))


def connect_timeout(url: str) -> requests.RequestException:
    cause = ConnectTimeoutError(_conn(), "Connection to lc.example.test timed out.")
    return requests.ConnectTimeout(MaxRetryError(_pool(), urlsplit(url).path, cause))


def read_timeout(url: str) -> requests.RequestException:
    cause = ReadTimeoutError(_pool(), urlsplit(url).path, "Read timed out. (read timeout=10.0)")
    return requests.ReadTimeout(cause)


def dropped(url: str) -> requests.RequestException:
    from http.client import RemoteDisconnected

    cause = ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed"))
    return requests.ConnectionError(cause)


def read_timeout_mid_body(url: str) -> requests.RequestException:
    """What requests raises when the read times out after the headers (``iter_content``)."""
    cause = ReadTimeoutError(_pool(), urlsplit(url).path, "Read timed out.")
    return requests.ConnectionError(cause)


def dropped_mid_body(url: str) -> requests.RequestException:
    cause = ProtocolError("Response ended prematurely")
    return requests.exceptions.ChunkedEncodingError(cause)


NEVER_SENT: dict[str, tuple[Callable[[str], requests.RequestException], type[LeanCloudError]]] = {
    "refused": (refused, LeanCloudConnectionError),
    "dns_failure": (dns_failure, LeanCloudConnectionError),
    "connect_timeout": (connect_timeout, LeanCloudTimeout),
}


# --- headers and bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("call", CALLS, ids=name_of)
def test_headers_and_body_on_the_wire(
    call: Call, client: LeanCloudClient, mocked: responses.RequestsMock
) -> None:
    register(mocked, call)
    call.invoke(client)

    [sent] = mocked.calls
    request = sent.request
    url = urlsplit(str(request.url))
    assert (request.method, f"{url.scheme}://{url.netloc}", url.path) == (
        call.method, SERVER, call.path,
    )  # fmt: skip
    assert url.query == call.query
    headers = request.headers
    assert headers["X-LC-Id"] == APP_ID
    key = MASTER_KEY if call.master else APP_KEY
    expected_sign = f"{md5_sign(key, TS_MS)},{TS_MS}" + (",master" if call.master else "")
    assert headers["X-LC-Sign"] == expected_sign
    assert headers["X-LC-Sign"] == (MASTER_SIGN if call.master else APP_SIGN)  # the doc example
    assert "X-LC-Key" not in headers
    if call.session:
        assert headers["X-LC-Session"] == TOKEN
    else:
        assert "X-LC-Session" not in headers
    for value in headers.values():  # no key ever travels, in any header
        assert APP_KEY not in str(value)
        assert MASTER_KEY not in str(value)
    if call.body_keys is None:
        assert request.body is None
    else:
        assert headers["Content-Type"] == "application/json"
        text = body_text(request.body)
        assert set(json.loads(text)) == call.body_keys
        assert APP_KEY not in text
        assert MASTER_KEY not in text


def test_request_sms_code_body_values(client: LeanCloudClient, mocked: responses.RequestsMock):
    call = BY_NAME["request_sms_code_options"]
    register(mocked, call)
    call.invoke(client)
    assert json.loads(body_text(mocked.calls[0].request.body)) == {
        "mobilePhoneNumber": PHONE,
        "smsType": "sms",
        "ttl": 5,
        "name": "App",
        "op": "login",
        "template": "t1",
        "sign": "S",
        "v": "x",
    }


@pytest.mark.parametrize(
    "reserved", ["mobilePhoneNumber", "smsType", "ttl", "template", "sign", "validate_token"]
)
def test_template_variables_cannot_override_request_keys(
    reserved: str, client: LeanCloudClient, mocked: responses.RequestsMock
) -> None:
    register(mocked, BY_NAME["request_sms_code"])
    with pytest.raises(LeanCloudInvalidArgument):
        client.request_sms_code(PHONE, variables={reserved: "+8613900000000"})
    assert len(mocked.calls) == 0


def test_headers_are_per_call_and_never_shared(
    client: LeanCloudClient, mocked: responses.RequestsMock
) -> None:
    """A session token passed to one call never rides along on the next (T34)."""
    for call in (BY_NAME["get_current_user"], BY_NAME["get_user"], BY_NAME["scan_users"]):
        register(mocked, call)
    client.get_current_user(TOKEN)
    client.get_user(OBJECT_ID)
    client.scan_users(limit=10)
    first, second, third = (c.request.headers for c in mocked.calls)
    assert first["X-LC-Session"] == TOKEN
    assert "X-LC-Session" not in second
    assert "X-LC-Session" not in third
    assert not first["X-LC-Sign"].endswith(",master")
    assert not second["X-LC-Sign"].endswith(",master")
    assert third["X-LC-Sign"].endswith(",master")
    sender = client.transport.sender
    assert isinstance(sender, SessionSender)
    assert "X-LC-Session" not in sender.session.headers
    assert "X-LC-Sign" not in sender.session.headers


def test_signature_uses_the_injected_clock_in_milliseconds(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    clock = TickingClock()
    clock.now = 1_700_000_000.25
    lc = build(sleeps, clock=clock)
    register(mocked, BY_NAME["request_sms_code"])
    lc.request_sms_code(PHONE)
    sign, ts = mocked.calls[0].request.headers["X-LC-Sign"].split(",")
    assert ts == "1700000000250"
    assert sign == md5_sign(APP_KEY, 1_700_000_000_250)


def test_master_calls_without_a_master_key_send_nothing(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    lc = LeanCloudClient(
        APP_ID, APP_KEY, server_url=SERVER, sleep=sleeps.append, session=requests.Session()
    )
    for call in CALLS:
        if call.master:
            register(mocked, call)
            with pytest.raises(LeanCloudMasterKeyMissing):
                call.invoke(lc)
    assert len(mocked.calls) == 0


# --- faults before the request left: retried once ----------------------------------------------


@pytest.mark.parametrize("fault", sorted(NEVER_SENT))
@pytest.mark.parametrize("call", [*SIDE_EFFECT_CALLS, BY_NAME["get_current_user"]], ids=name_of)
def test_connect_failure_is_retried_exactly_once(
    fault: str,
    call: Call,
    client: LeanCloudClient,
    mocked: responses.RequestsMock,
    sleeps: list[float],
) -> None:
    make, expected = NEVER_SENT[fault]
    register(mocked, call, body=make(call.url))
    with pytest.raises(LeanCloudError) as info:
        call.invoke(client)
    assert type(info.value) is expected
    assert info.value.request_sent is False
    assert (info.value.code, info.value.status) == (None, None)
    assert len(mocked.calls) == 2
    assert len(sleeps) == 1


@pytest.mark.parametrize("fault", sorted(NEVER_SENT))
def test_connect_failure_then_success(
    fault: str, client: LeanCloudClient, mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    call = BY_NAME["signup_or_login_by_mobile_phone"]
    register(mocked, call, body=NEVER_SENT[fault][0](call.url))
    register(mocked, call)
    result = client.signup_or_login_by_mobile_phone(PHONE, CODE)
    assert result.user.object_id == OBJECT_ID
    assert len(mocked.calls) == 2
    assert len(sleeps) == 1


def test_connect_retry_signs_each_attempt_afresh(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    lc = build(sleeps, clock=TickingClock(step=1.5))
    call = BY_NAME["request_sms_code"]
    register(mocked, call, body=refused(call.url))
    register(mocked, call)
    lc.request_sms_code(PHONE)

    signs = [c.request.headers["X-LC-Sign"] for c in mocked.calls]
    assert len(signs) == 2
    assert signs[0] != signs[1]
    stamps = []
    for value in signs:
        sign, ts = value.split(",")
        assert sign == md5_sign(APP_KEY, int(ts))
        stamps.append(int(ts))
    assert stamps[1] > stamps[0]


def test_no_retry_when_the_policy_allows_none(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    lc = build(sleeps, retry=RetryPolicy(max_connect_retries=0))
    call = BY_NAME["request_sms_code"]
    register(mocked, call, body=refused(call.url))
    with pytest.raises(LeanCloudConnectionError) as info:
        lc.request_sms_code(PHONE)
    assert info.value.request_sent is False
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_more_retries_back_off_with_growing_capped_ceilings(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    ceilings: list[tuple[float, float]] = []

    def uniform(low: float, high: float) -> float:
        ceilings.append((low, high))
        return high

    policy = RetryPolicy(max_connect_retries=4, backoff_base=0.5, backoff_cap=1.5)
    transport = Transport(
        SERVER,
        connect_timeout=1,
        read_timeout=1,
        retry=policy,
        session=requests.Session(),
        sleep=sleeps.append,
        uniform=uniform,
    )
    mocked.add("GET", SERVER + "/1.1/date", body=refused(SERVER))
    with pytest.raises(LeanCloudConnectionError):
        transport.request("GET", "/1.1/date", route="/1.1/date", headers=lambda: {})
    assert len(mocked.calls) == 5
    assert ceilings == [(0.0, 0.5), (0.0, 1.0), (0.0, 1.5), (0.0, 1.5)]
    assert sleeps == [0.5, 1.0, 1.5, 1.5]


def test_first_backoff_is_full_jitter_within_the_base(
    mocked: responses.RequestsMock, sleeps: list[float]
) -> None:
    call = BY_NAME["request_sms_code"]
    register(mocked, call, body=refused(call.url))
    random.seed(20240101)
    for _ in range(30):
        lc = build(sleeps)
        with pytest.raises(LeanCloudConnectionError):
            lc.request_sms_code(PHONE)
    assert len(sleeps) == 30
    assert all(0.0 <= delay <= BACKOFF_BASE for delay in sleeps)
    assert len(set(sleeps)) > 1  # jittered, not a fixed delay


@pytest.mark.parametrize(
    ("retry_number", "ceiling"), [(1, 0.1), (2, 0.2), (3, 0.4), (5, 1.6), (6, 2.0), (30, 2.0)]
)
def test_retry_policy_delay_is_full_jitter_up_to_a_capped_ceiling(
    retry_number: int, ceiling: float
) -> None:
    policy = RetryPolicy(max_connect_retries=30, backoff_base=0.1, backoff_cap=2.0)
    seen: list[tuple[float, float]] = []

    def top(low: float, high: float) -> float:
        seen.append((low, high))
        return high

    assert policy.delay(retry_number, top) == pytest.approx(ceiling)
    [(low, high)] = seen
    assert low == 0.0
    assert high == pytest.approx(ceiling)
    assert policy.delay(retry_number, lambda low, high: low) == 0.0
    assert 0.0 <= policy.delay(retry_number, random.uniform) <= ceiling


def test_retry_policy_defaults() -> None:
    assert RetryPolicy() == RetryPolicy(max_connect_retries=1, backoff_base=0.1, backoff_cap=2.0)


@pytest.mark.parametrize("session", [requests.Session, None], ids=["session", "pool"])
def test_a_real_refused_connection_is_never_sent(
    session: Callable[[], requests.Session] | None, sleeps: list[float]
) -> None:
    """The hand-built exceptions above match what requests raises for a closed local port,
    and the default (urllib3) path reads the same fault the same way."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    lc = LeanCloudClient(
        APP_ID,
        APP_KEY,
        server_url=f"http://127.0.0.1:{port}",
        sleep=sleeps.append,
        session=session() if session else None,
    )
    with pytest.raises(LeanCloudConnectionError) as info:
        lc.verify_sms_code(PHONE, CODE)
    assert type(info.value) is LeanCloudConnectionError
    assert info.value.request_sent is False
    assert len(sleeps) == 1
    lc.close()


# --- faults after the request left: never retried ----------------------------------------------


@pytest.mark.parametrize("make", [read_timeout, read_timeout_mid_body], ids=["headers", "body"])
@pytest.mark.parametrize("call", CALLS, ids=name_of)
def test_read_timeout_is_never_retried(
    make: Callable[[str], requests.RequestException],
    call: Call,
    client: LeanCloudClient,
    mocked: responses.RequestsMock,
    sleeps: list[float],
) -> None:
    register(mocked, call, body=make(call.url))
    register(mocked, call)  # a second attempt would succeed: it must not happen
    with pytest.raises(LeanCloudError) as info:
        call.invoke(client)
    assert type(info.value) is LeanCloudTimeout
    assert info.value.request_sent is True
    assert len(mocked.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize("make", [dropped, dropped_mid_body], ids=["aborted", "mid_body"])
@pytest.mark.parametrize("call", CALLS, ids=name_of)
def test_dropped_connection_is_never_retried(
    make: Callable[[str], requests.RequestException],
    call: Call,
    client: LeanCloudClient,
    mocked: responses.RequestsMock,
    sleeps: list[float],
) -> None:
    register(mocked, call, body=make(call.url))
    register(mocked, call)
    with pytest.raises(LeanCloudError) as info:
        call.invoke(client)
    assert type(info.value) is LeanCloudConnectionError
    assert info.value.request_sent is True
    assert len(mocked.calls) == 1
    assert sleeps == []


# --- answers that are not LeanCloud's: LeanCloudBadResponse ------------------------------------

HTML = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
DEEP = "[" * 100_000 + "]" * 100_000

BAD_ANSWERS: dict[str, dict[str, Any]] = {
    "500_html": {"status": 500, "body": HTML, "content_type": "text/html"},
    "502_html": {"status": 502, "body": HTML, "content_type": "text/html"},
    "503_html": {"status": 503, "body": HTML, "content_type": "text/html"},
    "504_plain": {"status": 504, "body": "upstream timed out", "content_type": "text/plain"},
    "400_html": {"status": 400, "body": HTML, "content_type": "text/html"},
    "500_json_not_leancloud": {"status": 500, "json": {"message": "Internal Server Error"}},
    "500_json_code_only": {"status": 500, "json": {"code": 1}},
    "400_json_code_is_text": {"status": 400, "json": {"code": "603", "error": "Invalid"}},
    "400_json_code_is_bool": {"status": 400, "json": {"code": True, "error": "Invalid"}},
    "400_json_error_not_text": {"status": 400, "json": {"code": 603, "error": {"x": 1}}},
    "400_json_array": {"status": 400, "json": [603, "Invalid SMS code."]},
    "200_plain": {"status": 200, "body": "OK", "content_type": "text/plain"},
    "200_html": {"status": 200, "body": HTML, "content_type": "text/html"},
    "200_empty_no_type": {"status": 200, "body": b"", "content_type": None},
    "200_empty_json": {"status": 200, "body": b"", "content_type": "application/json"},
    "200_json_array": {"status": 200, "json": [{"objectId": OBJECT_ID}]},
    "200_json_null": {"status": 200, "body": "null", "content_type": "application/json"},
    "200_json_number": {"status": 200, "body": "42", "content_type": "application/json"},
    "200_json_string": {"status": 200, "body": '"ok"', "content_type": "application/json"},
    "200_json_error_key": {"status": 200, "json": {"code": 603, "error": "Invalid SMS code."}},
    "201_json_error_key": {"status": 201, "json": {"error": "something"}},
    "200_malformed": {"status": 200, "body": '{"objectId": ', "content_type": "application/json"},
    "200_trailing_garbage": {"status": 200, "body": "{} {}", "content_type": "application/json"},
    "200_not_utf8": {
        "status": 200,
        "body": b'{"a": "\xff\xfe"}',
        "content_type": "application/json",
    },
    "200_nan": {"status": 200, "body": '{"a": NaN', "content_type": "application/json"},
    "200_deeply_nested": {"status": 200, "body": DEEP, "content_type": "application/json"},
    "400_malformed": {"status": 400, "body": '{"code": 603,', "content_type": "application/json"},
}


@pytest.mark.parametrize("answer", sorted(BAD_ANSWERS))
@pytest.mark.parametrize("call", SIDE_EFFECT_CALLS, ids=name_of)
def test_answers_that_are_not_leancloud_json(
    answer: str,
    call: Call,
    client: LeanCloudClient,
    mocked: responses.RequestsMock,
    sleeps: list[float],
) -> None:
    spec = BAD_ANSWERS[answer]
    register(mocked, call, **spec)
    register(mocked, call)  # never retried
    with pytest.raises(LeanCloudError) as info:
        call.invoke(client)
    error = info.value
    assert type(error) is LeanCloudBadResponse, repr(error)
    assert isinstance(error, LeanCloudError)
    assert error.status == spec["status"]
    assert error.code is None
    assert error.request_sent is True
    assert len(mocked.calls) == 1
    assert sleeps == []


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (503, 503, LeanCloudUnavailable),  # app disabled / read-only
        (502, 502, LeanCloudUnavailable),  # maintenance
        (503, 529, LeanCloudUnavailable),  # IP concurrency
        (500, 1, LeanCloudUnavailable),  # the catch-all code on a 5xx
        (500, 124, LeanCloudUnavailable),  # server-side timeout
        (500, 9999, LeanCloudUnavailable),  # an unknown code on a 5xx
        (500, 603, LeanCloudInvalidCode),  # a known code keeps its meaning
        (401, 401, LeanCloudAuthError),
    ],
)
@pytest.mark.parametrize("call", SIDE_EFFECT_CALLS, ids=name_of)
def test_error_statuses_with_a_leancloud_body(
    status: int,
    code: int,
    expected: type[LeanCloudError],
    call: Call,
    client: LeanCloudClient,
    mocked: responses.RequestsMock,
    sleeps: list[float],
) -> None:
    register(mocked, call, status=status, json={"code": code, "error": "The upstream's text."})
    register(mocked, call)
    with pytest.raises(LeanCloudError) as info:
        call.invoke(client)
    error = info.value
    assert type(error) is expected
    assert (error.code, error.status, error.request_sent) == (code, status, True)
    assert error.message == "The upstream's text."
    assert len(mocked.calls) == 1
    assert sleeps == []


def test_leancloud_content_type_with_charset_is_json(
    client: LeanCloudClient, mocked: responses.RequestsMock
) -> None:
    """The real service answers ``application/json;charset=utf-8``."""
    call = BY_NAME["signup_or_login_by_mobile_phone"]
    register(
        mocked,
        call,
        status=200,
        body=json.dumps(USER_BODY),
        content_type="application/json;charset=utf-8",
    )
    result = client.signup_or_login_by_mobile_phone(PHONE, CODE)
    assert (result.user.object_id, result.created) == (OBJECT_ID, False)


# --- success bodies missing what the caller needs --------------------------------------------

TEN_KB_ID = "a" * 10_240


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in USER_BODY.items() if k != key}


INCOMPLETE_USERS: dict[str, dict[str, Any]] = {
    "object_id_missing": _without("objectId"),
    "object_id_int": {**USER_BODY, "objectId": 123},
    "object_id_null": {**USER_BODY, "objectId": None},
    "object_id_list": {**USER_BODY, "objectId": [OBJECT_ID]},
    "object_id_10kb": {**USER_BODY, "objectId": TEN_KB_ID},
    "object_id_path": {**USER_BODY, "objectId": "../../users/me"},
    "object_id_upper_hex": {**USER_BODY, "objectId": OBJECT_ID.upper()},
    "object_id_newline": {**USER_BODY, "objectId": OBJECT_ID + "\n"},
    "session_token_missing": _without("sessionToken"),
    "session_token_int": {**USER_BODY, "sessionToken": 12345678901234},
    "session_token_empty": {**USER_BODY, "sessionToken": ""},
    "session_token_10kb": {**USER_BODY, "sessionToken": "a" * 10_240},
    "session_token_header_injection": {**USER_BODY, "sessionToken": TOKEN + "\r\nX-Evil: 1"},
    "verified_not_bool": {**USER_BODY, "mobilePhoneVerified": "true"},
    "username_not_str": {**USER_BODY, "username": 42},
    "phone_not_str": {**USER_BODY, "mobilePhoneNumber": 8613800138000},
    "created_at_not_a_date": {**USER_BODY, "createdAt": "yesterday"},
    "created_at_number": {**USER_BODY, "createdAt": 1700000000},
    "empty_object": {},
}


@pytest.mark.parametrize("body", sorted(INCOMPLETE_USERS))
@pytest.mark.parametrize("call", USER_CALLS, ids=name_of)
def test_incomplete_user_bodies(
    body: str, call: Call, client: LeanCloudClient, mocked: responses.RequestsMock
) -> None:
    register(mocked, call, status=200, json=INCOMPLETE_USERS[body])
    with pytest.raises(LeanCloudError) as info:
        call.invoke(client)
    assert type(info.value) is LeanCloudBadResponse
    assert info.value.request_sent is True
    assert TEN_KB_ID not in str(info.value)  # the junk is not echoed into the message
    assert len(mocked.calls) == 1


INCOMPLETE_OTHERS: list[tuple[str, dict[str, Any]]] = [
    ("update_user", {"updatedAt": "2024-01-02T03:04:05.678Z"}),
    ("update_user", {"objectId": TEN_KB_ID}),
    ("refresh_session_token", _without("sessionToken")),
    ("refresh_session_token", _without("objectId")),
    ("update_password", _without("sessionToken")),
    ("update_password", {**USER_BODY, "sessionToken": ["x"]}),
    ("get_user", {**USER_BODY, "objectId": TEN_KB_ID}),
    ("scan_users", {"results": {"objectId": OBJECT_ID}}),
    ("scan_users", {"results": [{"objectId": OBJECT_ID}, "x"]}),
    ("scan_users", {"results": [{"username": "no-id"}]}),
    ("scan_users", {"results": [], "cursor": 12}),
    ("scan_users", {}),
    ("request_captcha", {"captcha_url": "https://captcha.example.test/a.png"}),
    ("request_captcha", {"captcha_token": "abcd1234", "captcha_url": "javascript:alert(1)"}),
    ("request_captcha", {"captcha_token": "../x", "captcha_url": "https://c.example.test/a"}),
    ("verify_captcha", {}),
    ("verify_captcha", {"validate_token": "v" * 10_240}),
]


@pytest.mark.parametrize(
    ("name", "body"),
    INCOMPLETE_OTHERS,
    ids=[f"{n}-{i}" for i, (n, _) in enumerate(INCOMPLETE_OTHERS)],
)
def test_incomplete_bodies_of_other_calls(
    name: str, body: dict[str, Any], client: LeanCloudClient, mocked: responses.RequestsMock
) -> None:
    call = BY_NAME[name]
    register(mocked, call, status=200, json=body)
    with pytest.raises(LeanCloudError) as info:
        call.invoke(client)
    assert type(info.value) is LeanCloudBadResponse
    assert len(mocked.calls) == 1


# --- redirects ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
@pytest.mark.parametrize(
    "call",
    [*SIDE_EFFECT_CALLS, BY_NAME["get_current_user"]],
    ids=name_of,
)
def test_redirects_are_refused_and_never_followed(
    status: int, call: Call, client: LeanCloudClient, mocked: responses.RequestsMock
) -> None:
    target = OTHER_HOST + call.path
    register(mocked, call, status=status, headers={"Location": target}, body="")
    for method in ("GET", "POST", "PUT"):
        mocked.add(method, target, json=call.ok_body)
    with pytest.raises(LeanCloudError) as info:
        call.invoke(client)
    assert type(info.value) is LeanCloudBadResponse
    assert (info.value.status, info.value.request_sent) == (status, True)
    assert len(mocked.calls) == 1
    assert [c for c in mocked.calls if str(c.request.url).startswith(OTHER_HOST)] == []


def test_redirect_on_the_same_host_is_refused_too(
    client: LeanCloudClient, mocked: responses.RequestsMock
) -> None:
    call = BY_NAME["request_sms_code"]
    register(mocked, call, status=307, headers={"Location": "/1.1/elsewhere"}, body="")
    mocked.add("POST", SERVER + "/1.1/elsewhere", json={})
    with pytest.raises(LeanCloudBadResponse):
        client.request_sms_code(PHONE)
    assert len(mocked.calls) == 1


# --- what the error keeps out of a traceback -----------------------------------------------


@pytest.mark.parametrize(
    "make",
    [refused, dns_failure, connect_timeout, read_timeout, read_timeout_mid_body, dropped],
    ids=lambda f: f.__name__,
)
def test_connection_errors_do_not_carry_the_code_in_their_chain(
    make: Callable[[str], requests.RequestException],
    client: LeanCloudClient,
    mocked: responses.RequestsMock,
) -> None:
    """A logged traceback (``logger.exception``, Django's 500 log) must not hold the SMS code,
    which requests' own exception puts in its message (``Max retries exceeded with url: ...``)."""
    import traceback

    call = BY_NAME["verify_sms_code"]
    register(mocked, call, body=make(call.url))
    with pytest.raises(LeanCloudConnectionError) as info:
        call.invoke(client)
    text = "".join(traceback.format_exception(info.value))
    assert CODE not in text
    assert CODE not in str(info.value)
    assert CODE not in repr(info.value)
