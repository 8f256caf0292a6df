"""Alibaba Cloud SMS: the exact SendSms request the SDK sends, and its errors as domain errors.

No network: ``responses`` answers at the requests layer (the SDK sends through a requests
``Session``), and a scripted server on 127.0.0.1 stands in for the real sockets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

import pytest
import responses

from django_lc_phone.exceptions import (
    InvalidPhoneNumber,
    LcPhoneError,
    ProviderTimeout,
    ProviderUnavailable,
    SendThrottled,
    SmsNotDelivered,
)
from django_lc_phone.sms.aliyun import AliyunGateway, phone_numbers
from tests.sms._http import closed_port_url, scripted_server
from tests.sms.conftest import ALIYUN_KEY_ID, ALIYUN_SECRET, CODE, PHONE_HK, code_message

URL = "https://dysmsapi.aliyuncs.com/"
OK = {"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0", "RequestId": "F655A8D5"}


def gateway(**options: Any) -> AliyunGateway:
    defaults: dict[str, Any] = {
        "access_key_id": ALIYUN_KEY_ID,
        "access_key_secret": ALIYUN_SECRET,
        "sign_name": "阿里云短信测试",
        "templates": {"generic": "SMS_100", "login": "SMS_200", "Order_Notice": "SMS_300"},
    }
    return AliyunGateway(**{**defaults, **options})


def sent_query(call: Any) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(call.request.url).query, keep_blank_values=True))


def acs3_signature(request: Any, secret: str) -> str:
    """Alibaba's V3 (ACS3-HMAC-SHA256) signature, computed from the request as sent."""
    auth = request.headers["Authorization"]
    signed = auth.split("SignedHeaders=")[1].split(",")[0].split(";")
    parts = urlsplit(request.url)
    query = sorted(parse_qsl(parts.query, keep_blank_values=True))
    canonical_query = "&".join(f"{quote(k, safe='~')}={quote(v, safe='~')}" for k, v in query)
    headers = {k.lower(): str(v).strip() for k, v in request.headers.items()}
    canonical_headers = "".join(f"{name}:{headers[name]}\n" for name in signed)
    payload = hashlib.sha256(request.body or b"").hexdigest()
    canonical = "\n".join(
        [
            request.method,
            parts.path or "/",
            canonical_query,
            canonical_headers,
            ";".join(signed),
            payload,
        ]
    )
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    return hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()


@responses.activate
def test_send_sms_request() -> None:
    responses.post(URL, json=OK)
    gateway().send(code_message())
    (call,) = responses.calls
    request = call.request
    assert request.method == "POST"
    assert urlsplit(request.url)[:3] == ("https", "dysmsapi.aliyuncs.com", "/")
    assert sent_query(call) == {
        "PhoneNumbers": "13800138000",  # mainland: the 11 digits, no country code
        "SignName": "阿里云短信测试",
        "TemplateCode": "SMS_200",  # the login template
        "TemplateParam": json.dumps({"code": CODE}, separators=(",", ":")),
    }
    assert request.headers["x-acs-action"] == "SendSms"
    assert request.headers["x-acs-version"] == "2017-05-25"
    assert request.headers["host"] == "dysmsapi.aliyuncs.com"
    assert request.headers["x-acs-date"]
    assert request.headers["x-acs-signature-nonce"]
    assert request.headers["x-acs-content-sha256"] == hashlib.sha256(b"").hexdigest()
    authorization = request.headers["Authorization"]
    assert authorization.startswith(f"ACS3-HMAC-SHA256 Credential={ALIYUN_KEY_ID},SignedHeaders=")
    signature = authorization.rsplit("Signature=", 1)[1]
    assert signature == acs3_signature(request, ALIYUN_SECRET)
    assert not request.body  # everything travels in the signed query string


@responses.activate
def test_international_number_template_message_and_lifetime() -> None:
    responses.post(URL, json=OK)
    gateway(ttl_param="minutes", template_param="number").send(
        code_message(PHONE_HK, template="Order_Notice", variables={"order": "A-1"})
    )
    query = sent_query(responses.calls[0])
    assert query["PhoneNumbers"] == "85291234567"  # country code and number, no "+"
    assert query["TemplateCode"] == "SMS_300"
    assert json.loads(query["TemplateParam"]) == {"order": "A-1", "number": CODE, "minutes": "10"}


@responses.activate
def test_generic_template_and_per_purpose_sign_names() -> None:
    responses.post(URL, json=OK)
    gateway(sign_name={"generic": "Shop", "reset_password": "Shop Security"}).send(
        code_message(purpose="reset_password")
    )
    query = sent_query(responses.calls[0])
    assert query["TemplateCode"] == "SMS_100"
    assert query["SignName"] == "Shop Security"


