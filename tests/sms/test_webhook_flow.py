"""The local provider sending through the webhook gateway, end to end through the phone API:
a code requested at ``sms-code/`` reaches a verifying receiver, and signing in with it works;
the receiver's refusals become the API's documented errors and keep the limits right."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from tests.app._api import PHONE, assert_error, cool_down, lc_phone_settings, post
from tests.sms._receiver import Receiver, running_receiver

pytestmark = pytest.mark.django_db
WEBHOOK = "django_lc_phone.sms.webhook.WebhookGateway"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A verifying receiver, and the local provider sending to it."""
    with running_receiver() as running:
        options = {"url": running.url, "secret": running.secret, "timeout": 0.5}
        with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=WEBHOOK, SMS_GATEWAY_OPTIONS=options):
            yield running


def last_code(receiver: Receiver, phone: str = PHONE) -> str:
    delivery = [d for d in receiver.verified if d.payload["data"]["phone"] == phone][-1]
    code: str = delivery.payload["data"]["code"]
    return code


def test_a_code_sent_through_the_webhook_signs_up_and_then_logs_in(receiver: Receiver) -> None:
    api = APIClient()
    assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
    data = receiver.verified[0].payload["data"]
    assert (data["purpose"], data["channel"]) == ("generic", "sms")
    assert data["code"] in data["text"]
    signup = post(api, "signup/", {"phone": PHONE, "code": last_code(receiver)})
    assert signup.status_code == 201, signup.content
    assert signup.json()["token"]

    cool_down()
    assert post(api, "login/sms-code/", {"phone": PHONE}).status_code == 202
    assert receiver.verified[-1].payload["data"]["purpose"] == "login"
    login = post(api, "login/", {"phone": PHONE, "code": last_code(receiver)})
    assert login.status_code == 200, login.content
    assert login.json()["user"]["id"] == signup.json()["user"]["id"]


def test_a_number_the_receiver_refuses_is_400_invalid_phone(receiver: Receiver) -> None:
    receiver.answer(422, {"error": "invalid_phone"})
    assert_error(post(APIClient(), "sms-code/", {"phone": PHONE}), 400, "invalid_phone")


def test_a_throttled_receiver_is_429_with_its_retry_after(receiver: Receiver) -> None:
    receiver.answer(429, None, headers={"Retry-After": "90"})
    response = post(APIClient(), "sms-code/", {"phone": PHONE})
    assert_error(response, 429, "sms_rate_limited")
    assert response["Retry-After"] == "90"


def test_a_receiver_that_times_out_keeps_the_cooldown(receiver: Receiver) -> None:
    """The code may be out: a second request within the cooldown is refused, not re-sent."""
    receiver.answer(200, delay=2)
    api = APIClient()
    assert_error(post(api, "sms-code/", {"phone": PHONE}), 504, "upstream_timeout")
    assert_error(post(api, "sms-code/", {"phone": PHONE}), 429, "sms_rate_limited")
    assert len(receiver.deliveries) == 1


def test_a_receiver_that_refuses_our_signature_gives_the_send_back(receiver: Receiver) -> None:
    """Nothing was sent (401): the number's cooldown is given back, so a retry goes through."""
    good = receiver.secret
    receiver.secret = "whsec_" + "A" * 44  # the receiver now expects another secret
    api = APIClient()
    assert_error(post(api, "sms-code/", {"phone": PHONE}), 503, "upstream_unavailable")
    receiver.secret = good
    assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
    assert len(receiver.verified) == 1
