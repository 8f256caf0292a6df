"""The emulator's HTTP test controls under ``/emulator`` (outbox, clock, faults, reset...).

They are what a suite in another process or language drives, so they are exercised over real
HTTP with plain ``requests``; the faults also through the in-process transport.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests

from django_lc_phone.emulator import FAULT_KINDS, Emulator, RunningServer
from django_lc_phone.testing.inprocess import wsgi_session

from ._support import DATE, JSON_CONTENT_TYPE, call, signed_headers

PHONE = "+8613800138000"
OTHER = "+8613900139000"
MESSAGE_KEYS = {
    "mobilePhoneNumber",
    "code",
    "smsType",
    "template",
    "purpose",
    "text",
    "createdAt",
}


def _control(
    server: RunningServer, method: str, path: str, body: Any = None, **options: Any
) -> requests.Response:
    return requests.request(
        method, f"{server.url}/emulator/v1{path}", json=body, timeout=5, **options
    )


def _ok(response: requests.Response) -> Any:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    return response.json()


def _send_code(server: RunningServer, phone: str = PHONE) -> requests.Response:
    return call(server, "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": phone})


def _messages(server: RunningServer, **params: str) -> list[dict[str, Any]]:
    body = _ok(_control(server, "GET", "/messages", params=params))
    assert set(body) == {"messages"}
    messages: list[dict[str, Any]] = body["messages"]
    return messages


# --- the outbox -----------------------------------------------------------------------------


def test_messages_have_the_documented_shape_oldest_first(emulator_server: RunningServer) -> None:
    assert _messages(emulator_server) == []
    assert _send_code(emulator_server).status_code == 200
    assert _send_code(emulator_server, OTHER).status_code == 200
    first, second = _messages(emulator_server)
    for message in (first, second):
        assert set(message) == MESSAGE_KEYS
        assert message["smsType"] == "sms"
        assert message["purpose"] == "generic"
        assert message["template"] is None
        assert message["code"].isdigit()
        assert len(message["code"]) == 6
        assert message["code"] in message["text"]
        assert DATE.fullmatch(message["createdAt"])
    assert [first["mobilePhoneNumber"], second["mobilePhoneNumber"]] == [PHONE, OTHER]
    assert first["createdAt"] <= second["createdAt"]


@pytest.mark.parametrize(
    "written",
    [PHONE, "13800138000", " 8613800138000"],  # E.164, bare (+86), an unencoded "+" in a URL
)
def test_messages_filter_by_number(emulator_server: RunningServer, written: str) -> None:
    _send_code(emulator_server)
    _send_code(emulator_server, OTHER)
    [mine] = _messages(emulator_server, mobilePhoneNumber=written)
    assert mine["mobilePhoneNumber"] == PHONE
    assert _messages(emulator_server, mobilePhoneNumber="+8613700137000") == []


def test_a_raw_plus_in_the_filter_url_still_finds_the_number(
    emulator_server: RunningServer,
) -> None:
    _send_code(emulator_server)
    url = f"{emulator_server.url}/emulator/v1/messages?mobilePhoneNumber={PHONE}"  # "+" unescaped
    [mine] = _ok(requests.get(url, timeout=5))["messages"]
    assert mine["mobilePhoneNumber"] == PHONE


def test_clearing_messages_keeps_codes_valid(emulator_server: RunningServer) -> None:
    _send_code(emulator_server)
    [message] = _messages(emulator_server)
    assert _ok(_control(emulator_server, "DELETE", "/messages")) == {}
    assert _messages(emulator_server) == []
    verified = call(
        emulator_server,
        "POST",
        f"/1.1/verifySmsCode/{message['code']}",
        {"mobilePhoneNumber": PHONE},
    )
    assert verified.status_code == 200
    assert verified.json() == {}


def test_the_html_inbox_shows_the_code(emulator_server: RunningServer) -> None:
    empty = requests.get(f"{emulator_server.url}/emulator/", timeout=5)
    assert empty.status_code == 200
    assert empty.headers["Content-Type"].startswith("text/html")
    assert "No messages yet." in empty.text
    _send_code(emulator_server)
    [message] = _messages(emulator_server)
    for path in ("/emulator/", "/emulator"):
        page = requests.get(emulator_server.url + path, timeout=5)
        assert page.status_code == 200
        assert f'<td class="code">{message["code"]}</td>' in page.text
        assert f"{emulator_server.url}/emulator/v1/messages" in page.text


# --- the clock -------------------------------------------------------------------------------


def test_advancing_the_clock_lets_a_second_send_through(emulator_server: RunningServer) -> None:
    before = _ok(_control(emulator_server, "GET", "/clock"))["now"]
    assert abs(before - time.time()) < 5
    assert _send_code(emulator_server).status_code == 200
    too_fast = _send_code(emulator_server)
    assert too_fast.status_code == 400
    assert too_fast.json()["code"] == 1
    after = _ok(_control(emulator_server, "POST", "/clock", {"advance": 11}))["now"]
    assert after - before >= 11
    per_minute = _send_code(emulator_server)  # past the 10 s window, inside the 60 s one
    assert per_minute.json()["code"] == 601
    _ok(_control(emulator_server, "POST", "/clock", {"advance": 50}))
    second = _send_code(emulator_server)
    assert second.status_code == 200, second.text
    assert second.json() == {}
    first, latest = _messages(emulator_server)
    assert latest["createdAt"] > first["createdAt"]


@pytest.mark.parametrize(
    "body",
    [
        '{"advance": 1e308}',
        '{"advance": 1e400}',  # JSON's way to an infinity
        '{"advance": Infinity}',
        '{"advance": -Infinity}',
        '{"advance": NaN}',
        '{"advance": -0.5}',
        '{"advance": 31536001}',
        '{"advance": 1' + "0" * 400 + "}",  # an integer no float holds
        '{"advance": "61"}',
        '{"advance": null}',
        '{"advance": [61]}',
    ],
)
def test_the_clock_moves_only_by_a_finite_bounded_amount(
    emulator_server: RunningServer, body: str
) -> None:
    """Finding 14: ``{"advance": 1e308}`` (or NaN, an infinity) was taken, and every date the
    emulator computed from its clock failed after it. Now it is a 400 that leaves the clock."""
    answer = requests.post(
        f"{emulator_server.url}/emulator/v1/clock",
        data=body,
        headers={"Content-Type": "application/json"},
        timeout=5,
    )
    assert answer.status_code == 400, answer.text
    assert "a year" in answer.json()["error"]
    assert abs(_ok(_control(emulator_server, "GET", "/clock"))["now"] - time.time()) < 5
    assert _send_code(emulator_server).status_code == 200  # dates still work


def test_the_clock_runs_at_most_a_year_ahead_in_all(emulator_server: RunningServer) -> None:
    """Finding 14: many bounded steps cannot add up to more than a year either."""
    half_a_year = 365 * 24 * 3600 // 2
    start = _ok(_control(emulator_server, "GET", "/clock"))["now"]
    _ok(_control(emulator_server, "POST", "/clock", {"advance": half_a_year}))
    _ok(_control(emulator_server, "POST", "/clock", {"advance": half_a_year}))
    refused = _control(emulator_server, "POST", "/clock", {"advance": 3600})
    assert refused.status_code == 400, refused.text
    now = _ok(_control(emulator_server, "GET", "/clock"))["now"]
    assert now - start == pytest.approx(2 * half_a_year, abs=5)
    with pytest.raises(ValueError, match="a year"):  # the Python API holds the same bound
        emulator_server.emulator.clock.advance(3600)


# --- faults ----------------------------------------------------------------------------------


@dataclass
class Transport:
    """A way to reach an emulator: over HTTP, or in-process with no socket."""

    name: str
    base: str
    session: requests.Session
    emulator: Emulator


@pytest.fixture(params=["http", "inprocess"])
def transport(request: pytest.FixtureRequest) -> Iterator[Transport]:
    if request.param == "http":
        server: RunningServer = request.getfixturevalue("emulator_server")
        session = requests.Session()
        yield Transport("http", server.url, session, server.emulator)
    else:
        emulator: Emulator = request.getfixturevalue("emulator")
        base = "http://lc-emulator.test"
        session = wsgi_session(emulator, base)
        yield Transport("inprocess", base, session, emulator)
    session.close()


def _arm(transport: Transport, **fault: Any) -> Any:
    answer = transport.session.post(f"{transport.base}/emulator/v1/faults", json=fault, timeout=5)
    return _ok(answer)


def _api_call(transport: Transport, timeout: float = 5.0) -> requests.Response:
    return transport.session.post(
        f"{transport.base}/1.1/requestSmsCode",
        json={"mobilePhoneNumber": PHONE},
        headers=signed_headers(transport.emulator),
        timeout=timeout,
        allow_redirects=False,
    )


def _http_error(answer: requests.Response) -> None:
    assert answer.status_code == 503
    assert answer.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert answer.json()["code"] == 503
    assert isinstance(answer.json()["error"], str)


def _html(answer: requests.Response) -> None:
    assert answer.status_code == 502
    assert answer.headers["Content-Type"] == "text/html"
    assert answer.text.startswith("<html>")


def _malformed_json(answer: requests.Response) -> None:
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == JSON_CONTENT_TYPE
    with pytest.raises(requests.JSONDecodeError):
        answer.json()


def _empty(answer: requests.Response) -> None:
    assert answer.status_code == 200
    assert answer.content == b""


def _redirect(answer: requests.Response) -> None:
    assert answer.status_code == 302
    location = answer.headers["Location"]
    assert location.startswith("http://")
    assert "127.0.0.1" not in location
    assert "lc-emulator.test" not in location


# kind -> (fault options, what the API call gives: a check of the answer or the exception).
FAULTS: dict[str, tuple[dict[str, Any], Callable[[requests.Response], None] | type[Exception]]] = {
    "http_error": ({"status": 503}, _http_error),
    "html": ({}, _html),
    "malformed_json": ({}, _malformed_json),
    "empty": ({}, _empty),
    "redirect": ({}, _redirect),
    "hang": ({"seconds": 3}, requests.ReadTimeout),
    "drop": ({}, requests.ConnectionError),
}


def test_every_fault_kind_is_covered() -> None:
    assert set(FAULTS) == set(FAULT_KINDS)


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_fault_kinds(transport: Transport, kind: str) -> None:
    options, outcome = FAULTS[kind]
    armed = _arm(transport, fault=kind, **options)
    assert armed["faults"] == [
        {
            "fault": kind,
            "count": 1,
            "path": None,
            "status": options.get("status", 500),
            "seconds": options.get("seconds", 30.0),
        }
    ]
    started = time.monotonic()
    if isinstance(outcome, type):
        with pytest.raises(outcome) as raised:
            _api_call(transport, timeout=0.5)
        if kind == "drop":
            assert not isinstance(raised.value, requests.Timeout)
    else:
        outcome(_api_call(transport))
    elapsed = time.monotonic() - started
    if transport.name == "inprocess" or kind != "hang":
        assert elapsed < 0.4  # in-process, even a hang gives up at once
    assert transport.emulator.messages() == []  # a faulted request has no effect
    listed = transport.session.get(f"{transport.base}/emulator/v1/faults", timeout=5)
    assert _ok(listed)["faults"] == []
    after = _api_call(transport)  # used up: the next call is served
    assert after.status_code == 200, after.text
    assert len(transport.emulator.messages()) == 1


def test_fault_count_and_path_are_honoured(transport: Transport) -> None:
    armed = _arm(transport, fault="http_error", count=2, path="/1.1/requestSmsCode", status=500)
    assert armed["faults"][0]["count"] == 2
    assert armed["faults"][0]["path"] == "/1.1/requestSmsCode"
    date = transport.session.get(
        f"{transport.base}/1.1/date", headers=signed_headers(transport.emulator), timeout=5
    )
    assert date.status_code == 200  # another path is not affected
    assert _api_call(transport).status_code == 500
    left = transport.session.get(f"{transport.base}/emulator/v1/faults", timeout=5)
    assert _ok(left)["faults"][0]["count"] == 1
    assert _api_call(transport).status_code == 500
    assert _api_call(transport).status_code == 200


def test_a_fault_path_is_a_prefix(emulator_server: RunningServer) -> None:
    _ok(_control(emulator_server, "POST", "/faults", {"fault": "drop", "path": "/1.1/verify"}))
    _send_code(emulator_server)
    [message] = _messages(emulator_server)  # the controls are never faulted
    path = f"/1.1/verifySmsCode/{message['code']}"
    with pytest.raises(requests.ConnectionError):
        call(emulator_server, "POST", path, {"mobilePhoneNumber": PHONE})
    assert call(emulator_server, "POST", path, {"mobilePhoneNumber": PHONE}).status_code == 200


def test_faults_can_be_listed_and_cleared(emulator_server: RunningServer) -> None:
    _ok(_control(emulator_server, "POST", "/faults", {"fault": "html", "count": 3}))
    _ok(_control(emulator_server, "POST", "/faults", {"fault": "empty", "path": "/1.1/date"}))
    listed = _ok(_control(emulator_server, "GET", "/faults"))
    assert [f["fault"] for f in listed["faults"]] == ["html", "empty"]
    assert listed["latency"] == 0.0
    assert _ok(_control(emulator_server, "DELETE", "/faults")) == {"faults": [], "latency": 0.0}
    assert call(emulator_server, "GET", "/1.1/date").status_code == 200


def test_a_hang_is_released_by_a_reset(emulator_server: RunningServer) -> None:
    _ok(_control(emulator_server, "POST", "/faults", {"fault": "hang"}))  # 30 s by default
    with pytest.raises(requests.ReadTimeout):
        call(emulator_server, "GET", "/1.1/date", timeout=0.3)
    _ok(_control(emulator_server, "POST", "/reset"))
    assert call(emulator_server, "GET", "/1.1/date", timeout=2).status_code == 200


# --- latency ---------------------------------------------------------------------------------


def test_latency_delays_every_api_request(emulator_server: RunningServer) -> None:
    set_to = _ok(_control(emulator_server, "POST", "/latency", {"seconds": 0.3}))
    assert set_to == {"faults": [], "latency": 0.3}
    for _ in range(2):
        started = time.monotonic()
        assert call(emulator_server, "GET", "/1.1/date").status_code == 200
        assert time.monotonic() - started >= 0.3
    with pytest.raises(requests.ReadTimeout):
        call(emulator_server, "GET", "/1.1/date", timeout=0.1)
    _ok(_control(emulator_server, "POST", "/latency", {"seconds": 0}))
    started = time.monotonic()
    call(emulator_server, "GET", "/1.1/date")
    assert time.monotonic() - started < 0.3


# --- reset and test numbers ------------------------------------------------------------------


def test_reset_forgets_everything(emulator_server: RunningServer) -> None:
    user = call(emulator_server, "POST", "/1.1/users", {"username": "u", "password": "p1"}).json()
    _send_code(emulator_server)
    _ok(_control(emulator_server, "POST", "/faults", {"fault": "html", "path": "/1.1/nothing"}))
    _ok(_control(emulator_server, "POST", "/latency", {"seconds": 0.05}))
    _ok(_control(emulator_server, "POST", "/clock", {"advance": 3600}))
    _ok(
        _control(
            emulator_server, "POST", "/test-numbers", {"mobilePhoneNumber": OTHER, "code": "170402"}
        )
    )

    assert _ok(_control(emulator_server, "POST", "/reset")) == {}

    assert _messages(emulator_server) == []
    assert _ok(_control(emulator_server, "GET", "/faults")) == {"faults": [], "latency": 0.0}
    assert abs(_ok(_control(emulator_server, "GET", "/clock"))["now"] - time.time()) < 5
    assert emulator_server.emulator.test_numbers() == {}
    me = call(emulator_server, "GET", "/1.1/users/me", session=user["sessionToken"])
    assert me.json() == {"code": 211, "error": "Could not find user."}
    users = call(emulator_server, "GET", "/1.1/classes/_User", master=True).json()
    assert users == {"results": []}
    assert _send_code(emulator_server).status_code == 200  # no send limit remembered


def test_test_numbers_have_a_fixed_reusable_code(emulator_server: RunningServer) -> None:
    added = _ok(
        _control(
            emulator_server,
            "POST",
            "/test-numbers",
            {"mobilePhoneNumber": "+8618622223333", "code": "170402"},
        )
    )
    assert added == {"testNumbers": ["+8618622223333"]}
    assert _send_code(emulator_server, "+8618622223333").status_code == 200
    [message] = _messages(emulator_server, mobilePhoneNumber="+8618622223333")
    assert message["code"] == "170402"
    for _ in range(2):  # reusable
        verified = call(
            emulator_server,
            "POST",
            "/1.1/verifySmsCode/170402",
            {"mobilePhoneNumber": "+8618622223333"},
        )
        assert verified.status_code == 200


# --- CAPTCHA -------------------------------------------------------------------------------


def test_captcha_answer_and_image(emulator_server: RunningServer) -> None:
    challenge = call(emulator_server, "GET", "/1.1/requestCaptcha").json()
    assert set(challenge) == {"captcha_token", "captcha_url"}
    token = challenge["captcha_token"]
    answer = _ok(_control(emulator_server, "GET", f"/captchas/{token}"))
    assert answer["captcha_token"] == token
    code = answer["captcha_code"]
    assert code.isdigit()
    assert challenge["captcha_url"].startswith(f"{emulator_server.url}/1.1/captchaImage?")
    image = requests.get(challenge["captcha_url"], timeout=5)  # an <img>: no credentials
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/svg+xml"
    assert image.text.startswith("<svg")
    assert f">{code}</text>" in image.text
    verified = call(
        emulator_server,
        "POST",
        "/1.1/verifyCaptcha",
        {"captcha_token": token, "captcha_code": code},
    )
    assert verified.status_code == 200
    assert set(verified.json()) == {"validate_token"}


def test_unknown_captchas_are_404_json(emulator_server: RunningServer) -> None:
    answer = _control(emulator_server, "GET", "/captchas/NoSuchOne")
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == JSON_CONTENT_TYPE
    image = requests.get(f"{emulator_server.url}/1.1/captchaImage?token=NoSuchOne", timeout=5)
    assert image.status_code == 404
    assert image.json()["code"] == 1


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/faults", {"fault": "nope"}),
        ("POST", "/faults", {}),
        ("POST", "/faults", {"fault": "http_error", "count": 0}),
        ("POST", "/faults", {"fault": "http_error", "count": -1}),
        ("POST", "/faults", {"fault": "http_error", "count": "x"}),
        ("POST", "/faults", {"fault": "http_error", "count": True}),
        ("POST", "/faults", {"fault": "http_error", "count": 1.5}),
        ("POST", "/faults", {"fault": "http_error", "status": "abc"}),
        ("POST", "/faults", {"fault": "http_error", "status": 99}),
        ("POST", "/faults", {"fault": "http_error", "status": 600}),
        ("POST", "/faults", {"fault": "hang", "seconds": -1}),
        ("POST", "/faults", {"fault": "hang", "seconds": "x"}),
        ("POST", "/faults", {"fault": "drop", "path": "1.1/date"}),
        ("POST", "/faults", {"fault": "drop", "path": 5}),
        ("POST", "/faults", "not an object"),
        ("POST", "/faults", [1, 2]),
        ("POST", "/clock", {"advance": "x"}),
        ("POST", "/clock", {"advance": -5}),
        ("POST", "/clock", {"advance": True}),
        ("POST", "/latency", {"seconds": -1}),
        ("POST", "/latency", {"seconds": "x"}),
        ("POST", "/test-numbers", {"mobilePhoneNumber": "+8618622223333", "code": "12345"}),
        ("POST", "/test-numbers", {"mobilePhoneNumber": "+8618622223333", "code": 170402}),
        ("POST", "/test-numbers", {"code": "170402"}),
        ("POST", "/test-numbers", {"mobilePhoneNumber": "not a phone", "code": "170402"}),
    ],
)
def test_bad_control_input_is_400_json(
    emulator_server: RunningServer, method: str, path: str, body: Any
) -> None:
    answer = _control(emulator_server, method, path, body)
    assert answer.status_code == 400, answer.text
    assert answer.headers["Content-Type"] == JSON_CONTENT_TYPE
    error = answer.json()
    assert set(error) == {"error"}
    assert error["error"]
    # Nothing was half-applied.
    assert _ok(_control(emulator_server, "GET", "/faults")) == {"faults": [], "latency": 0.0}
    assert abs(_ok(_control(emulator_server, "GET", "/clock"))["now"] - time.time()) < 5
    assert emulator_server.emulator.test_numbers() == {}


def test_bad_json_and_bad_filters_are_400_json(emulator_server: RunningServer) -> None:
    for data in (b"{", b"nope"):
        answer = requests.post(f"{emulator_server.url}/emulator/v1/faults", data=data, timeout=5)
        assert answer.status_code == 400
        assert set(answer.json()) == {"error"}
    bad_filter = _control(emulator_server, "GET", "/messages", params={"mobilePhoneNumber": "x"})
    assert bad_filter.status_code == 400
    assert set(bad_filter.json()) == {"error"}


@pytest.mark.parametrize(
    ("method", "path"), [("GET", "/nope"), ("PUT", "/messages"), ("GET", "/reset")]
)
def test_unknown_controls_are_404_json(
    emulator_server: RunningServer, method: str, path: str
) -> None:
    answer = _control(emulator_server, method, path)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert set(answer.json()) == {"error"}