def test_phone_numbers_format() -> None:
    assert phone_numbers("+8613800138000") == "13800138000"
    assert phone_numbers("+85291234567") == "85291234567"
    assert phone_numbers("+14155550123") == "14155550123"


def test_no_voice_and_no_unmapped_templates() -> None:
    assert AliyunGateway.supports_voice is False
    with responses.RequestsMock():  # and no request at all
        with pytest.raises(SmsNotDelivered):
            gateway().send(code_message(channel="voice"))
        with pytest.raises(SmsNotDelivered):
            gateway().send(code_message(template="Unmapped"))


@pytest.mark.parametrize(
    ("status", "body", "expected", "maybe_sent"),
    [
        # Answers of SendSms itself (HTTP 200, Code != OK).
        (200, {"Code": "isv.SMS_TEMPLATE_ILLEGAL"}, SmsNotDelivered, None),
        (200, {"Code": "isv.SMS_SIGNATURE_ILLEGAL"}, SmsNotDelivered, None),
        (200, {"Code": "isv.TEMPLATE_MISSING_PARAMETERS"}, SmsNotDelivered, None),
        (200, {"Code": "isv.AMOUNT_NOT_ENOUGH"}, SmsNotDelivered, None),
        (200, {"Code": "isv.DAY_LIMIT_CONTROL"}, SmsNotDelivered, None),
        (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL"}, SendThrottled, None),
        (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL"}, InvalidPhoneNumber, None),
        (200, {"Code": "isp.SYSTEM_ERROR"}, ProviderUnavailable, True),
        (200, {"Code": "isp.RAM_PERMISSION_DENY"}, ProviderUnavailable, False),
        # Answers of the OpenAPI gateway (HTTP errors).
        (400, {"Code": "Throttling.User", "Message": "Request was denied"}, SendThrottled, None),
        (404, {"Code": "InvalidAccessKeyId.NotFound"}, ProviderUnavailable, False),
        (400, {"Code": "SignatureDoesNotMatch"}, ProviderUnavailable, False),
        (503, {"Code": "ServiceUnavailable"}, ProviderUnavailable, True),
        (500, {"Code": "InternalError"}, ProviderUnavailable, True),
    ],
)
@responses.activate
def test_errors(
    status: int, body: dict[str, str], expected: type[LcPhoneError], maybe_sent: bool | None
) -> None:
    responses.post(URL, status=status, json={**body, "Message": "m", "RequestId": "R1"})
    with pytest.raises(expected) as caught:
        gateway().send(code_message())
    if isinstance(caught.value, SendThrottled):
        assert caught.value.retry_after == 60
    if maybe_sent is not None:
        assert isinstance(caught.value, ProviderUnavailable)
        assert caught.value.maybe_sent is maybe_sent
    # The vendor's text and the number stay out of what the app sees.
    assert str(caught.value) == expected.default_message
    # No SDK exception chained on: its text quotes the request URL (number and code).
    assert caught.value.__context__ is None or caught.value.__suppress_context__


@responses.activate
def test_a_5xx_page_that_is_not_json_is_an_outage() -> None:
    responses.post(URL, status=502, body="<html>Bad Gateway</html>", content_type="text/html")
    with pytest.raises(ProviderUnavailable) as caught:
        gateway().send(code_message())
    assert caught.value.maybe_sent is True


def test_connection_refused_sent_nothing() -> None:
    with pytest.raises(ProviderUnavailable) as caught:
        gateway(endpoint=closed_port_url(), timeout=2).send(code_message())
    assert caught.value.maybe_sent is False


def test_read_timeout() -> None:
    with scripted_server() as (url, script):
        script.hang()
        with pytest.raises(ProviderTimeout):
            gateway(endpoint=url, timeout=0.3).send(code_message())
        assert len(script.requests) == 1  # no retry: a retry could send a second SMS


def test_dropped_connection_may_have_sent() -> None:
    with scripted_server() as (url, script):
        script.drop()
        with pytest.raises(ProviderUnavailable) as caught:
            gateway(endpoint=url, timeout=2).send(code_message())
    assert caught.value.maybe_sent is True


def test_real_socket_round_trip() -> None:
    with scripted_server() as (url, script):
        script.json(200, OK)
        gateway(endpoint=url).send(code_message())
    (request,) = script.requests
    assert request.method == "POST"
    assert dict(parse_qsl(urlsplit(request.path).query))["PhoneNumbers"] == "13800138000"
    assert request.headers["x-acs-action"] == "SendSms"
