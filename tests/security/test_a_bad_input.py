"""Reference §5 A, bad input (T01-T06): nothing may reach the upstream.

Every test checks the status, the error ``code``, the exact upstream calls (``lc.calls``) and
what must not happen: no SMS or voice call, no 500, no local user, nothing user-controlled in
an upstream URL or body.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from django.conf import settings
from django.test import override_settings
from rest_framework.test import APIClient

from django_lc_phone.conf import get_settings
from django_lc_phone.models import PhoneProfile
from tests import upstream
from tests.app._api import (
    CODE_SENT,
    NATIONAL,
    OTHER,
    PASSWORD,
    PHONE,
    code,
    lc_phone_settings,
    post,
    request_code,
    signed_in,
    signup,
)
from tests.security._util import (
    SEND_PATHS,
    assert_answer,
    assert_identical,
    ip,
    local_state,
    sends,
    upstream_log,
)

# --- T01 --------------------------------------------------------------------------------------

MALFORMED_PHONES: list[Any] = [
    "",
    "abc",
    None,
    [],
    123,
    13800138000,
    "1" * 16,
    "+86" + "1" * 16,
    "+8613800138",  # partial
    "1380013800",  # partial, national
]

# Endpoints that take a phone, with the rest of a valid body.
PHONE_BODIES: dict[str, dict[str, Any]] = {
    "sms-code/": {},
    "login/sms-code/": {},
    "password-reset/sms-code/": {},
    "sms-code/verify/": {"code": "123456"},
    "signup/": {"code": "123456"},
    "login/": {"password": PASSWORD},
    "password-reset/": {"code": "123456", "password": PASSWORD},
}


@pytest.mark.parametrize("path", list(PHONE_BODIES))
def test_t01_malformed_phones_are_400_invalid_phone_with_no_upstream_call(
    path: str, lc: upstream.CountingApp
) -> None:
    """T01: Phone malformed: "", "abc", null, [], 123 (int), 16+ digits, partial number
    -> 400 {"phone": [...]}; no upstream call, no SMS, no 500. (Full-width digits and
    surrounding spaces are read as typed since step 8: tests/app/test_typed_input.py.)"""
    client = APIClient()
    for phone in MALFORMED_PHONES:
        response = post(client, path, {**PHONE_BODIES[path], "phone": phone})
        body = assert_answer(response, 400, "invalid_phone")
        assert body["errors"] == {"phone": ["Enter a valid phone number."]}, phone
    assert lc.calls == []
    assert sends() == 0
    assert local_state() == (0, 0, 0)


def test_t01_equivalent_formats_share_one_e164_number_and_one_send_limit(
    lc: upstream.CountingApp,
) -> None:
    """T01: equivalent formats (+86 138-0013-8000, +8613800138000) normalise to the same E.164
    and the same limiter key."""
    client = APIClient()
    with upstream_log() as log:
        first = post(client, "sms-code/", {"phone": "+86 138-0013-8000"})
        assert_answer(first, 202, "code_sent")
        answers = [
            post(client, "sms-code/", {"phone": typed})
            for typed in ("+8613800138000", NATIONAL, "138 0013 8000", "+86 (138) 0013.8000")
        ]
    for response in answers:
        assert_answer(response, 429, "sms_rate_limited")  # the one number's resend cooldown
        assert response["Retry-After"] == "60"
    assert_identical(answers)
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert [x.body["mobilePhoneNumber"] for x in log.items] == [PHONE]
    assert sends(PHONE) == 1
    assert sends() == 1


def test_t01_equivalent_formats_share_one_attempt_counter(lc: upstream.CountingApp) -> None:
    """T01: equivalent formats normalise to the same limiter key (here the per-number count of
    wrong codes: after five wrong codes typed five ways, the one number asks every new client
    for a CAPTCHA)."""
    sms = request_code(APIClient())
    lc.calls.clear()
    wrong = "000000" if sms != "000000" else "111111"
    typed = ["+86 138-0013-8000", "+8613800138000", NATIONAL, "138 0013 8000", "138-0013-8000"]
    for n, phone in enumerate(typed):
        client = APIClient(REMOTE_ADDR=ip(n))
        failed = post(client, "sms-code/verify/", {"phone": phone, "code": wrong})
        assert_answer(failed, 400, "invalid_code")
    locked = post(APIClient(REMOTE_ADDR=ip(9)), "sms-code/verify/", {"phone": PHONE, "code": sms})
    assert_answer(locked, 400, "captcha_required")
    assert lc.calls == [("POST", f"/1.1/verifySmsCode/{wrong}")] * 5
    assert sends(PHONE) == 1


# --- T02 --------------------------------------------------------------------------------------

# Numbers phonenumbers knows as a blocked type, each with the regions that must be allowed for
# the type (not the region) to be what refuses it.
BLOCKED_TYPE_NUMBERS: dict[str, str] = {
    "+8616812345": "CN PREMIUM_RATE",
    "+868001234567": "CN TOLL_FREE (800)",
    "+864001234567": "CN SHARED_COST (400)",
    "+449012345678": "GB PREMIUM_RATE (09)",
    "+448001234567": "GB TOLL_FREE",
    "+445512345678": "GB UAN",
    "+447640123456": "GB PAGER",
    "+18005551234": "US TOLL_FREE (1-800)",
    "+19005551234": "US PREMIUM_RATE (1-900)",
    "+49177991234567": "DE VOICEMAIL",
}
FOURTH = "+8613600136000"
OUTSIDE_CN = ["+447400123456", "+12015550123", "+85251234567", "+4915123456789"]


def _not_allowed_everywhere(
    phones: list[str], caplog: pytest.LogCaptureFixture, *, signed_in_client: APIClient
) -> list[Any]:
    """Ask every code-request endpoint for a code to each phone; the answers."""
    answers = []
    for n, phone in enumerate(phones):
        caplog.clear()
        for path in SEND_PATHS:
            answers.append(post(APIClient(REMOTE_ADDR=ip(n)), path, {"phone": phone}))
        answers.append(post(signed_in_client, "phone/change/sms-code/", {"phone": phone}))
        _assert_masked_audit_warnings(caplog, phone, count=len(SEND_PATHS) + 1)
    return answers


def _assert_masked_audit_warnings(caplog: pytest.LogCaptureFixture, phone: str, count: int) -> None:
    records = [r for r in caplog.records if r.name == "django_lc_phone.audit"]
    assert len(records) == count, [r.getMessage() for r in records]
    digits = phone.lstrip("+")
    for record in records:
        assert record.levelno == logging.WARNING
        assert record.lc_phone["outcome"] == "phone_not_allowed"  # type: ignore[attr-defined]
        message = record.getMessage()
        assert "outcome=phone_not_allowed" in message
        assert "****" in message
        assert digits[-4:] in message  # correlatable ...
        assert digits not in message  # ... but masked
    for record in caplog.records:
        assert digits not in record.getMessage()


def test_t02_numbers_outside_the_allowed_regions_are_400_phone_not_allowed(
    lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture
) -> None:
    """T02: Number outside the country allowlist -> 400 phone_not_allowed (same body for every
    reason); a masked security event is logged; no upstream call."""
    caplog.set_level(logging.DEBUG)
    client, _ = signed_in()
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    with lc_phone_settings(ALLOWED_REGIONS=["CN"]):
        answers = _not_allowed_everywhere(OUTSIDE_CN, caplog, signed_in_client=client)
    for response in answers:
        assert_answer(response, 400, "phone_not_allowed")
    assert_identical(answers)
    assert lc.calls == []
    assert sends() == 0


def test_t02_blocked_number_types_are_400_phone_not_allowed_like_any_other_reason(
    lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture
) -> None:
    """T02: a number of a blocked type (premium-rate, shared-cost, toll-free, UAN, voicemail,
    pager) -> 400 phone_not_allowed, the same body as for a region outside the allowlist; a
    masked security event is logged; no upstream call."""
    caplog.set_level(logging.DEBUG)
    client, _ = signed_in()
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    with lc_phone_settings(ALLOWED_REGIONS=["CN", "GB", "US", "DE"]):
        by_type = _not_allowed_everywhere(
            list(BLOCKED_TYPE_NUMBERS), caplog, signed_in_client=client
        )
    with lc_phone_settings(ALLOWED_REGIONS=["CN"]):
        by_region = _not_allowed_everywhere(["+447400123456"], caplog, signed_in_client=client)
    for response in by_type + by_region:
        assert_answer(response, 400, "phone_not_allowed")
    assert_identical(by_type + by_region)
    assert lc.calls == []
    assert sends() == 0


def test_t02_voip_is_blocked_when_configured_and_allowed_regions_do_send(
    lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture
) -> None:
    """T02: VoIP when configured -> 400 phone_not_allowed, no upstream call; the same regions
    still send to a mobile number (so the type, not the region, refused)."""
    caplog.set_level(logging.DEBUG)
    voip, mobile = "+445612345678", "+447400123456"
    blocked = (*get_settings().BLOCKED_NUMBER_TYPES, "VOIP")
    with lc_phone_settings(ALLOWED_REGIONS=["CN", "GB"], BLOCKED_NUMBER_TYPES=blocked):
        refused = post(APIClient(), "sms-code/", {"phone": voip})
        assert_answer(refused, 400, "phone_not_allowed")
        _assert_masked_audit_warnings(caplog, voip, count=1)
        assert lc.calls == []
        sent = post(APIClient(), "sms-code/", {"phone": mobile})
        assert_answer(sent, 202, "code_sent")
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert sends(voip) == 0
    assert sends(mobile) == 1


def test_t02_the_default_allowlist_is_the_default_region_only(lc: upstream.CountingApp) -> None:
    """T02 / §2.3: the country allowlist has no default "all": with ALLOWED_REGIONS unset only
    DEFAULT_REGION (CN) numbers receive codes."""
    conf = {k: v for k, v in settings.LC_PHONE.items() if k != "ALLOWED_REGIONS"}
    with override_settings(LC_PHONE=conf):
        refused = post(APIClient(), "sms-code/", {"phone": "+447400123456"})
        sent = post(APIClient(), "sms-code/", {"phone": PHONE})
    assert_answer(refused, 400, "phone_not_allowed")
    assert_answer(sent, 202, "code_sent")
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    assert sends("+447400123456") == 0


# --- T03 --------------------------------------------------------------------------------------

BAD_CODES: list[Any] = [
    "12345",
    "1234567",
    "12 3456",
    "../users/me",
    "123456?x=1",
    "123456%2F..",
    "123456/..",
    "123456#",
    "",
    None,
    123456,
]
CODE_BODIES: dict[str, dict[str, Any]] = {
    "sms-code/verify/": {"phone": PHONE},
    "signup/": {"phone": PHONE},
    "login/": {"phone": PHONE},
    "password-reset/": {"phone": PHONE, "password": "third-Password-3"},
    "phone/verify/": {},
    "phone/change/": {"phone": OTHER},
}


@pytest.mark.parametrize("path", list(CODE_BODIES))
def test_t03_codes_not_matching_six_digits_are_400_invalid_code(
    path: str, lc: upstream.CountingApp
) -> None:
    """T03: Code not matching ^\\d{6}$: "12345", "1234567", "12 3456", "../users/me",
    "123456?x=1", "123456%2F.." -> 400 invalid_code; no upstream call. (Six digits of another
    script are read as ASCII since step 8: tests/app/test_typed_input.py.)"""
    client = signed_in(PHONE)[0] if path.startswith("phone/") else APIClient()
    before = local_state()
    lc.calls.clear()
    for bad in BAD_CODES:
        response = post(client, path, {**CODE_BODIES[path], "code": bad})
        body = assert_answer(response, 400, "invalid_code")
        assert body["errors"] == {"code": ["The code is invalid or has expired."]}, bad
    assert lc.calls == []
    assert local_state() == before


def test_t03_only_six_ascii_digits_ever_reach_an_upstream_url_path(
    lc: upstream.CountingApp,
) -> None:
    """T03: nothing user-controlled is ever put into an upstream URL path (path injection via
    resetPasswordBySmsCode/<code> etc.): every code that reaches a path is six ASCII digits."""
    client, _ = signed_in(PHONE, password=PASSWORD)
    # A change must be pending for phone/change/ to ask LeanCloud at all.
    change_to = CODE_BODIES["phone/change/"]["phone"]
    assert post(client, "phone/change/sms-code/", {"phone": change_to}).status_code == 202
    lc.calls.clear()
    with upstream_log() as log:
        for path, body in CODE_BODIES.items():
            sender = client if path.startswith("phone/") else APIClient(REMOTE_ADDR=ip(1))
            for bad in BAD_CODES:
                assert_answer(post(sender, path, {**body, "code": bad}), 400, "invalid_code")
            wrong = post(sender, path, {**body, "code": "000001"})
            assert wrong.status_code == 400, wrong.content
    # Only the six-digit guesses went out (phone/verify/ of a verified phone goes out too).
    assert len(lc.calls) == len(CODE_BODIES)
    for method, path in lc.calls:
        assert re.fullmatch(r"/1\.1/[A-Za-z]+(/[0-9]{6})?", path), (method, path)
    for exchange in log.items:
        for value in exchange.body.values():
            assert value not in BAD_CODES


# --- T04 --------------------------------------------------------------------------------------

EXTRA: dict[str, Any] = {
    "smsType": "voice",
    "template": "Phishing_Template",
    "sign": "YourBank",
    "name": "YourBank",
    "op": "transfer",
    "ttl": 1440,
    "objectId": "5d831ad3f40d3a0007541fbc",
    "mobilePhoneVerified": True,
    "is_staff": True,
    "is_superuser": True,
    "is_active": False,
    "user_id": 1,
    "_method": "DELETE",
    "_MasterKey": "forged",
}
# Upstream path (codes replaced by <code>) -> the only keys its body may hold.
ALLOWED_KEYS: dict[str, set[str]] = {
    "/1.1/requestSmsCode": {"mobilePhoneNumber", "smsType"},
    "/1.1/requestLoginSmsCode": {"mobilePhoneNumber"},
    "/1.1/requestPasswordResetBySmsCode": {"mobilePhoneNumber"},
    "/1.1/requestChangePhoneNumber": {"mobilePhoneNumber"},
    "/1.1/verifySmsCode/<code>": {"mobilePhoneNumber"},
    "/1.1/usersByMobilePhone": {"mobilePhoneNumber", "smsCode"},
    "/1.1/login": {"mobilePhoneNumber", "password", "smsCode"},
    "/1.1/resetPasswordBySmsCode/<code>": {"mobilePhoneNumber", "password"},
    "/1.1/changePhoneNumber": {"mobilePhoneNumber", "code"},
}


def _route(path: str) -> str:
    return re.sub(r"/[0-9]{6}$", "/<code>", path)


def _assert_only_allowlisted(log: Any) -> None:
    for exchange in log.items:
        route = _route(exchange.path)
        assert set(exchange.body) <= ALLOWED_KEYS[route], (route, exchange.body)
        assert exchange.body.get("smsType", "sms") == "sms", exchange.body
        assert exchange.body.get("ttl", 10) <= 10, exchange.body


def test_t04_extra_fields_on_code_requests_never_reach_the_upstream(
    lc: upstream.CountingApp,
) -> None:
    """T04: Extra fields smsType:"voice", template, sign, name, op, ttl:1440, objectId,
    mobilePhoneVerified:true, is_staff:true -> the valid core decides (202); the upstream body
    holds only allowlisted keys, smsType is always sms and ttl <= 10; no voice call, no
    custom SMS text."""
    client, _ = signed_in(PHONE, password=PASSWORD)
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    extra = {k: v for k, v in EXTRA.items() if k != "template"}  # a real sms-code/ field
    with upstream_log() as log:
        answers = [
            post(APIClient(REMOTE_ADDR=ip(n)), path, {"phone": phone, **EXTRA})
            for n, (path, phone) in enumerate(
                [("login/sms-code/", PHONE), ("password-reset/sms-code/", OTHER)]
            )
        ]
        answers.append(post(APIClient(REMOTE_ADDR=ip(5)), "sms-code/", {"phone": FOURTH, **extra}))
        answers.append(post(client, "phone/change/sms-code/", {"phone": "+8613700137000", **EXTRA}))
    for response in answers:
        assert response.json() == CODE_SENT
        assert_answer(response, 202, "code_sent")
    assert lc.calls == [
        ("POST", "/1.1/requestLoginSmsCode"),
        ("POST", "/1.1/requestPasswordResetBySmsCode"),
        ("POST", "/1.1/requestSmsCode"),
        ("POST", "/1.1/requestChangePhoneNumber"),
    ]
    _assert_only_allowlisted(log)
    messages = upstream.EMULATOR.messages()
    assert len(messages) == 3  # OTHER has no account: no reset code
    assert sends(OTHER) == 0
    for message in messages:
        assert (message["smsType"], message["template"]) == ("sms", None)
        assert "YourBank" not in message["text"]


def test_t04_extra_fields_on_code_checks_change_no_privilege_or_field(
    lc: upstream.CountingApp,
) -> None:
    """T04: extra fields on the endpoints that take a code or a password: upstream bodies hold
    only allowlisted keys; no privilege or field change (mass assignment)."""
    client, user = signed_in(PHONE, password=PASSWORD)
    anonymous = APIClient()
    sms = request_code(anonymous, OTHER)
    assert_answer(post(client, "phone/change/sms-code/", {"phone": FOURTH}), 202, "code_sent")
    change_code = code(FOURTH)
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    with upstream_log() as log:
        answers = {
            "verify": post(anonymous, "sms-code/verify/", {"phone": OTHER, "code": sms, **EXTRA}),
            "login": post(anonymous, "login/", {"phone": PHONE, "password": PASSWORD, **EXTRA}),
            "change": post(
                client, "phone/change/", {"phone": FOURTH, "code": change_code, **EXTRA}
            ),
        }
        upstream.advance_clocks(61)
        sms = request_code(anonymous, OTHER)
        answers["signup"] = post(anonymous, "signup/", {"phone": OTHER, "code": sms, **EXTRA})
        assert_answer(
            post(anonymous, "password-reset/sms-code/", {"phone": FOURTH}), 202, "code_sent"
        )
        reset = {"phone": FOURTH, "code": code(FOURTH), "password": "third-Password-3", **EXTRA}
        answers["reset"] = post(anonymous, "password-reset/", reset)
    assert_answer(answers["verify"], 200, "code_verified")
    assert answers["login"].status_code == 200, answers["login"].content
    assert answers["change"].status_code == 200, answers["change"].content
    assert answers["signup"].status_code == 201, answers["signup"].content
    assert_answer(answers["reset"], 200, "password_reset")
    assert lc.calls == [
        ("POST", f"/1.1/verifySmsCode/{log.items[0].path[-6:]}"),
        ("POST", "/1.1/login"),
        ("POST", "/1.1/changePhoneNumber"),
        ("POST", "/1.1/requestSmsCode"),
        ("POST", "/1.1/usersByMobilePhone"),
        ("POST", "/1.1/requestPasswordResetBySmsCode"),
        ("PUT", f"/1.1/resetPasswordBySmsCode/{code(FOURTH)}"),
    ]
    _assert_only_allowlisted(log)
    new_user = answers["signup"].json()["user"]
    assert new_user["lc_object_id"] != EXTRA["objectId"]
    assert new_user["username"] == OTHER
    assert answers["change"].json()["phone"] == FOURTH
    assert local_state()[:2] == (2, 2)
    for profile in PhoneProfile.objects.select_related("user"):
        assert profile.lc_object_id != EXTRA["objectId"]
        user_flags = (profile.user.is_staff, profile.user.is_superuser, profile.user.is_active)
        assert user_flags == (False, False, True)
    assert answers["login"].json()["user"]["id"] == str(user.pk)
    assert sends() == 2  # the new generic code and the reset code: no voice, no template
    for message in upstream.EMULATOR.messages():
        assert (message["smsType"], message["template"]) == ("sms", None)


def test_t04_a_forged_validate_token_sends_nothing(lc: upstream.CountingApp) -> None:
    """T04: validate_token forged -> the request is refused (400 captcha_required); no SMS."""
    with upstream_log() as log:
        response = post(APIClient(), "sms-code/", {"phone": PHONE, "validate_token": "forged" * 5})
    assert_answer(response, 400, "captcha_required")
    assert lc.calls == [("POST", "/1.1/requestSmsCode")]
    _assert_only_allowlisted_with_token(log)
    assert sends() == 0


def _assert_only_allowlisted_with_token(log: Any) -> None:
    for exchange in log.items:
        allowed = ALLOWED_KEYS[_route(exchange.path)] | {"validate_token"}
        assert set(exchange.body) <= allowed, exchange.body
        assert exchange.body.get("smsType", "sms") == "sms"


def test_t04_voice_only_when_requested_and_allowed(lc: upstream.CountingApp) -> None:
    """T04: smsType is sms unless a voice code is requested (sms_type) and the site allows it
    (ALLOW_VOICE); otherwise 400 not_allowed with no upstream call (no voice call)."""
    with lc_phone_settings(ALLOW_VOICE=False), upstream_log() as log:
        refused = post(APIClient(), "sms-code/", {"phone": PHONE, "sms_type": "voice"})
        camel = post(APIClient(), "sms-code/", {"phone": PHONE, "smsType": "voice"})
    assert_answer(refused, 400, "not_allowed")
    assert_answer(camel, 202, "code_sent")
    assert [m["smsType"] for m in upstream.EMULATOR.messages()] == ["sms"]
    upstream.advance_clocks(3600)
    with lc_phone_settings(ALLOW_VOICE=True), upstream_log() as allowed_log:
        allowed = post(APIClient(), "sms-code/", {"phone": OTHER, "sms_type": "voice"})
    assert_answer(allowed, 202, "code_sent")
    assert lc.calls == [("POST", "/1.1/requestSmsCode")] * 2
    assert [x.body["smsType"] for x in log.items] == ["sms"]
    assert [x.body["smsType"] for x in allowed_log.items] == ["voice"]
    assert [m["smsType"] for m in upstream.EMULATOR.messages(OTHER)] == ["voice"]


def test_t04_voice_is_off_unless_configured(lc: upstream.CountingApp) -> None:
    """T04 / §2.3 Channel: "Force smsType="sms"; no voice unless configured": with ALLOW_VOICE
    left at its default a voice code is refused (400 not_allowed) and no call is made."""
    conf = {k: v for k, v in settings.LC_PHONE.items() if k != "ALLOW_VOICE"}
    with override_settings(LC_PHONE=conf):
        response = post(APIClient(), "sms-code/", {"phone": PHONE, "sms_type": "voice"})
    assert_answer(response, 400, "not_allowed")
    assert lc.calls == []
    assert sends() == 0


def test_t04_code_lifetimes_sent_upstream_are_at_most_ten_minutes(
    lc: upstream.CountingApp,
) -> None:
    """T04/T14: whatever ttl the client sends, the outgoing requestSmsCode (and every other send)
    carries ttl <= 10 minutes (or none: LeanCloud's default, 10)."""
    client, _ = signed_in(PHONE, password=PASSWORD)
    lc.calls.clear()
    with upstream_log() as log:
        for n, (path, phone) in enumerate(
            [("sms-code/", OTHER), ("login/sms-code/", PHONE), ("password-reset/sms-code/", PHONE)]
        ):
            upstream.advance_clocks(61)
            sent = post(APIClient(REMOTE_ADDR=ip(n)), path, {"phone": phone, "ttl": 1440})
            assert_answer(sent, 202, "code_sent")
        changed = post(client, "phone/change/sms-code/", {"phone": "+8613700137000", "ttl": 30})
        assert_answer(changed, 202, "code_sent")
    assert len(lc.calls) == 4
    for exchange in log.items:
        assert exchange.body.get("ttl", 10) <= 10, exchange.body
    # And the code does expire upstream within ten minutes.
    sms = code(OTHER)
    upstream.EMULATOR.clock.advance(10 * 60 + 1)
    late = post(APIClient(), "sms-code/verify/", {"phone": OTHER, "code": sms})
    assert_answer(late, 400, "invalid_code")
    assert len(lc.calls) == 5


# --- T05 --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content_type", "payload", "status", "error"),
    [
        ("text/plain", "+8613800138000", 415, "unsupported_media_type"),
        ("text/plain", json.dumps({"phone": PHONE}), 415, "unsupported_media_type"),
        (
            "application/x-www-form-urlencoded",
            "phone=%2B8613800138000",
            415,
            "unsupported_media_type",
        ),
        ("multipart/form-data; boundary=x", "--x--", 415, "unsupported_media_type"),
        ("application/json", json.dumps([{"phone": PHONE}]), 400, "invalid"),
        ("application/json", json.dumps(PHONE), 400, "invalid"),
        ("application/json", "{not json", 400, "parse_error"),
    ],
)
@pytest.mark.parametrize("path", ["sms-code/", "login/"])
def test_t05_wrong_media_types_and_shapes_are_refused(
    path: str,
    content_type: str,
    payload: str,
    status: int,
    error: str,
    api: APIClient,
    lc: upstream.CountingApp,
) -> None:
    """T05: Wrong media type: text/plain, form-encoded where only JSON is accepted, top-level
    JSON array -> 415 / 400; no 500, no upstream call."""
    response = api.generic("POST", f"/auth/phone/{path}", payload, content_type=content_type)
    assert_answer(response, status, error)
    assert lc.calls == []
    assert sends() == 0


