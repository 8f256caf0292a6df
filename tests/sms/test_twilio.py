"""Twilio: the exact Messages and Calls requests the SDK sends, and its errors as domain errors.

No network: ``responses`` answers at the requests layer (the SDK sends through a requests
``Session``); for real sockets the client's API domain is pointed at a server on 127.0.0.1.
"""

from __future__ import annotations

import base64
import json
import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from django_lc_phone.exceptions import (
    InvalidPhoneNumber,
    LcPhoneError,
    ProviderTimeout,
    ProviderUnavailable,
    SendThrottled,
    SmsNotDelivered,
)
from django_lc_phone.sms.twilio import TwilioGateway
from tests.sms._http import closed_port_url, scripted_server
from tests.sms.conftest import CODE, PHONE_CN, PHONE_US, TWILIO_SID, TWILIO_TOKEN, code_message

BASE = f"https://api.twilio.com/2010-04-01/Accounts/{TWILIO_SID}"
MESSAGES, CALLS = f"{BASE}/Messages.json", f"{BASE}/Calls.json"
SENDER = "+15005550006"


def gateway(**options: Any) -> TwilioGateway:
    defaults: dict[str, Any] = {
        "account_sid": TWILIO_SID,
        "auth_token": TWILIO_TOKEN,
        "from_": SENDER,
    }
    return TwilioGateway(**{**defaults, **options})


def form(call: Any) -> dict[str, str]:
    body = call.request.body
    text = body.decode() if isinstance(body, bytes) else body
    return {key: values[0] for key, values in parse_qs(text).items()}


def basic_auth() -> str:
    return "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()


def rest_error(status: int, code: int, message: str = "m") -> dict[str, Any]:
    return {"code": code, "message": message, "more_info": "", "status": status}


@responses.activate
def test_text_message_request() -> None:
    responses.post(MESSAGES, status=201, json={"sid": "SM1", "status": "queued"})
    gateway().send(code_message(PHONE_US))
    (call,) = responses.calls
    request = call.request
    assert request.method == "POST"
    assert urlsplit(request.url)[:3] == (
        "https",
        "api.twilio.com",
        f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json",
    )
    assert request.headers["Authorization"] == basic_auth()
    assert request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert form(call) == {
        "To": PHONE_US,  # E.164
        "From": SENDER,
        "Body": f"Your login code is {CODE}. It expires in 10 minutes.",
    }


@responses.activate
def test_voice_call_reads_the_digits() -> None:
    responses.post(CALLS, status=201, json={"sid": "CA1", "status": "queued"})
    gateway(voice_from="+15005550009", voice_language="zh-CN", voice_text="验证码 {digits}").send(
        code_message(PHONE_CN, channel="voice")
    )
    (call,) = responses.calls
    assert call.request.url == CALLS
    assert call.request.headers["Authorization"] == basic_auth()
    sent = form(call)
    assert sent["To"] == PHONE_CN
    assert sent["From"] == "+15005550009"
    say = ET.fromstring(sent["Twiml"]).find("Say")  # noqa: S314 (our own TwiML)
    assert say is not None
    assert say.attrib == {"language": "zh-CN", "loop": "2"}
    assert say.text == "验证码 " + ", ".join(CODE)  # 4, 8, 0, 9, 1, 7
    assert TwilioGateway.supports_voice


@responses.activate
def test_messaging_service_and_content_template() -> None:
    responses.post(MESSAGES, status=201, json={"sid": "SM1"})
    gateway(from_=None, messaging_service_sid="MG123", templates={"Order_Notice": "HX999"}).send(
        code_message(PHONE_US, template="Order_Notice", variables={"order": "A-1"})
    )
    sent = form(responses.calls[0])
    assert sent["MessagingServiceSid"] == "MG123"
    assert "From" not in sent
    assert "Body" not in sent
    assert sent["ContentSid"] == "HX999"
    assert json.loads(sent["ContentVariables"]) == {"order": "A-1", "1": CODE}


