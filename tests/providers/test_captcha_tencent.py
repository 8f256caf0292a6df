"""Tencent Cloud Captcha (``providers/local/captcha/tencent.py``): ``DescribeCaptchaResult``
(API 3.0, version 2019-07-22) as documented: a JSON POST to captcha.tencentcloudapi.com signed
TC3-HMAC-SHA256, whose ``Response`` carries ``CaptchaCode`` (1 passes), ``EvilLevel`` and, on
an API error, ``Error.Code``. The signature is checked with the official SDK's own HMAC chain
(``tencentcloud-sdk-python-common``, installed with the ``tencent`` SMS extra)."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
import responses
from tencentcloud.common.sign import Sign  # type: ignore[import-untyped]

from django_lc_phone import exceptions as domain
from django_lc_phone.providers.local.captcha import TencentCaptcha

URL = "https://captcha.tencentcloudapi.com/"
APP_ID = 190000001
APP_SECRET = "the-app-secret-key-never-logged"
SECRET_ID = "AKIDexampleSecretId"
SECRET_KEY = "the-api-secret-key-never-logged"
TICKET = "tr0344YjJASGmJGtohyWS_y6tJKiqVPIdFgl87vWlVaQoueR8D6DH28go-i-VjeassM31SXO7D0*"
RANDSTR = "@KVN"
CLIENT = "203.0.113.7"
PASSED = {
    "Response": {
        "CaptchaCode": 1,
        "CaptchaMsg": "OK",
        "EvilLevel": 0,
        "GetCaptchaTime": 0,
        "RequestId": "3c140219-cfe9-470e-b241-907877d6fb03",
    }
}


def _response(**fields: Any) -> dict[str, Any]:
    return {"Response": {**PASSED["Response"], **fields}}


def _error(code: str) -> dict[str, Any]:
    message = "The provided credentials could not be validated."
    return {"Response": {"Error": {"Code": code, "Message": message}, "RequestId": "r-1"}}


@pytest.fixture
def vendor() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        yield mocked


def _sent(vendor: responses.RequestsMock) -> tuple[Any, bytes]:
    """The one request Tencent was sent, and its body."""
    [call] = vendor.calls
    request: Any = call.request
    body = request.body
    return request, body if isinstance(body, bytes) else str(body).encode()


def _verifier(**options: Any) -> TencentCaptcha:
    keys = {
        "captcha_app_id": APP_ID,
        "app_secret_key": APP_SECRET,
        "secret_id": SECRET_ID,
        "secret_key": SECRET_KEY,
    }
    return TencentCaptcha(**{**keys, **options})


def test_a_passed_ticket_sends_the_documented_request(vendor: responses.RequestsMock) -> None:
    vendor.add(responses.POST, URL, json=PASSED)
    assert len(_verifier().verify(RANDSTR, TICKET, remote_ip=CLIENT)) == 48
    request, body = _sent(vendor)
    assert json.loads(body) == {
        "CaptchaType": 9,
        "Ticket": TICKET,
        "UserIp": CLIENT,
        "Randstr": RANDSTR,
        "CaptchaAppId": APP_ID,
        "AppSecretKey": APP_SECRET,
    }
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert request.headers["Host"] == "captcha.tencentcloudapi.com"
    assert request.headers["X-TC-Action"] == "DescribeCaptchaResult"
    assert request.headers["X-TC-Version"] == "2019-07-22"
    assert request.req_kwargs["timeout"] == (3.05, 5.0)


def test_the_signature_is_tc3_as_the_official_sdk_computes_it(
    vendor: responses.RequestsMock,
) -> None:
    vendor.add(responses.POST, URL, json=PASSED)
    _verifier().verify(RANDSTR, TICKET, remote_ip=CLIENT)
    request, body = _sent(vendor)
    timestamp = int(request.headers["X-TC-Timestamp"])
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    # Tencent Cloud API 3.0, "Signature v3": the canonical request, then the string to sign.
    canonical = (
        "POST\n/\n\n"
        "content-type:application/json; charset=utf-8\nhost:captcha.tencentcloudapi.com\n\n"
        "content-type;host\n" + hashlib.sha256(body).hexdigest()
    )
    scope = f"{date}/captcha/tc3_request"
    to_sign = (
        f"TC3-HMAC-SHA256\n{timestamp}\n{scope}\n" + hashlib.sha256(canonical.encode()).hexdigest()
    )
    signature = Sign.sign_tc3(SECRET_KEY, date, "captcha", to_sign)
    assert request.headers["Authorization"] == (
        f"TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope}, SignedHeaders=content-type;host, "
        f"Signature={signature}"
    )


def test_the_international_endpoint_and_the_timeouts_are_options(
    vendor: responses.RequestsMock,
) -> None:
    vendor.add(responses.POST, "https://captcha.intl.tencentcloudapi.com/", json=PASSED)
    verifier = _verifier(endpoint="captcha.intl.tencentcloudapi.com", read_timeout=2)
    verifier.verify(RANDSTR, TICKET, remote_ip=CLIENT)
    request, _ = _sent(vendor)
    assert request.headers["Host"] == "captcha.intl.tencentcloudapi.com"
    assert request.req_kwargs["timeout"] == (3.05, 2.0)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (_response(CaptchaCode=7, CaptchaMsg="captcha no match"), domain.InvalidCaptcha),
        (_response(CaptchaCode=15, CaptchaMsg="decrypt fail"), domain.InvalidCaptcha),
        (_response(CaptchaCode=16, CaptchaMsg="appid-ticket mismatch"), domain.InvalidCaptcha),
        (_response(CaptchaCode=21, CaptchaMsg="diff"), domain.InvalidCaptcha),
        (_response(CaptchaCode=8, CaptchaMsg="ticket expired"), domain.CaptchaExpired),
        (_response(CaptchaCode=9, CaptchaMsg="ticket reused"), domain.CaptchaSpent),
        (_response(EvilLevel=100), domain.InvalidCaptcha),  # a pass the risk engine calls evil
        (_response(CaptchaCode="1"), domain.InvalidCaptcha),
        (_error("InvalidParameterValue"), domain.InvalidCaptcha),  # a malformed ticket
    ],
)
def test_a_ticket_tencent_refuses_is_invalid_captcha(
    vendor: responses.RequestsMock, answer: dict[str, Any], error: type[Exception]
) -> None:
    vendor.add(responses.POST, URL, json=answer)
    with pytest.raises(domain.InvalidCaptcha) as refused:
        _verifier().verify(RANDSTR, TICKET, remote_ip=CLIENT)
    assert type(refused.value) is error


def test_a_ticket_is_taken_once_without_asking_tencent_again(
    vendor: responses.RequestsMock,
) -> None:
    vendor.add(responses.POST, URL, json=PASSED)
    _verifier().verify(RANDSTR, TICKET, remote_ip=CLIENT)
    with pytest.raises(domain.CaptchaSpent):
        _verifier().verify(RANDSTR, TICKET, remote_ip=CLIENT)
    assert len(vendor.calls) == 1


@pytest.mark.parametrize(("randstr", "ticket"), [("", TICKET), ("x" * 65, TICKET), (RANDSTR, "")])
def test_a_missing_randstr_or_ticket_is_refused_unasked(
    vendor: responses.RequestsMock, randstr: str, ticket: str
) -> None:
    with pytest.raises(domain.InvalidCaptcha):
        _verifier().verify(randstr, ticket, remote_ip=CLIENT)
    assert len(vendor.calls) == 0


@pytest.mark.parametrize(
    "answer",
    [
        {"json": _error("AuthFailure.SignatureFailure")},
        {"json": _error("AuthFailure.SecretIdNotFound")},
        {"json": _error("InternalError")},
        {"json": _error("RequestLimitExceeded")},
        {"json": {"Response": "OK"}},
        {"json": {"CaptchaCode": 1}},  # no Response envelope
        {"status": 502, "body": "<html>Bad Gateway</html>"},
        {"status": 200, "body": "not json"},
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectionError("refused")},
    ],
)
def test_no_verdict_fails_closed(
    vendor: responses.RequestsMock, answer: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    vendor.add(responses.POST, URL, **answer)
    with caplog.at_level(logging.DEBUG), pytest.raises(domain.CaptchaUnavailable):
        _verifier().verify(RANDSTR, TICKET, remote_ip=CLIENT)
    for secret in (APP_SECRET, SECRET_KEY, TICKET):
        assert secret not in caplog.text


def test_the_challenge_names_the_widget_and_the_app_id() -> None:
    challenge = _verifier(captcha_app_id=str(APP_ID)).challenge()
    assert (challenge.verifier, challenge.site_key, challenge.token) == ("tencent", str(APP_ID), "")
    assert APP_SECRET not in repr(_verifier())
    assert SECRET_KEY not in repr(_verifier())
