"""``captcha/`` and ``captcha/verify/`` with a vendor's widget (the local provider's
``CAPTCHA_VERIFIER``): ``captcha/`` says which widget and site key to render, ``captcha/verify/``
takes its ``captcha_response`` (and Tencent's ``captcha_randstr``), sends the vendor the
client's address, and the ``validate_token`` it returns unlocks one code request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses
from rest_framework.test import APIClient

from django_lc_phone.providers.base import CaptchaChallenge
from django_lc_phone.sms import locmem
from django_lc_phone.testing import SmsOutbox
from tests import upstream
from tests.app._api import PASSWORD, PHONE, assert_error, lc_phone_settings, post, url

CAPTCHA = "django_lc_phone.providers.local.captcha."
TURNSTILE_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
RECAPTCHA_URL = "https://www.google.com/recaptcha/api/siteverify"
TENCENT_URL = "https://captcha.tencentcloudapi.com/"
KEYS = {"site_key": "1x00000000000000000000AA", "secret_key": "the-secret-key"}
TOKEN = "XXXX.DUMMY.TOKEN.XXXX"
CLIENT = "198.51.100.23"
PASSED = {"success": True, "hostname": "example.com", "error-codes": []}


@pytest.fixture
def vendor() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        yield mocked


@pytest.fixture
def turnstile() -> Iterator[None]:
    with lc_phone_settings(
        PROVIDER="local",
        CAPTCHA_VERIFIER=CAPTCHA + "Turnstile",
        CAPTCHA_VERIFIER_OPTIONS={**KEYS, "hostnames": ["example.com"]},
    ):
        yield


class OldVerifier:
    """A verifier of a site's own, written before verify() took remote_ip."""

    def challenge(self) -> CaptchaChallenge:
        return CaptchaChallenge(verifier="image", token="abcd1234", url="data:image/png;base64,")

    def verify(self, token: str, answer: str) -> str:
        return "validate-" + token + answer


def _sent(call: Any) -> str:
    """The body of a request to the vendor, as text."""
    body = call.request.body
    return body.decode() if isinstance(body, bytes) else str(body)


def _verify(api: APIClient, body: dict[str, Any], **extra: Any) -> Any:
    return post(api, "captcha/verify/", body, REMOTE_ADDR=CLIENT, **extra)


def test_captcha_names_the_widget_and_its_site_key(api: APIClient, turnstile: None) -> None:
    answer = api.get(url("captcha/"))
    assert answer.status_code == 200
    assert answer.json() == {"verifier": "turnstile", "site_key": KEYS["site_key"]}


def test_recaptcha_v3_s_captcha_names_the_action_to_run(api: APIClient) -> None:
    options = {**KEYS, "action": "sms_code"}
    with lc_phone_settings(
        PROVIDER="local", CAPTCHA_VERIFIER=CAPTCHA + "RecaptchaV3", CAPTCHA_VERIFIER_OPTIONS=options
    ):
        body = api.get(url("captcha/")).json()
    assert body == {"verifier": "recaptcha_v3", "site_key": KEYS["site_key"], "action": "sms_code"}


def test_the_image_says_it_is_the_image(api: APIClient) -> None:
    with lc_phone_settings(PROVIDER="local"):
        body = api.get(url("captcha/")).json()
    assert set(body) == {"verifier", "captcha_token", "captcha_url"}
    assert body["verifier"] == "image"


def test_a_widget_s_response_gives_a_validate_token_for_one_code_request(
    api: APIClient, turnstile: None, vendor: responses.RequestsMock
) -> None:
    vendor.add(responses.POST, TURNSTILE_URL, json=PASSED)
    verified = _verify(api, {"captcha_response": TOKEN})
    assert verified.status_code == 200, verified.content
    assert set(verified.json()) == {"validate_token"}
    [call] = vendor.calls
    form = {k: v for k, [v] in parse_qs(_sent(call)).items()}
    assert form == {"secret": KEYS["secret_key"], "response": TOKEN, "remoteip": CLIENT}
    validate_token = verified.json()["validate_token"]
    with lc_phone_settings(
        PROVIDER="local",
        CAPTCHA_VERIFIER=CAPTCHA + "Turnstile",
        CAPTCHA_VERIFIER_OPTIONS=KEYS,
        CAPTCHA_REQUIRED=True,
    ):
        assert_error(post(api, "sms-code/", {"phone": PHONE}), 400, "captcha_required")
        with_token = {"phone": PHONE, "validate_token": validate_token}
        assert post(api, "sms-code/", with_token).status_code == 202
        assert_error(post(api, "sms-code/", with_token), 400, "captcha_required")  # spent