def test_t05_a_one_megabyte_body_is_413(api: APIClient, lc: upstream.CountingApp) -> None:
    """T05: oversized body (1 MB) -> 413; no 500, no upstream call."""
    payload = json.dumps({"phone": PHONE, "padding": "x" * (1024 * 1024)})
    response = api.generic(
        "POST", "/auth/phone/sms-code/", payload, content_type="application/json"
    )
    assert_answer(response, 413, "request_too_large")
    assert lc.calls == []
    assert sends() == 0


def test_t05_a_body_over_djangos_limit_is_413(api: APIClient, lc: upstream.CountingApp) -> None:
    """T05: a body over DATA_UPLOAD_MAX_MEMORY_SIZE -> 413 in our shape; no upstream call."""
    payload = json.dumps({"phone": PHONE, "padding": "x" * (3 * 1024 * 1024)})
    response = api.generic("POST", "/auth/phone/login/", payload, content_type="application/json")
    assert_answer(response, 413, "request_too_large")
    assert lc.calls == []


# --- T06 --------------------------------------------------------------------------------------

WEAK_PASSWORDS = [
    "Abc-12x",  # 7 characters
    "password",  # on the common-password blocklist
    "12345678",
    "密码密码密码密",  # 7 code points (21 UTF-8 bytes): counted per code point
]


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
def test_t06_a_weak_password_is_refused_before_the_code_is_spent(
    password: str, lc: upstream.CountingApp
) -> None:
    """T06: Weak password at sign-up or reset: 7 chars, a blocklisted password -> 400 with the
    password error before any upstream call; no code spent upstream for a request we then
    reject."""
    signup(APIClient(), OTHER, password=PASSWORD)
    client = APIClient()
    sms = request_code(client)
    assert post(client, "password-reset/sms-code/", {"phone": OTHER}).status_code == 202
    reset_code = code(OTHER)
    lc.calls.clear()
    before = local_state()
    for path, body in (
        ("signup/", {"phone": PHONE, "code": sms}),
        ("password-reset/", {"phone": OTHER, "code": reset_code}),
    ):
        response = post(client, path, {**body, "password": password})
        errors = assert_answer(response, 400, "invalid")["errors"]
        assert set(errors) == {"password"}, errors
    assert lc.calls == []
    assert local_state() == before
    # Neither code was spent: both still work.
    ok = post(client, "signup/", {"phone": PHONE, "code": sms, "password": PASSWORD})
    assert ok.status_code == 201, ok.content
    reset = post(
        client, "password-reset/", {"phone": OTHER, "code": reset_code, "password": "new-Pass-42"}
    )
    assert_answer(reset, 200, "password_reset")
    assert lc.calls == [
        ("POST", "/1.1/usersByMobilePhone"),
        ("PUT", f"/1.1/resetPasswordBySmsCode/{reset_code}"),
    ]


@pytest.mark.parametrize(
    "password",
    [
        "x" * 64,  # 64 characters
        "密码密码密码密码",  # 8 code points, 24 bytes
        "Pässwörd-Ünïcode-" + "é" * 47,  # 64 code points
    ],
)
def test_t06_long_and_unicode_passwords_are_accepted(
    password: str, lc: upstream.CountingApp
) -> None:
    """T06: 64-char password accepted; Unicode counted per code point; long passwords pass."""
    client = APIClient()
    sms = request_code(client)
    lc.calls.clear()
    created = post(client, "signup/", {"phone": PHONE, "code": sms, "password": password})
    assert created.status_code == 201, created.content
    login = post(APIClient(), "login/", {"phone": PHONE, "password": password})
    assert login.status_code == 200, login.content
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone"), ("POST", "/1.1/login")]
    assert local_state()[:2] == (1, 1)
