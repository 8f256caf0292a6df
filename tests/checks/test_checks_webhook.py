"""Checks lc_phone.E030 and W030: the webhook SMS gateway's options, caught by ``manage.py
check`` rather than by the first code a user asks for."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks

from django_lc_phone import checks as lc_checks
from tests.checks._checks import configured, ids, lc_phone_messages

pytestmark = pytest.mark.usefixtures("redis_never_evicts")

WEBHOOK = "django_lc_phone.sms.webhook.WebhookGateway"
SECRET = "whsec_" + "c2VjcmV0LWtleS1vZi0zMi1ieXRlcy1mb3ItdGVzdHM="  # 32 bytes
GOOD = {"url": "https://sms.example.com/hooks/sms", "secret": SECRET}
E030_HINT = (
    "Set url to your receiver's http(s) URL and secret to the signing secret you gave it "
    "('whsec_' and the base64 of at least 24 random bytes); docs/gateways.md has the rest."
)


def webhook(options: dict[str, Any], **lc_phone: Any) -> Any:
    keys: dict[str, Any] = {
        "PROVIDER": "local",
        "SMS_GATEWAY": WEBHOOK,
        "SMS_GATEWAY_OPTIONS": options,
        **lc_phone,
    }
    return configured(**keys)


def test_a_good_webhook_configuration_passes_every_check() -> None:
    with webhook(GOOD):
        assert lc_checks.check_webhook_gateway() == []
        assert ids(lc_phone_messages()) == []


def test_e030_a_missing_url_and_secret() -> None:
    with webhook({}):
        assert lc_checks.check_webhook_gateway() == [
            checks.Error(
                "The webhook SMS gateway cannot be built from LC_PHONE['SMS_GATEWAY_OPTIONS']: "
                "set url; set secret.",
                hint=E030_HINT,
                id="lc_phone.E030",
            )
        ]
        assert "lc_phone.E030" in ids(lc_phone_messages())


@pytest.mark.parametrize(
    ("options", "problem"),
    [
        ({**GOOD, "url": "sms.example.com/hooks"}, "url must be an http(s) URL with a host"),
        ({**GOOD, "secret": "my-password-1"}, "secret must be a str starting with 'whsec_'"),
        ({**GOOD, "secret": "whsec_c2hvcnQ="}, "secret must hold at least 24 random bytes"),
        ({**GOOD, "timeout": "10"}, "timeout must be a positive number of seconds"),
        ({**GOOD, "headers": {"Webhook-Signature": "x"}}, "headers must not set"),
    ],
)
def test_e030_names_the_option_never_its_value(options: dict[str, Any], problem: str) -> None:
    with webhook(options):
        [message] = lc_checks.check_webhook_gateway()
    assert message.id == "lc_phone.E030"
    assert problem in message.msg
    assert "my-password-1" not in message.msg
    assert "c2hvcnQ" not in message.msg


def test_w030_plain_http_to_another_host_while_debug_is_off() -> None:
    options = {**GOOD, "url": "http://sms.internal.example.com/hooks/sms"}
    with webhook(options):
        assert lc_checks.check_webhook_gateway() == [
            checks.Warning(
                "The webhook SMS gateway posts codes and phone numbers over plain http to "
                "another machine while DEBUG is off.",
                hint="Use an https URL; if the way there is a private network you trust, add "
                "lc_phone.W030 to SILENCED_SYSTEM_CHECKS.",
                id="lc_phone.W030",
            )
        ]
    with webhook(options, debug=True):
        assert lc_checks.check_webhook_gateway() == []
    with webhook({**GOOD, "url": "http://127.0.0.1:8080/hooks/sms"}):
        assert lc_checks.check_webhook_gateway() == []


def test_not_for_other_gateways_or_providers_or_options_e011_reports() -> None:
    with configured(PROVIDER="local", SMS_GATEWAY="django_lc_phone.sms.locmem.LocmemGateway"):
        assert lc_checks.check_webhook_gateway() == []
    leancloud_sends: dict[str, Any] = {"SMS_GATEWAY": WEBHOOK, "SMS_GATEWAY_OPTIONS": {}}
    with configured(**leancloud_sends):
        assert lc_checks.check_webhook_gateway() == []
    with webhook(["not", "a", "dict"]):  # type: ignore[arg-type]
        assert lc_checks.check_webhook_gateway() == []
        assert "lc_phone.E011" in ids(lc_phone_messages())