def test_a_widget_s_validate_token_answers_the_step_up_of_a_number_under_attack(
    vendor: responses.RequestsMock,
) -> None:
    """A number with recent failures asks clients that never signed in as it for a solved
    CAPTCHA: a Turnstile token, through captcha/verify/, is one."""
    vendor.add(responses.POST, TURNSTILE_URL, json=PASSED)
    locmem.outbox.clear()
    with lc_phone_settings(
        PROVIDER="local",
        SMS_GATEWAY="django_lc_phone.sms.locmem.LocmemGateway",
        CAPTCHA_VERIFIER=CAPTCHA + "Turnstile",
        CAPTCHA_VERIFIER_OPTIONS=KEYS,
    ):
        owner = APIClient(REMOTE_ADDR="192.0.2.1")
        assert post(owner, "sms-code/", {"phone": PHONE}).status_code == 202
        code = SmsOutbox().last_code(PHONE)
        signup = {"phone": PHONE, "code": code, "password": PASSWORD}
        assert post(owner, "signup/", signup).status_code == 201
        upstream.advance_clocks(61)
        wrong = {"phone": PHONE, "password": "not-the-password-1"}
        for n in range(6):
            post(APIClient(REMOTE_ADDR=f"192.0.2.{10 + n}"), "login/", wrong)
        stranger = APIClient(REMOTE_ADDR=CLIENT)
        right = {"phone": PHONE, "password": PASSWORD}
        assert_error(post(stranger, "login/", right), 400, "captcha_required")
        verified = post(stranger, "captcha/verify/", {"captcha_response": TOKEN})
        assert verified.status_code == 200, verified.content
        answered = {**right, "validate_token": verified.json()["validate_token"]}
        assert post(stranger, "login/", answered).status_code == 200
    locmem.outbox.clear()


def test_the_address_behind_a_trusted_proxy_is_the_one_sent(
    api: APIClient, vendor: responses.RequestsMock
) -> None:
    vendor.add(responses.POST, TURNSTILE_URL, json=PASSED)
    with lc_phone_settings(
        PROVIDER="local",
        CAPTCHA_VERIFIER=CAPTCHA + "Turnstile",
        CAPTCHA_VERIFIER_OPTIONS=KEYS,
        TRUSTED_PROXIES=1,
    ):
        forwarded = {"HTTP_X_FORWARDED_FOR": "192.0.2.99, 203.0.113.50"}
        assert _verify(api, {"captcha_response": TOKEN}, **forwarded).status_code == 200
    assert parse_qs(_sent(vendor.calls[0]))["remoteip"] == ["203.0.113.50"]


def test_a_response_is_taken_once(
    api: APIClient, turnstile: None, vendor: responses.RequestsMock
) -> None:
    vendor.add(responses.POST, TURNSTILE_URL, json=PASSED)
    assert _verify(api, {"captcha_response": TOKEN}).status_code == 200
    assert_error(_verify(api, {"captcha_response": TOKEN}), 400, "captcha_spent")
    assert len(vendor.calls) == 1


def test_a_wrong_response_is_invalid_captcha(
    api: APIClient, turnstile: None, vendor: responses.RequestsMock
) -> None:
    wrong = {"success": False, "error-codes": ["invalid-input-response"]}
    vendor.add(responses.POST, TURNSTILE_URL, json=wrong)
    assert_error(_verify(api, {"captcha_response": TOKEN}), 400, "invalid_captcha")


