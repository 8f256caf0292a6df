"""The webhook gateway against a real receiver on 127.0.0.1 that verifies every signature.

The receiver (``_receiver.py``) checks each delivery with its own implementation of the spec;
the success test checks it with the ``standardwebhooks`` reference library too, and the
signature itself is checked against the test vector the reference libraries publish.
"""

from __future__ import annotations

import logging
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import standardwebhooks
import urllib3.util.connection
from django.core.exceptions import ImproperlyConfigured

from django_lc_phone import sms
from django_lc_phone.exceptions import (
    InvalidPhoneNumber,
    LcPhoneError,
    ProviderTimeout,
    ProviderUnavailable,
    SendThrottled,
    SmsNotDelivered,
)
from django_lc_phone.sms import _signature, webhook
from django_lc_phone.sms.webhook import WebhookGateway
from tests.sms._http import closed_port_url
from tests.sms._receiver import Receiver, new_secret, running_receiver, verify
from tests.sms.conftest import CODE, PHONE_CN, code_message

# The reference libraries' test vector (standard-webhooks, libraries/python/tests).
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as running:
        yield running


def gateway(receiver: Receiver, **options: Any) -> WebhookGateway:
    return WebhookGateway(**{"url": receiver.url, "secret": receiver.secret, **options})


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[requests.PreparedRequest]:
    """Every request the gateway tried to send, whether or not it got through."""
    tried: list[requests.PreparedRequest] = []
    send = requests.Session.send

    def spy(self: requests.Session, request: requests.PreparedRequest, **kwargs: Any) -> Any:
        tried.append(request)
        return send(self, request, **kwargs)

    monkeypatch.setattr(requests.Session, "send", spy)
    return tried


# --- the signature ------------------------------------------------------------------------


def test_the_signature_matches_the_spec_s_test_vector() -> None:
    key = _signature.decode_secret(VECTOR_SECRET)
    assert _signature.sign(key, VECTOR_ID, VECTOR_TIMESTAMP, VECTOR_BODY) == VECTOR_SIGNATURE
    # And the receiver's own verifier agrees with the published vector.
    headers = {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": VECTOR_SIGNATURE,
    }
    assert verify(VECTOR_SECRET, headers, VECTOR_BODY, now=VECTOR_TIMESTAMP)
    assert not verify(VECTOR_SECRET, headers, VECTOR_BODY + b" ", now=VECTOR_TIMESTAMP)


