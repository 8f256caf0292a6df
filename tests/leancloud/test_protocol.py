"""``protocol.py``: what the emulator and the compat layer both answer, checked once here."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from django_lc_phone.leancloud import protocol
from django_lc_phone.leancloud.protocol import Credentials, ProtocolError
from django_lc_phone.leancloud.wire import sign_header

CREDS = Credentials("app-id", "app-key", "master-key")


def _headers(**values: str) -> protocol.HeaderGetter:
    names = {"id": "X-LC-Id", "key": "X-LC-Key", "sign": "X-LC-Sign", "session": "X-LC-Session"}
    given = {names[k]: v for k, v in values.items()}
    return given.get


@pytest.mark.parametrize(
    ("headers", "body", "kind"),
    [
        ({"id": "app-id", "key": "app-key"}, {}, "app"),
        ({"id": "app-id", "key": "master-key,master"}, {}, "master"),
        ({"id": "app-id", "sign": sign_header("app-key", 1700000000000)}, {}, "app"),
        ({"id": "app-id", "sign": sign_header("master-key", 1, master=True)}, {}, "master"),
        ({}, {"_ApplicationId": "app-id", "_ApplicationKey": "app-key"}, "app"),
        ({}, {"_ApplicationId": "app-id", "_MasterKey": "master-key"}, "master"),
    ],
)
def test_authenticate_accepts_every_form(
    headers: dict[str, str], body: dict[str, str], kind: str
) -> None:
    assert protocol.authenticate(_headers(**headers), body, CREDS) == kind
    assert body == {}  # the tunnelled keys are consumed


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"id": "app-id"},
        {"id": "other", "key": "app-key"},
        {"id": "app-id", "key": "master-key"},
        {"id": "app-id", "sign": sign_header("app-key", 1).upper()},
    ],
)
def test_authenticate_refuses_with_401(headers: dict[str, str]) -> None:
    with pytest.raises(ProtocolError) as raised:
        protocol.authenticate(_headers(**headers), {}, CREDS)
    assert (raised.value.status, raised.value.body) == (
        401,
        {"code": 401, "error": "Unauthorized."},
    )


def test_an_empty_app_id_never_matches() -> None:
    with pytest.raises(ProtocolError):
        protocol.authenticate(_headers(key=""), {}, Credentials("", ""))


def test_the_session_token_header_wins_over_the_tunnelled_one() -> None:
    body = {"_SessionToken": "tunnelled"}
    assert protocol.session_token(_headers(session="header"), body) == "header"
    assert body == {}
    assert protocol.session_token(_headers(), {"_SessionToken": "t"}) == "t"
    assert protocol.session_token(_headers(), {"_SessionToken": 5}) is None


@pytest.mark.parametrize(("raw", "parsed"), [(b"", {}), (b" null ", {}), (b'{"a":1}', {"a": 1})])
def test_parse_body(raw: bytes, parsed: dict[str, int]) -> None:
    assert protocol.parse_body(raw) == parsed


@pytest.mark.parametrize("raw", [b"[]", b"{", b'"x"'])
def test_parse_body_refuses_with_107(raw: bytes) -> None:
    with pytest.raises(ProtocolError) as raised:
        protocol.parse_body(raw)
    assert raised.value.code == 107


@pytest.mark.parametrize(
    ("function", "value", "code"),
    [
        (protocol.normalize_phone, None, 212),
        (protocol.normalize_phone, "+0123", 127),
        (protocol.normalize_phone, 138, 127),
        (protocol.sms_code, "12345a", 603),
        (protocol.sms_code, None, 603),
        (protocol.password, None, 201),
        (protocol.password, "", 201),
        (protocol.password, "  ", 218),
        (protocol.password, 5, 218),
    ],
)
def test_field_checks(function: object, value: object, code: int) -> None:
    with pytest.raises(ProtocolError) as raised:
        function(value)  # type: ignore[operator]
    assert raised.value.code == code


def test_field_values() -> None:
    assert protocol.normalize_phone("13800138000") == "+8613800138000"
    assert protocol.normalize_phone("+8613800138000") == "+8613800138000"
    assert protocol.sms_code("012345") == "012345"


def test_the_user_shape_and_dates() -> None:
    moment = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=timezone.utc)
    body = protocol.user_body(
        object_id="a" * 24,
        username="alice",
        phone="+8613800138000",
        phone_verified=True,
        created=moment,
        updated=moment.timestamp(),
        session_token="t" * 25,
    )
    assert body == {
        "username": "alice",
        "emailVerified": False,
        "mobilePhoneVerified": True,
        "objectId": "a" * 24,
        "createdAt": "2026-01-02T03:04:05.678Z",
        "updatedAt": "2026-01-02T03:04:05.678Z",
        "mobilePhoneNumber": "+8613800138000",
        "sessionToken": "t" * 25,
    }
    assert protocol.date_value(moment) == {"__type": "Date", "iso": "2026-01-02T03:04:05.678Z"}
    assert protocol.refresh_answer("b" * 24, moment, "s")["updatedAt"].endswith(".678Z")


def test_cors_on_every_answer_and_all_of_it_on_a_preflight() -> None:
    plain = dict(protocol.response_headers(b"{}"))
    assert plain["Access-Control-Allow-Origin"] == "*"
    assert plain["Content-Length"] == "2"
    assert "Access-Control-Allow-Headers" not in plain
    preflight = dict(protocol.response_headers(b"{}", preflight=True))
    assert "X-LC-Sign" in preflight["Access-Control-Allow-Headers"]
    assert protocol.status_line(429) == "429 Too Many Requests"
    assert protocol.encode({"e": "登录"}) == '{"e":"登录"}'.encode()
