"""The siteverify vendors (``providers/local/captcha/siteverify.py``): Cloudflare Turnstile,
hCaptcha and reCAPTCHA v2 and v3, against their documented siteverify requests (a form POST of
``secret``, ``response`` and ``remoteip``) and answers (``success``, ``error-codes``,
``hostname``, v3's ``score`` and ``action``). Each token is taken once, whatever the vendor
says; a vendor that gives no verdict fails closed."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest
import requests
import responses

from django_lc_phone import exceptions as domain
from django_lc_phone.providers.local.captcha import (
    HCaptcha,
    RecaptchaV2,
    RecaptchaV3,
    Turnstile,
    build_verifier,
)

SITE_KEY = "the-site-key"
SECRET = "the-secret-key-never-logged"
TOKEN = "XXXX.DUMMY.TOKEN.XXXX-0123456789_abcdefghijklmnop"
CLIENT = "203.0.113.7"
# Each vendor's documented siteverify endpoint.
ENDPOINTS = {
    Turnstile: "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    HCaptcha: "https://api.hcaptcha.com/siteverify",
    RecaptchaV2: "https://www.google.com/recaptcha/api/siteverify",
    RecaptchaV3: "https://www.google.com/recaptcha/api/siteverify",
}
VENDORS = list(ENDPOINTS)
# A success as each documents it.
PASSES: dict[type[Any], dict[str, Any]] = {
    Turnstile: {
        "success": True,
        "challenge_ts": "2026-12-03T15:14:30.096Z",
        "hostname": "example.com",
        "error-codes": [],
        "action": "",
        "cdata": "",
    },
    HCaptcha: {"success": True, "challenge_ts": "2026-12-03T15:14:30Z", "hostname": "example.com"},
    RecaptchaV2: {
        "success": True,
        "challenge_ts": "2026-12-03T15:14:30Z",
        "hostname": "example.com",
    },
    RecaptchaV3: {
        "success": True,
        "score": 0.9,
        "action": "lc_phone",
        "challenge_ts": "2026-12-03T15:14:30Z",
        "hostname": "example.com",
    },
}
WRONG = {"success": False, "error-codes": ["invalid-input-response"]}


@pytest.fixture
def vendor() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        yield mocked


def _verifier(cls: type[Any], **options: Any) -> Any:
    return cls(site_key=SITE_KEY, secret_key=SECRET, **options)


def _answer(vendor: responses.RequestsMock, cls: type[Any], **answer: Any) -> None:
    vendor.add(responses.POST, ENDPOINTS[cls], **answer)


def _timeout(call: Any) -> object:
    """The ``timeout`` the request was sent with (``responses`` keeps the keyword arguments)."""
    return call.request.req_kwargs["timeout"]


def _form(call: Any) -> dict[str, str]:
    assert call.request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    return {k: v for k, [v] in parse_qs(call.request.body).items()}


@pytest.mark.parametrize("cls", VENDORS)
def test_a_right_answer_sends_the_documented_form_with_the_client_s_address(
    vendor: responses.RequestsMock, cls: type[Any]
) -> None:
    _answer(vendor, cls, json=PASSES[cls])
    validate_token = _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)
    assert re.fullmatch(r"[0-9a-f]{48}", validate_token)
    [call] = vendor.calls
    expected = {"secret": SECRET, "response": TOKEN, "remoteip": CLIENT}
    if cls is HCaptcha:  # so a token solved for another site key is refused
        expected["sitekey"] = SITE_KEY
    assert _form(call) == expected
    assert _timeout(call) == (3.05, 5.0)


@pytest.mark.parametrize("cls", VENDORS)
def test_no_known_address_sends_no_remoteip(vendor: responses.RequestsMock, cls: type[Any]) -> None:
    _answer(vendor, cls, json=PASSES[cls])
    _verifier(cls).verify("", TOKEN)
    assert "remoteip" not in _form(vendor.calls[0])


def test_the_timeouts_and_the_endpoint_come_from_the_options(
    vendor: responses.RequestsMock,
) -> None:
    mirror = "https://www.recaptcha.net/recaptcha/api/siteverify"
    vendor.add(responses.POST, mirror, json=PASSES[RecaptchaV2])
    verifier = build_verifier(
        "django_lc_phone.providers.local.captcha.RecaptchaV2",
        {
            "site_key": SITE_KEY,
            "secret_key": SECRET,
            "verify_url": mirror,
            "connect_timeout": 1,
            "read_timeout": 2.5,
        },
    )
    verifier.verify("", TOKEN, remote_ip=CLIENT)
    assert _timeout(vendor.calls[0]) == (1.0, 2.5)


@pytest.mark.parametrize("cls", VENDORS)
def test_a_wrong_answer_is_invalid_captcha(vendor: responses.RequestsMock, cls: type[Any]) -> None:
    _answer(vendor, cls, json=WRONG)
    with pytest.raises(domain.InvalidCaptcha) as refused:
        _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)
    assert type(refused.value) is domain.InvalidCaptcha


@pytest.mark.parametrize("cls", VENDORS)
def test_a_token_is_taken_once_without_asking_the_vendor_again(
    vendor: responses.RequestsMock, cls: type[Any]
) -> None:
    """The vendor would say yes twice (this mock does): we do not ask it the second time."""
    _answer(vendor, cls, json=PASSES[cls])
    _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)
    with pytest.raises(domain.CaptchaSpent):
        _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)
    assert len(vendor.calls) == 1


@pytest.mark.parametrize("cls", VENDORS)
def test_a_wrongly_answered_token_is_spent_too(
    vendor: responses.RequestsMock, cls: type[Any]
) -> None:
    _answer(vendor, cls, json=WRONG)
    with pytest.raises(domain.InvalidCaptcha):
        _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)
    with pytest.raises(domain.CaptchaSpent):
        _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)
    assert len(vendor.calls) == 1


@pytest.mark.parametrize(
    ("cls", "code", "error"),
    [
        (Turnstile, "timeout-or-duplicate", domain.CaptchaExpired),
        (HCaptcha, "already-seen-response", domain.CaptchaSpent),
        (HCaptcha, "invalid-or-already-seen-response", domain.InvalidCaptcha),
        (RecaptchaV2, "timeout-or-duplicate", domain.CaptchaExpired),
        (RecaptchaV3, "timeout-or-duplicate", domain.CaptchaExpired),
    ],
)
def test_the_vendor_s_own_replay_codes_are_invalid_captcha(
    vendor: responses.RequestsMock, cls: type[Any], code: str, error: type[Exception]
) -> None:
    _answer(vendor, cls, json={"success": False, "error-codes": [code]})
    with pytest.raises(domain.InvalidCaptcha) as refused:
        _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)
    assert type(refused.value) is error


@pytest.mark.parametrize("cls", VENDORS)
@pytest.mark.parametrize(
    "code", ["invalid-input-secret", "missing-input-secret", "bad-request", "internal-error"]
)
def test_our_keys_refused_or_the_vendor_failing_is_unavailable_not_a_wrong_answer(
    vendor: responses.RequestsMock, cls: type[Any], code: str
) -> None:
    _answer(vendor, cls, json={"success": False, "error-codes": [code]})
    with pytest.raises(domain.CaptchaUnavailable):
        _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)


def test_hcaptcha_s_sitekey_secret_mismatch_is_ours(vendor: responses.RequestsMock) -> None:
    _answer(vendor, HCaptcha, json={"success": False, "error-codes": ["sitekey-secret-mismatch"]})
    with pytest.raises(domain.CaptchaUnavailable):
        _verifier(HCaptcha).verify("", TOKEN, remote_ip=CLIENT)


@pytest.mark.parametrize("cls", VENDORS)
def test_a_widget_solved_on_another_host_is_refused(
    vendor: responses.RequestsMock, cls: type[Any]
) -> None:
    _answer(vendor, cls, json={**PASSES[cls], "hostname": "evil.example"})
    with pytest.raises(domain.InvalidCaptcha):
        _verifier(cls, hostnames=["example.com"]).verify("", TOKEN, remote_ip=CLIENT)
    _answer(vendor, cls, json={**PASSES[cls], "hostname": "Example.COM"})
    _verifier(cls, hostnames=["example.com", "www.example.com"]).verify("", "other-token")


@pytest.mark.parametrize(("score", "passes"), [(0.1, False), (0.49, False), (0.5, True), (1, True)])
def test_recaptcha_v3_needs_min_score(
    vendor: responses.RequestsMock, score: float, passes: bool
) -> None:
    _answer(vendor, RecaptchaV3, json={**PASSES[RecaptchaV3], "score": score})
    verifier = _verifier(RecaptchaV3)  # min_score 0.5 by default
    if passes:
        verifier.verify("", TOKEN, remote_ip=CLIENT)
    else:
        with pytest.raises(domain.InvalidCaptcha):
            verifier.verify("", TOKEN, remote_ip=CLIENT)


def test_recaptcha_v3_s_threshold_is_an_option(vendor: responses.RequestsMock) -> None:
    _answer(vendor, RecaptchaV3, json={**PASSES[RecaptchaV3], "score": 0.7})
    with pytest.raises(domain.InvalidCaptcha):
        _verifier(RecaptchaV3, min_score=0.8).verify("", TOKEN, remote_ip=CLIENT)


@pytest.mark.parametrize(
    "answer",
    [
        {**PASSES[RecaptchaV3], "action": "login"},  # solved for another action
        {k: v for k, v in PASSES[RecaptchaV3].items() if k != "score"},  # a v2 token
        {**PASSES[RecaptchaV3], "score": "0.9"},
    ],
)
def test_recaptcha_v3_checks_the_action_and_wants_a_score(
    vendor: responses.RequestsMock, answer: dict[str, Any]
) -> None:
    _answer(vendor, RecaptchaV3, json=answer)
    with pytest.raises(domain.InvalidCaptcha):
        _verifier(RecaptchaV3).verify("", TOKEN, remote_ip=CLIENT)


def test_turnstile_checks_the_action_when_one_is_set(vendor: responses.RequestsMock) -> None:
    _answer(vendor, Turnstile, json={**PASSES[Turnstile], "action": "signup"})
    with pytest.raises(domain.InvalidCaptcha):
        _verifier(Turnstile, action="login").verify("", TOKEN, remote_ip=CLIENT)
    _answer(vendor, Turnstile, json={**PASSES[Turnstile], "action": "login"})
    _verifier(Turnstile, action="login").verify("", "second-token", remote_ip=CLIENT)


@pytest.mark.parametrize("cls", VENDORS)
@pytest.mark.parametrize(
    "answer",
    [
        {"body": requests.ReadTimeout("read timed out")},
        {"body": requests.ConnectTimeout("connect timed out")},
        {"body": requests.ConnectionError("connection refused")},
        {"status": 500, "json": {"success": True}},
        {"status": 503, "body": "<html>Service Unavailable</html>"},
        {"status": 200, "body": "<html>a captive portal</html>"},
        {"status": 200, "json": ["success"]},
        {"status": 302, "headers": {"Location": "https://elsewhere.example/"}},
    ],
    ids=["read-timeout", "connect-timeout", "refused", "500", "503", "html", "array", "redirect"],
)
def test_no_verdict_fails_closed(
    vendor: responses.RequestsMock,
    cls: type[Any],
    answer: dict[str, Any],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _answer(vendor, cls, **answer)
    with caplog.at_level(logging.DEBUG), pytest.raises(domain.CaptchaUnavailable):
        _verifier(cls).verify("", TOKEN, remote_ip=CLIENT)
    assert "CAPTCHA check failed" in caplog.text
    assert SECRET not in caplog.text
    assert TOKEN not in caplog.text


@pytest.mark.parametrize("cls", VENDORS)
@pytest.mark.parametrize("token", ["", "x" * 8193])
def test_what_cannot_be_a_token_is_refused_unasked(
    vendor: responses.RequestsMock, cls: type[Any], token: str
) -> None:
    with pytest.raises(domain.InvalidCaptcha):
        _verifier(cls).verify("", token, remote_ip=CLIENT)
    assert len(vendor.calls) == 0


@pytest.mark.parametrize(
    ("cls", "name"),
    [(Turnstile, "turnstile"), (HCaptcha, "hcaptcha"), (RecaptchaV2, "recaptcha_v2")],
)
def test_the_challenge_names_the_widget_and_its_site_key(cls: type[Any], name: str) -> None:
    challenge = _verifier(cls).challenge()
    assert (challenge.verifier, challenge.site_key, challenge.token, challenge.url) == (
        name,
        SITE_KEY,
        "",
        "",
    )
    assert SECRET not in repr(_verifier(cls))


def test_recaptcha_v3_s_challenge_names_its_action() -> None:
    challenge = _verifier(RecaptchaV3, action="sms_code").challenge()
    assert (challenge.verifier, challenge.site_key, challenge.action) == (
        "recaptcha_v3",
        SITE_KEY,
        "sms_code",
    )


def test_a_vendor_down_opens_its_breaker_and_answers_are_refused_unasked(
    vendor: responses.RequestsMock,
) -> None:
    """After CIRCUIT_FAILURES (5) outages in a row the vendor is not asked: each answer is
    refused at once with Retry-After, instead of waiting out the timeouts."""
    _answer(vendor, Turnstile, body=requests.ConnectTimeout("connect timed out"))
    for n in range(5):
        with pytest.raises(domain.CaptchaUnavailable):
            _verifier(Turnstile).verify("", f"token-{n}", remote_ip=CLIENT)
    with pytest.raises(domain.CaptchaUnavailable) as refused:
        _verifier(Turnstile).verify("", "token-5", remote_ip=CLIENT)
    assert len(vendor.calls) == 5
    assert refused.value.retry_after == 60
    # Another vendor has a breaker of its own.
    _answer(vendor, HCaptcha, json=PASSES[HCaptcha])
    _verifier(HCaptcha).verify("", "token-6", remote_ip=CLIENT)


def test_our_keys_refused_do_not_open_the_breaker(vendor: responses.RequestsMock) -> None:
    _answer(vendor, Turnstile, json={"success": False, "error-codes": ["invalid-input-secret"]})
    for n in range(6):
        with pytest.raises(domain.CaptchaUnavailable):
            _verifier(Turnstile).verify("", f"token-{n}", remote_ip=CLIENT)
    assert len(vendor.calls) == 6  # each was asked: the vendor is up