def test_a_delivery_is_signed_json_with_the_documented_shape(receiver: Receiver) -> None:
    message = code_message(variables={"order": "A1"}, template="Order_Notice")
    gateway(receiver, headers={"Authorization": "Bearer for-the-proxy"}).send(message)
    [delivery] = receiver.deliveries
    assert delivery.verified
    # The reference library verifies it too.
    verified = standardwebhooks.Webhook(receiver.secret).verify(delivery.body, delivery.headers)
    assert verified == delivery.payload
    headers = {k.lower(): v for k, v in delivery.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["authorization"] == "Bearer for-the-proxy"
    assert delivery.id.startswith("msg_")
    assert "." not in delivery.id
    assert abs(int(headers["webhook-timestamp"]) - time.time()) < 5
    body = delivery.payload
    assert body.pop("timestamp").endswith("Z")
    assert body == {
        "type": "sms.send",
        "data": {
            "phone": PHONE_CN,
            "channel": "sms",
            "purpose": "login",
            "code": CODE,
            "text": f"Your login code is {CODE}. It expires in 10 minutes.",
            "template": "Order_Notice",
            "variables": {"order": "A1"},
            "ttl_minutes": 10,
        },
    }


def test_the_verifier_docs_gateways_md_shows_accepts_a_delivery_and_nothing_else(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = (Path(__file__).resolve().parents[2] / "docs" / "gateways.md").read_text("utf-8")
    [snippet] = [b for b in re.findall(r"```python\n(.*?)```", docs, re.S) if "def verified" in b]
    monkeypatch.setenv("LC_PHONE_SMS_WEBHOOK_SECRET", receiver.secret)
    namespace: dict[str, Any] = {}
    exec(snippet, namespace)  # noqa: S102 (our own documentation)
    gateway(receiver).send(code_message())
    [delivery] = receiver.deliveries
    headers = {k.lower(): v for k, v in delivery.headers.items()}
    assert namespace["verified"](headers, delivery.body) == delivery.payload
    assert namespace["verified"](headers, delivery.body.replace(b"login", b"LOGIN")) is None
    forged = {**headers, "webhook-signature": "v1,not-base64!"}
    assert namespace["verified"](forged, delivery.body) is None


def test_each_message_gets_its_own_id(receiver: Receiver) -> None:
    sender = gateway(receiver)
    sender.send(code_message())
    sender.send(code_message())
    assert len({d.id for d in receiver.verified}) == 2


def test_while_a_secret_is_rotated_each_secret_signs(receiver: Receiver) -> None:
    gateway(receiver, secret=[new_secret(), receiver.secret]).send(code_message())
    [delivery] = receiver.verified
    assert len(delivery.headers["webhook-signature"].split(" ")) == 2


def test_a_receiver_with_another_secret_refuses_and_nothing_is_sent(receiver: Receiver) -> None:
    with pytest.raises(ProviderUnavailable) as caught:
        gateway(receiver, secret=new_secret()).send(code_message())
    assert caught.value.maybe_sent is False  # the limits give the send back
    assert receiver.verified == []
    assert len(receiver.deliveries) == 1  # refused, not retried


def test_the_code_reaches_the_receiver_and_never_the_logs(
    receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sender = gateway(receiver)
    sender.send(code_message())
    receiver.answer(422, {"error": "invalid_phone", "detail": f"cannot text {PHONE_CN}"})
    with pytest.raises(InvalidPhoneNumber):
        sender.send(code_message())
    assert [d.payload["data"]["code"] for d in receiver.verified] == [CODE, CODE]
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "+86138****8000" in text
    assert "invalid_phone" in text  # the receiver's error code, for the operator
    for secret in (CODE, PHONE_CN, "13800138000", receiver.secret, receiver.url):
        assert secret not in text
    assert all(record.exc_info is None for record in caplog.records)


# --- the receiver's answers -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "headers", "expected", "details"),
    [
        (200, None, {}, None, {}),
        (204, None, {}, None, {}),
        (
            429,
            {"error": "rate_limited"},
            {"Retry-After": "120"},
            SendThrottled,
            {"retry_after": 120},
        ),
        (429, None, {}, SendThrottled, {"retry_after": 60}),
        (422, {"error": "invalid_phone"}, {}, InvalidPhoneNumber, {}),
        (400, {"error": "invalid_phone"}, {}, InvalidPhoneNumber, {}),
        (422, {"error": "unsupported_template"}, {}, SmsNotDelivered, {}),
        (400, None, {}, SmsNotDelivered, {}),
        (500, {"error": "boom"}, {}, ProviderUnavailable, {"maybe_sent": True}),
        (503, None, {"Retry-After": "30"}, ProviderUnavailable, {"retry_after": 30}),
        (404, None, {}, ProviderUnavailable, {"maybe_sent": False}),
        (
            302,
            None,
            {"Location": "http://127.0.0.1:9/"},
            ProviderUnavailable,
            {"maybe_sent": False},
        ),
    ],
)
def test_the_receiver_s_answer_maps_to_the_domain_error(
    receiver: Receiver,
    status: int,
    body: Any,
    headers: dict[str, str],
    expected: type[LcPhoneError] | None,
    details: dict[str, Any],
) -> None:
    receiver.answer(status, body, headers=headers)
    if expected is None:
        gateway(receiver).send(code_message())
    else:
        with pytest.raises(expected) as caught:
            gateway(receiver).send(code_message())
        assert type(caught.value) is expected
        for name, value in details.items():
            assert getattr(caught.value, name) == value
    assert len(receiver.deliveries) == 1  # an answer is never retried, a redirect not followed


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert webhook.retry_after("90") == 90
    assert webhook.retry_after(None) is None
    assert webhook.retry_after("soon") is None
    in_two_minutes = time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(time.time() + 120))
    assert 115 <= (webhook.retry_after(in_two_minutes) or 0) <= 120
    assert webhook.retry_after("0") == 1  # never "now"
    assert webhook.retry_after("999999999") == 86400  # at most a day


# --- timeouts and retries ---------------------------------------------------------------------


def test_a_read_timeout_is_not_retried_and_may_have_sent(
    receiver: Receiver, attempts: list[requests.PreparedRequest]
) -> None:
    receiver.answer(200, delay=3)
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        gateway(receiver, timeout=0.3).send(code_message())
    assert time.monotonic() - started < 2
    # Not a ProviderUnavailable(maybe_sent=False): the limits keep the send (it may be out).
    assert not isinstance(caught.value, ProviderUnavailable)
    assert len(attempts) == 1
    assert [d.payload["data"]["code"] for d in receiver.verified] == [CODE]


def test_a_connection_dropped_after_the_request_is_not_retried(
    receiver: Receiver, attempts: list[requests.PreparedRequest]
) -> None:
    receiver.answer(drop=True)
    with pytest.raises(ProviderUnavailable) as caught:
        gateway(receiver).send(code_message())
    assert caught.value.maybe_sent is True
    assert len(attempts) == 1
    assert len(receiver.verified) == 1


def test_a_refused_connection_is_retried_once_with_the_same_id(
    attempts: list[requests.PreparedRequest],
) -> None:
    url = closed_port_url() + "/hooks/sms"
    with pytest.raises(ProviderUnavailable) as caught:
        WebhookGateway(url=url, secret=new_secret()).send(code_message())
    assert caught.value.maybe_sent is False
    assert len(attempts) == 2
    assert attempts[0].headers["webhook-id"] == attempts[1].headers["webhook-id"]
    attempts.clear()
    with pytest.raises(ProviderUnavailable):
        WebhookGateway(url=url, secret=new_secret(), connect_retries=0).send(code_message())
    assert len(attempts) == 1


@pytest.mark.parametrize(
    "failure",
    [
        ConnectionRefusedError(111, "Connection refused"),
        socket.gaierror(socket.EAI_NONAME, "Name or service not known"),  # DNS
        TimeoutError("timed out"),  # while connecting: a connect timeout
    ],
    ids=["refused", "dns", "connect-timeout"],
)
def test_a_retry_after_a_connection_that_never_opened_reaches_the_receiver_with_the_same_id(
    receiver: Receiver,
    attempts: list[requests.PreparedRequest],
    monkeypatch: pytest.MonkeyPatch,
    failure: OSError,
) -> None:
    connect = urllib3.util.connection.create_connection
    refused: list[object] = []

    def refuse_once(*args: Any, **kwargs: Any) -> Any:
        if not refused:
            refused.append(args)
            raise failure
        return connect(*args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse_once)
    gateway(receiver).send(code_message())
    assert len(refused) == 1
    assert len(attempts) == 2
    [delivery] = receiver.deliveries
    assert delivery.verified  # the repeat was signed afresh
    assert delivery.id == attempts[0].headers["webhook-id"]


# --- options ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"secret": new_secret()}, "set url"),
        ({"url": "https://sms.example.com/hook"}, "set secret"),
        ({"url": "ftp://sms.example.com/hook", "secret": new_secret()}, "url must be"),
        ({"url": "https://sms.example.com:port/", "secret": new_secret()}, "url must be"),
        ({"url": "https://sms.example.com/", "secret": "hunter2-plain"}, "'whsec_'"),
        ({"url": "https://sms.example.com/", "secret": "whsec_!!notbase64"}, "base64"),
        ({"url": "https://sms.example.com/", "secret": new_secret(16)}, "at least 24"),
        ({"url": "https://sms.example.com/", "secret": [], "timeout": 1}, "set secret"),
        (
            {"url": "https://sms.example.com/", "secret": new_secret(), "timeout": 0},
            "timeout must be",
        ),
        (
            {"url": "https://sms.example.com/", "secret": new_secret(), "connect_retries": 9},
            "connect_retries",
        ),
        (
            {
                "url": "https://sms.example.com/",
                "secret": new_secret(),
                "headers": {"webhook-id": "mine"},
            },
            "headers must not set",
        ),
    ],
)
def test_bad_options_are_refused_by_name_never_by_value(
    options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ImproperlyConfigured, match=named) as caught:
        sms.build_gateway("django_lc_phone.sms.webhook.WebhookGateway", options)
    for value in ("hunter2-plain", "sms.example.com", "whsec_"):
        assert value not in str(caught.value).replace("'whsec_'", "")


def test_voice_is_off_unless_the_receiver_says_it_places_calls(receiver: Receiver) -> None:
    assert gateway(receiver).supports_voice is False
    voice = gateway(receiver, voice=True)
    assert voice.supports_voice is True
    voice.send(code_message(channel="voice"))
    assert receiver.verified[0].payload["data"]["channel"] == "voice"


@pytest.mark.parametrize(
    ("url", "private"),
    [
        ("https://sms.example.com/hook", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://[::1]/hook", True),
        ("http://localhost/hook", True),
        ("http://sms.example.com/hook", False),
        ("http://10.0.0.7/hook", False),
    ],
)
def test_what_counts_as_safe_to_post_codes_to(url: str, private: bool) -> None:
    assert webhook.is_private(url) is private