def test_a_widget_solved_on_another_host_is_invalid_captcha(
    api: APIClient, turnstile: None, vendor: responses.RequestsMock
) -> None:
    vendor.add(responses.POST, TURNSTILE_URL, json={**PASSED, "hostname": "phish.example"})
    assert_error(_verify(api, {"captcha_response": TOKEN}), 400, "invalid_captcha")


def test_a_low_recaptcha_v3_score_is_invalid_captcha(
    api: APIClient, vendor: responses.RequestsMock
) -> None:
    answer = {**PASSED, "score": 0.3, "action": "lc_phone"}
    vendor.add(responses.POST, RECAPTCHA_URL, json=answer)
    with lc_phone_settings(
        PROVIDER="local", CAPTCHA_VERIFIER=CAPTCHA + "RecaptchaV3", CAPTCHA_VERIFIER_OPTIONS=KEYS
    ):
        assert_error(_verify(api, {"captcha_response": TOKEN}), 400, "invalid_captcha")


@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.ReadTimeout("read timed out")},
        {"status": 503, "body": "<html>Service Unavailable</html>"},
        {"status": 200, "body": "<html>not json</html>"},
    ],
    ids=["timeout", "5xx", "not-json"],
)
def test_a_vendor_without_a_verdict_is_503_captcha_unavailable(
    api: APIClient, turnstile: None, vendor: responses.RequestsMock, answer: dict[str, Any]
) -> None:
    vendor.add(responses.POST, TURNSTILE_URL, **answer)
    refused = _verify(api, {"captcha_response": TOKEN})
    assert_error(refused, 503, "captcha_unavailable")
    assert refused["Retry-After"] == "30"


def test_tencent_s_ticket_and_randstr(api: APIClient, vendor: responses.RequestsMock) -> None:
    passed = {"Response": {"CaptchaCode": 1, "CaptchaMsg": "OK", "EvilLevel": 0, "RequestId": "r"}}
    vendor.add(responses.POST, TENCENT_URL, json=passed)
    options = {
        "captcha_app_id": 190000001,
        "app_secret_key": "the-app-secret",
        "secret_id": "AKIDexample",
        "secret_key": "the-api-secret",
    }
    with lc_phone_settings(
        PROVIDER="local",
        CAPTCHA_VERIFIER=CAPTCHA + "TencentCaptcha",
        CAPTCHA_VERIFIER_OPTIONS=options,
    ):
        assert api.get(url("captcha/")).json() == {"verifier": "tencent", "site_key": "190000001"}
        body = {"captcha_response": "tr03-ticket*", "captcha_randstr": "@Ab1"}
        assert _verify(api, body).status_code == 200
    sent = json.loads(_sent(vendor.calls[0]))
    assert (sent["Ticket"], sent["Randstr"], sent["UserIp"]) == ("tr03-ticket*", "@Ab1", CLIENT)


@pytest.mark.parametrize(
    "body",
    [
        {"captcha_response": TOKEN, "captcha_token": "abcd1234", "captcha_code": "ABCD"},
        {"captcha_randstr": "@Ab1"},
        {"captcha_token": "abcd1234", "captcha_code": "ABCD", "captcha_randstr": "@Ab1"},
        {"captcha_response": ""},
        {"captcha_response": "a token with spaces"},
        {"captcha_response": "x" * 8193},
        {"captcha_response": 12345},
    ],
)
def test_captcha_verify_refuses_bad_input_unasked(
    api: APIClient, turnstile: None, vendor: responses.RequestsMock, body: dict[str, Any]
) -> None:
    assert_error(_verify(api, body), 400, "invalid", errors=True)
    assert len(vendor.calls) == 0


def test_a_verifier_of_the_site_s_own_from_before_remote_ip_still_answers(api: APIClient) -> None:
    with lc_phone_settings(PROVIDER="local", CAPTCHA_VERIFIER=f"{__name__}.OldVerifier"):
        body = {"captcha_token": "abcd1234", "captcha_code": "ABCD"}
        verified = _verify(api, body)
    assert verified.status_code == 200, verified.content
    assert verified.json() == {"validate_token": "validate-abcd1234ABCD"}
