"""System check ``lc_phone.E022``: the local provider's CAPTCHA verifier builds with
``CAPTCHA_VERIFIER_OPTIONS`` (a vendor's keys are there, its thresholds in range), and the
message names what is wrong, never a key's value."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks

from django_lc_phone import checks as lc_checks
from tests.checks._checks import configured, ids

pytestmark = pytest.mark.usefixtures("redis_never_evicts")

CAPTCHA = "django_lc_phone.providers.local.captcha."
SECRET = "the-vendor-secret-value"
KEYS = {"site_key": "the-site-key", "secret_key": SECRET}
TENCENT = {
    "captcha_app_id": 190000001,
    "app_secret_key": SECRET,
    "secret_id": "AKIDexample",
    "secret_key": SECRET,
}


class Fussy:
    """A verifier of a site's own whose constructor fails in its own way."""

    def __init__(self) -> None:
        raise ValueError(SECRET)

    def challenge(self) -> None: ...

    def verify(self) -> None: ...


def _e022(verifier: str, options: Any, provider: str = "local") -> list[checks.CheckMessage]:
    with configured(
        PROVIDER=provider,
        SMS_GATEWAY="django_lc_phone.sms.tencent.TencentGateway",
        SMS_GATEWAY_OPTIONS={
            "secret_id": "x",
            "secret_key": "y",
            "sdk_app_id": "1",
            "templates": "1",
        },  # type: ignore[arg-type]
        CAPTCHA_VERIFIER=verifier,
        CAPTCHA_VERIFIER_OPTIONS=options,
    ):
        found = [m for m in lc_checks.check_local_provider() if m.id == "lc_phone.E022"]
        if found:  # and manage.py check shows it, under the tag
            assert "lc_phone.E022" in ids(checks.run_checks(tags=[lc_checks.TAG]))
    for message in found:
        assert SECRET not in message.msg
        assert SECRET not in str(message.hint)
    return found


@pytest.mark.parametrize(
    ("verifier", "options", "named"),
    [
        ("Turnstile", {}, "secret_key, site_key"),
        ("HCaptcha", {"site_key": "the-site-key"}, "secret_key"),
        ("RecaptchaV2", {"secret_key": SECRET}, "site_key"),
        ("RecaptchaV3", {**KEYS, "site_key": ""}, "site_key"),
        ("TencentCaptcha", {**TENCENT, "secret_id": ""}, "secret_id"),
        ("TencentCaptcha", {"captcha_app_id": 1}, "app_secret_key, secret_id, secret_key"),
    ],
)
def test_a_vendor_verifier_without_its_keys(verifier: str, options: Any, named: str) -> None:
    [message] = _e022(CAPTCHA + verifier, options)
    assert message.msg == (
        f"LC_PHONE['CAPTCHA_VERIFIER'] '{CAPTCHA}{verifier}' cannot be built: {verifier}: set "
        f"{named} in LC_PHONE['CAPTCHA_VERIFIER_OPTIONS']."
    )
    assert "CAPTCHA_VERIFIER_OPTIONS" in str(message.hint)


@pytest.mark.parametrize("min_score", [1.5, -0.1, "0.5", True, None, float("nan")])
def test_a_bad_min_score(min_score: Any) -> None:
    [message] = _e022(CAPTCHA + "RecaptchaV3", {**KEYS, "min_score": min_score})
    assert "min_score must be a number from 0.0 to 1.0" in message.msg


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({**KEYS, "connect_timeout": 0}, "connect_timeout"),
        ({**KEYS, "read_timeout": "5"}, "read_timeout"),
        ({**KEYS, "hostnames": [""]}, "hostnames"),
        ({**KEYS, "secret": SECRET}, "'secret'"),  # an unknown option, by name
    ],
)
def test_other_bad_options_are_named(options: Any, named: str) -> None:
    [message] = _e022(CAPTCHA + "Turnstile", options)
    assert named in message.msg


def test_the_image_captcha_takes_no_options() -> None:
    assert _e022(CAPTCHA + "ImageCaptcha", {}) == []
    [message] = _e022(CAPTCHA + "ImageCaptcha", {"site_key": "x"})
    assert "ImageCaptcha" in message.msg


def test_a_site_s_own_verifier_that_fails_is_reported_by_the_error_s_type() -> None:
    [message] = _e022(f"{__name__}.Fussy", {})
    assert message.msg.endswith("cannot be built: building it raised ValueError.")


@pytest.mark.parametrize(
    ("verifier", "options"),
    [
        ("Turnstile", {**KEYS, "hostnames": ["example.com"], "action": "login"}),
        ("HCaptcha", KEYS),
        (
            "RecaptchaV2",
            {**KEYS, "verify_url": "https://www.recaptcha.net/recaptcha/api/siteverify"},
        ),
        ("RecaptchaV3", {**KEYS, "min_score": 0.7, "action": "sms", "read_timeout": 2}),
        ("TencentCaptcha", TENCENT),
        ("TencentCaptcha", {**TENCENT, "captcha_app_id": "190000001"}),
    ],
)
def test_complete_options_pass(verifier: str, options: Any) -> None:
    assert _e022(CAPTCHA + verifier, options) == []


def test_leancloud_s_provider_uses_no_verifier_of_ours() -> None:
    assert _e022(CAPTCHA + "Turnstile", {}, provider="leancloud") == []
