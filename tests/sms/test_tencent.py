"""Tencent Cloud SMS: the exact SendSms request the SDK sends, and its errors as domain errors.

No network: ``responses`` answers at the requests layer (the SDK sends through a requests
``Session``), and a scripted server on 127.0.0.1 stands in for the real sockets.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, timezone
from typing import Any

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
from django_lc_phone.sms.tencent import TencentGateway
from tests.sms._http import closed_port_url, scripted_server
from tests.sms.conftest import CODE, PHONE_CN, PHONE_US, TENCENT_ID, TENCENT_KEY, code_message

URL = "https://sms.tencentcloudapi.com/"


def gateway(**options: Any) -> TencentGateway:
    defaults: dict[str, Any] = {
        "secret_id": TENCENT_ID,
        "secret_key": TENCENT_KEY,
        "sdk_app_id": "1400006666",
        "sign_name": "腾讯云",
        "templates": {"generic": "1110", "login": "2220", "Order_Notice": "3330"},
    }
    return TencentGateway(**{**defaults, **options})


def status(code: str = "Ok", phone: str = PHONE_CN) -> dict[str, Any]:
    one = {"SerialNo": "2028:1", "PhoneNumber": phone, "Fee": 1, "Code": code, "Message": "m"}
    return {"Response": {"SendStatusSet": [{**one, "IsoCode": "CN"}], "RequestId": "R1"}}


def api_error(code: str) -> dict[str, Any]:
    return {"Response": {"Error": {"Code": code, "Message": "m"}, "RequestId": "R1"}}


def sent_json(request: Any) -> Any:
    return json.loads(request.body)


def tc3_signature(request: Any, secret_key: str) -> str:
    """Tencent Cloud API 3.0's TC3-HMAC-SHA256 signature, computed from the request as sent."""
    timestamp = request.headers["X-TC-Timestamp"]
    date = datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d")
    body = request.body if isinstance(request.body, bytes) else request.body.encode()
    canonical = "\n".join(
        [
            "POST",
            "/",
            "",
            f"content-type:{request.headers['Content-Type']}\nhost:{request.headers['Host']}\n",
            "content-type;host",
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{date}/sms/tc3_request"
    to_sign = "\n".join(
        ["TC3-HMAC-SHA256", timestamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )

    def sign(key: bytes, text: str) -> bytes:
        return hmac.new(key, text.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(("TC3" + secret_key).encode(), date), "sms"), "tc3_request")
    return hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()


@responses.activate
def test_send_sms_request() -> None:
    responses.post(URL, json=status())
    gateway().send(code_message())
    (call,) = responses.calls
    request = call.request
    assert request.method == "POST"
    assert request.url == URL
    headers = request.headers
    assert headers["Host"] == "sms.tencentcloudapi.com"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-TC-Action"] == "SendSms"
    assert headers["X-TC-Version"] == "2021-01-11"
    assert headers["X-TC-Region"] == "ap-guangzhou"
    assert headers["X-TC-Timestamp"].isdigit()
    assert sent_json(request) == {
        "PhoneNumberSet": [PHONE_CN],  # E.164 with "+"
        "SmsSdkAppId": "1400006666",
        "TemplateId": "2220",  # the login template
        "SignName": "腾讯云",
        "TemplateParamSet": [CODE],
    }
    date = datetime.fromtimestamp(int(headers["X-TC-Timestamp"]), timezone.utc).date()
    assert headers["Authorization"] == (
        f"TC3-HMAC-SHA256 Credential={TENCENT_ID}/{date.isoformat()}/sms/tc3_request, "
        f"SignedHeaders=content-type;host, Signature={tc3_signature(request, TENCENT_KEY)}"
    )


@responses.activate
def test_template_message_in_the_configured_order() -> None:
    responses.post(URL, json=status(phone=PHONE_US))
    gateway(
        template_params={"Order_Notice": ["order", "code", "minutes"]},
        ttl_param="minutes",
        sign_name=None,  # international messages go without a sign
    ).send(code_message(PHONE_US, template="Order_Notice", variables={"order": "A-1"}))
    body = sent_json(responses.calls[0].request)
    assert body["PhoneNumberSet"] == [PHONE_US]
    assert body["TemplateId"] == "3330"
    assert body["TemplateParamSet"] == ["A-1", CODE, "10"]
    assert "SignName" not in body  # unset fields are left out, not sent as null


@responses.activate
def test_code_with_its_lifetime_by_default_order() -> None:
    responses.post(URL, json=status())
    gateway(ttl_param="minutes").send(code_message(purpose="verify_phone"))
    body = sent_json(responses.calls[0].request)
    assert body["TemplateId"] == "1110"  # generic: no verify_phone template
    assert body["TemplateParamSet"] == [CODE, "10"]


def test_no_voice_and_no_unknown_parameter_names() -> None:
    assert TencentGateway.supports_voice is False
    with responses.RequestsMock():  # and no request at all
        with pytest.raises(SmsNotDelivered):
            gateway().send(code_message(channel="voice"))
        with pytest.raises(SmsNotDelivered):
            gateway(template_params={"login": ["nope"]}).send(code_message())


@pytest.mark.parametrize(
    ("http", "body", "expected", "maybe_sent"),
    [
        # API-level errors (the whole request refused).
        (200, api_error("FailedOperation.TemplateIncorrectOrUnapproved"), SmsNotDelivered, None),
        (200, api_error("FailedOperation.SignatureIncorrectOrUnapproved"), SmsNotDelivered, None),
        (200, api_error("FailedOperation.InsufficientBalanceInSmsPackage"), SmsNotDelivered, None),
        (200, api_error("RequestLimitExceeded"), SendThrottled, None),
        (200, api_error("InvalidParameterValue.IncorrectPhoneNumber"), InvalidPhoneNumber, None),
        (200, api_error("AuthFailure.SignatureFailure"), ProviderUnavailable, False),
        (200, api_error("AuthFailure.SecretIdNotFound"), ProviderUnavailable, False),
        (200, api_error("InternalError.OtherError"), ProviderUnavailable, True),
        (200, api_error("InternalError.Timeout"), ProviderTimeout, None),
        # Per-number answers (SendStatusSet[].Code).
        (200, status("LimitExceeded.PhoneNumberDailyLimit"), SendThrottled, None),
        (200, status("LimitExceeded.PhoneNumberThirtySecondLimit"), SendThrottled, None),
        (200, status("LimitExceeded.AppDailyLimit"), SmsNotDelivered, None),
        (200, status("InvalidParameterValue.IncorrectPhoneNumber"), InvalidPhoneNumber, None),
        (200, status("FailedOperation.PhoneNumberInBlacklist"), SmsNotDelivered, None),
        # HTTP failures.
        (502, {"message": "bad gateway"}, ProviderUnavailable, True),
        (503, {"message": "unavailable"}, ProviderUnavailable, True),
    ],
)
@responses.activate
def test_errors(
    http: int, body: dict[str, Any], expected: type[LcPhoneError], maybe_sent: bool | None
) -> None:
    responses.post(URL, status=http, json=body)
    with pytest.raises(expected) as caught:
        gateway().send(code_message())
    if isinstance(caught.value, SendThrottled):
        assert caught.value.retry_after == 60
    if maybe_sent is not None:
        assert isinstance(caught.value, ProviderUnavailable)
        assert caught.value.maybe_sent is maybe_sent
    assert str(caught.value) == expected.default_message
    assert caught.value.__context__ is None or caught.value.__suppress_context__


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
        script.json(200, status())
        gateway(endpoint=url).send(code_message())
    (request,) = script.requests
    assert request.headers["X-TC-Action"] == "SendSms"
    assert sent_json(request)["PhoneNumberSet"] == [PHONE_CN]