@pytest.mark.parametrize(
    ("status", "code", "expected", "maybe_sent"),
    [
        (400, 21211, InvalidPhoneNumber, None),  # invalid 'To' phone number
        (400, 21614, InvalidPhoneNumber, None),  # 'To' is not a mobile number
        (429, 20429, SendThrottled, None),  # too many requests
        (400, 21408, SmsNotDelivered, None),  # region not enabled
        (400, 21610, SmsNotDelivered, None),  # recipient unsubscribed
        (400, 21617, SmsNotDelivered, None),  # body too long
        (401, 20003, ProviderUnavailable, False),  # bad credentials
        (404, 20404, ProviderUnavailable, False),  # no such account
        (500, 20500, ProviderUnavailable, True),
        (503, 20503, ProviderUnavailable, True),
    ],
)
@responses.activate
def test_errors(
    status: int, code: int, expected: type[LcPhoneError], maybe_sent: bool | None
) -> None:
    message = f"The 'To' number {PHONE_US} is not a valid phone number."
    responses.post(MESSAGES, status=status, json=rest_error(status, code, message))
    with pytest.raises(expected) as caught:
        gateway().send(code_message(PHONE_US))
    if isinstance(caught.value, SendThrottled):
        assert caught.value.retry_after == 60
    if maybe_sent is not None:
        assert isinstance(caught.value, ProviderUnavailable)
        assert caught.value.maybe_sent is maybe_sent
    assert str(caught.value) == expected.default_message
    assert caught.value.__suppress_context__  # Twilio's message quotes the number


@responses.activate
def test_invalid_number_for_a_call() -> None:
    responses.post(CALLS, status=400, json=rest_error(400, 21217))
    with pytest.raises(InvalidPhoneNumber):
        gateway().send(code_message(PHONE_US, channel="voice"))


@pytest.mark.parametrize(
    ("error", "expected", "maybe_sent"),
    [
        (requests.ConnectTimeout("connect timed out"), ProviderUnavailable, False),
        (requests.ReadTimeout("read timed out"), ProviderTimeout, None),
    ],
)
@responses.activate
def test_transport_errors(
    error: Exception, expected: type[LcPhoneError], maybe_sent: bool | None
) -> None:
    responses.post(MESSAGES, body=error)
    with pytest.raises(expected) as caught:
        gateway().send(code_message(PHONE_US))
    if maybe_sent is not None:
        assert isinstance(caught.value, ProviderUnavailable)
        assert caught.value.maybe_sent is maybe_sent


def local(url: str, **options: Any) -> TwilioGateway:
    """A gateway whose API domain is the server at ``url`` (real sockets, plain HTTP)."""
    built = gateway(**options)
    built._client.api.base_url = url
    return built


def test_connection_refused_sent_nothing() -> None:
    with pytest.raises(ProviderUnavailable) as caught:
        local(closed_port_url(), timeout=2).send(code_message(PHONE_US))
    assert caught.value.maybe_sent is False


def test_read_timeout() -> None:
    with scripted_server() as (url, script):
        script.hang()
        with pytest.raises(ProviderTimeout):
            local(url, timeout=0.3).send(code_message(PHONE_US))
        assert len(script.requests) == 1  # no retry: a retry could send a second SMS


def test_dropped_connection_may_have_sent() -> None:
    with scripted_server() as (url, script):
        script.drop()
        with pytest.raises(ProviderUnavailable) as caught:
            local(url, timeout=2).send(code_message(PHONE_US))
    assert caught.value.maybe_sent is True


def test_real_socket_round_trip() -> None:
    with scripted_server() as (url, script):
        script.json(201, {"sid": "SM1"})
        local(url).send(code_message(PHONE_US))
    (request,) = script.requests
    assert request.path == f"/2010-04-01/Accounts/{TWILIO_SID}/Messages.json"
    assert request.headers["Authorization"] == basic_auth()
    assert parse_qs(request.body.decode())["To"] == [PHONE_US]
