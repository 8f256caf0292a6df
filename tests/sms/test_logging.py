"""No gateway, and no SDK under it, logs a key, a code or a full phone number.

Every logger is captured at DEBUG (the SDKs' own: ``tencentcloud_sdk_common``,
``darabonba-core``, ``twilio.http_client``, and urllib3's request lines) while each gateway
succeeds and fails over real sockets on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from typing import Any

import pytest

from django_lc_phone.exceptions import LcPhoneError
from django_lc_phone.sms.base import SmsGateway
from django_lc_phone.sms.webhook import WebhookGateway
from tests.sms import test_aliyun, test_tencent, test_twilio
from tests.sms._http import Script, closed_port_url, scripted_server
from tests.sms.conftest import (
    CODE,
    PHONE_CN,
    PHONE_US,
    SECRETS,
    WEBHOOK_SECRET,
    WEBHOOK_TOKEN,
    code_message,
)

NATIONAL = ("13800138000", "4155550123")


@pytest.fixture
def everything(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def leaks(records: list[logging.LogRecord]) -> list[str]:
    found = []
    for record in records:
        text = record.getMessage()
        assert record.exc_info is None, record.name  # a traceback would quote SDK messages
        for secret in (*SECRETS, CODE, *NATIONAL, "Authorization", "Signature="):
            if secret in text:
                found.append(f"{record.name}: {secret!r} in {text[:200]!r}")
    return found


def run(gateway: SmsGateway, phone: str, **changes: Any) -> None:
    with contextlib.suppress(LcPhoneError):
        gateway.send(code_message(phone, **changes))


Scenario = Callable[[str], SmsGateway]
GATEWAYS: dict[str, tuple[Scenario, str, dict[str, Any], dict[str, Any]]] = {
    # name: (build with endpoint, phone, success answer, refusal answer)
    "aliyun": (
        lambda url: test_aliyun.gateway(endpoint=url, timeout=0.5),
        PHONE_CN,
        test_aliyun.OK,
        {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": f"bad {PHONE_CN}", "RequestId": "R"},
    ),
    "tencent": (
        lambda url: test_tencent.gateway(endpoint=url, timeout=0.5),
        PHONE_CN,
        test_tencent.status(),
        test_tencent.status("LimitExceeded.PhoneNumberDailyLimit"),
    ),
    "twilio": (
        lambda url: test_twilio.local(url, timeout=0.5),
        PHONE_US,
        {"sid": "SM1"},
        test_twilio.rest_error(400, 21211, f"The 'To' number {PHONE_US} is not valid."),
    ),
    "webhook": (
        lambda url: WebhookGateway(
            url=f"{url}/hooks/sms",
            secret=WEBHOOK_SECRET,
            timeout=0.5,
            headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}"},
            voice=True,
        ),
        PHONE_CN,
        {"id": "sms_1"},
        {"code": "x", "error": "invalid_phone", "detail": f"cannot text {PHONE_CN}"},
    ),
}


def script_all(script: Script, ok: dict[str, Any], refusal: dict[str, Any]) -> None:
    script.json(200 if "sid" not in ok else 201, ok)
    script.json(400 if "code" in refusal else 200, refusal)
    script.json(503, {"Code": "ServiceUnavailable", "message": f"down {PHONE_CN}"})
    script.drop()
    script.hang()


@pytest.mark.parametrize("name", sorted(GATEWAYS))
def test_gateways_and_sdks_log_no_secrets(
    name: str, everything: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Alibaba's Darabonba dumps whole requests and answers when DEBUG=sdk is set.
    monkeypatch.setenv("DEBUG", "sdk")
    build, phone, ok, refusal = GATEWAYS[name]
    with scripted_server() as (url, script):
        script_all(script, ok, refusal)
        gateway = build(url)
        for _ in range(5):  # ok, refusal, 503, dropped, timeout
            run(gateway, phone)
        run(gateway, phone, channel="voice")
        run(build(closed_port_url()), phone)
        assert len(script.requests) >= 5
    records = everything.records
    names = {record.name for record in records}
    assert f"django_lc_phone.sms.{name}" in names
    if name == "aliyun":
        assert {"urllib3.connectionpool", "darabonba-core"} <= names
    if name == "tencent":
        assert "tencentcloud_sdk_common" in names
    if name == "twilio":
        assert {"twilio.http_client", "urllib3.connectionpool"} <= names
    if name == "webhook":
        assert "urllib3.connectionpool" in names
    assert leaks(records) == []


def test_failures_are_logged_with_a_masked_number_and_the_vendor_code(
    everything: pytest.LogCaptureFixture,
) -> None:
    with scripted_server() as (url, script):
        script.json(200, test_tencent.status("LimitExceeded.PhoneNumberDailyLimit"))
        run(test_tencent.gateway(endpoint=url), PHONE_CN)
    warnings = [r.getMessage() for r in everything.records if r.levelno == logging.WARNING]
    assert warnings == [
        "Tencent Cloud SMS to +86138****8000 failed: SendThrottled "
        "(code LimitExceeded.PhoneNumberDailyLimit, request R1)"
    ]
