"""Shared fixtures for the gateway tests: test credentials, messages, a clean gateway cache."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_lc_phone import sms
from django_lc_phone.sms import locmem
from django_lc_phone.sms.base import SmsMessage

CODE = "480917"
PHONE_CN = "+8613800138000"
PHONE_HK = "+85291234567"
PHONE_US = "+14155550123"

# Credentials that must never appear in a log record.
ALIYUN_KEY_ID = "LTAI5tTestKeyIdAbc123"
ALIYUN_SECRET = "aliyun-secret-never-logged-0001"
TENCENT_ID = "AKIDtestSecretIdXyz0000000000000"
TENCENT_KEY = "tencent-secret-never-logged-0002"
TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-token-never-logged-00003"
WEBHOOK_SECRET = "whsec_d2ViaG9vay1zZWNyZXQtbmV2ZXItbG9nZ2VkLTAwMDQ="
WEBHOOK_TOKEN = "webhook-bearer-never-logged-0005"
SECRETS = (
    ALIYUN_KEY_ID,
    ALIYUN_SECRET,
    TENCENT_ID,
    TENCENT_KEY,
    TWILIO_SID,
    TWILIO_TOKEN,
    WEBHOOK_SECRET,
    WEBHOOK_TOKEN,
)


def code_message(phone: str = PHONE_CN, **changes: object) -> SmsMessage:
    """A login code, as the local provider sends it."""
    fields: dict[str, object] = {
        "phone": phone,
        "purpose": "login",
        "text": f"Your login code is {CODE}. It expires in 10 minutes.",
        "code": CODE,
    }
    fields.update(changes)
    return SmsMessage(**fields)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _fresh_gateway() -> Iterator[None]:
    """No gateway cached from another test, and an empty locmem outbox."""
    sms.reset_gateway()
    locmem.outbox.clear()
    yield
    sms.reset_gateway()
    locmem.outbox.clear()
