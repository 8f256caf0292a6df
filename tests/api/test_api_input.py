"""Bad input (T01, T03, T04, T06): a 400 before anything goes upstream, and nothing else sent."""

from __future__ import annotations

import json
from typing import Any

import pytest
from rest_framework.test import APIClient

from django_lc_phone.models import PhoneProfile
from tests import upstream
from tests.app._api import (
    CODE_SENT,
    NATIONAL,
    OTHER,
    PASSWORD,
    PHONE,
    assert_error,
    code,
    post,
    request_code,
    signed_in,
    upstream_bodies,
)

BAD_PHONES: list[Any] = [
    "",
    "abc",
    None,
    [],
    ["+8613800138000"],
    {"number": "+8613800138000"},
    123,
    13800138000,
    True,
    "1" * 16,
    "+86" + "1" * 16,
    "1380013800",
    "+86\n13800138000",
    "+86 138 0013 800",
    "1-800-FLOWERS",
]
# Surrounding whitespace and other scripts' digits are read as typed (finding 18 of step 8,
# tests/app/test_typed_input.py): not in these lists.
BAD_CODES: list[Any] = [
    "",
    None,
    123456,
    ["123456"],
    "12345",
    "1234567",
    "12 3456",
    "../users/me",
    "123456?x=1",
    "123456%2F..",
    "123456/..",
    "12345a",
]

# Endpoints taking a phone (and what else they need to be valid otherwise).
PHONE_BODIES: dict[str, dict[str, Any]] = {
    "sms-code/": {},
    "sms-code/verify/": {"code": "123456"},
    "signup/": {"code": "123456"},
    "login/sms-code/": {},
    "login/": {"code": "123456"},
    "password-reset/sms-code/": {},
    "password-reset/": {"code": "123456", "password": PASSWORD},
    "phone/change/sms-code/": {},
    "phone/change/": {"code": "123456"},
}
# Endpoints taking a code.
CODE_BODIES: dict[str, dict[str, Any]] = {
    "sms-code/verify/": {"phone": PHONE},
    "signup/": {"phone": PHONE},
    "login/": {"phone": PHONE},
    "password-reset/": {"phone": PHONE, "password": PASSWORD},
    "phone/verify/": {},
    "phone/change/": {"phone": OTHER},
}


def _client(path: str) -> APIClient:
    """A signed-in client for the phone/ endpoints, an anonymous one for the others."""
    return signed_in()[0] if path.startswith("phone/") else APIClient()


@pytest.mark.parametrize("path", list(PHONE_BODIES))
def test_bad_phones_are_400_invalid_phone_with_no_upstream_call(
    path: str, lc: upstream.CountingApp
) -> None:
    client = _client(path)
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    for phone in BAD_PHONES:
        response = post(client, path, {**PHONE_BODIES[path], "phone": phone})
        assert_error(response, 400, "invalid_phone", errors=True)
        assert response.json()["errors"] == {"phone": ["Enter a valid phone number."]}, phone
    assert lc.calls == []
    assert upstream.EMULATOR.messages() == []


@pytest.mark.parametrize("path", list(PHONE_BODIES))
def test_a_missing_phone_is_400_with_no_upstream_call(path: str, lc: upstream.CountingApp) -> None:
    client = _client(path)
    lc.calls.clear()
    response = post(client, path, PHONE_BODIES[path])
    assert_error(response, 400, "invalid", errors=True)
    assert response.json()["errors"]["phone"] == ["This field is required."]
    assert lc.calls == []


@pytest.mark.parametrize("path", list(CODE_BODIES))
def test_bad_codes_are_400_invalid_code_with_no_upstream_call(
    path: str, lc: upstream.CountingApp
) -> None:
    client = _client(path)
    lc.calls.clear()
    for bad in BAD_CODES:
        response = post(client, path, {**CODE_BODIES[path], "code": bad})
        assert_error(response, 400, "invalid_code", errors=True)
        assert response.json()["errors"] == {"code": ["The code is invalid or has expired."]}, bad
    assert lc.calls == []


@pytest.mark.parametrize("path", ["sms-code/", "login/sms-code/", "password-reset/sms-code/"])
def test_equivalent_formats_reach_upstream_as_one_e164_number(
    path: str, lc: upstream.CountingApp
) -> None:
    client = APIClient()
    with upstream_bodies() as bodies:
        for typed in ("+86 138-0013-8000", NATIONAL, "138 0013 8000"):
            upstream.advance_clocks(61)
            response = post(client, path, {"phone": typed})
            assert response.status_code == 202, response.content
    assert [body["mobilePhoneNumber"] for _, body in bodies] == [PHONE] * 3
    assert len(lc.calls) == 3


def test_signup_by_a_national_number_links_the_e164_one(lc: upstream.CountingApp) -> None:
    client = APIClient()
    assert post(client, "sms-code/", {"phone": "+86 138-0013-8000"}).status_code == 202
    response = post(client, "signup/", {"phone": NATIONAL, "code": code(PHONE)})
    assert response.status_code == 201, response.content
    assert response.json()["user"]["phone"] == PHONE
    assert PhoneProfile.objects.get().phone_e164 == PHONE


def test_extra_fields_are_ignored_and_never_sent_upstream(lc: upstream.CountingApp) -> None:
    extra = {
        "objectId": "5d831ad3f40d3a0007541fbc",
        "mobilePhoneVerified": True,
        "is_staff": True,
        "is_superuser": True,
        "smsType": "voice",
        "ttl": 1440,
        "sign": "Forged",
        "name": "Bank",
        "op": "transfer",
        "_method": "DELETE",
        "_MasterKey": "x",
    }
    client = APIClient()
    with upstream_bodies() as bodies:
        sent = post(client, "sms-code/", {"phone": PHONE, **extra})
        assert sent.status_code == 202, sent.content
        assert sent.json() == CODE_SENT
        created = post(client, "signup/", {"phone": PHONE, "code": code(PHONE), **extra})
        assert created.status_code == 201, created.content
    assert lc.calls == [("POST", "/1.1/requestSmsCode"), ("POST", "/1.1/usersByMobilePhone")]
    (_, send), (_, signup) = bodies
    assert send == {"mobilePhoneNumber": PHONE, "smsType": "sms"}
    assert set(signup) == {"mobilePhoneNumber", "smsCode"}
    message = upstream.EMULATOR.messages(PHONE)[0]
    assert (message["smsType"], message["template"]) == ("sms", None)
    assert "Bank" not in message["text"]
    user = created.json()["user"]
    assert user["lc_object_id"] != extra["objectId"]
    profile = PhoneProfile.objects.select_related("user").get()
    assert (profile.user.is_staff, profile.user.is_superuser) == (False, False)


def test_extra_fields_on_login_and_phone_change_are_not_sent(lc: upstream.CountingApp) -> None:
    extra = {"objectId": "5d831ad3f40d3a0007541fbc", "is_staff": True, "ttl": 1440, "sign": "X"}
    client, _ = signed_in(password=PASSWORD)
    with upstream_bodies() as bodies:
        login = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD, **extra})
        assert login.status_code == 200, login.content
        sent = post(client, "phone/change/sms-code/", {"phone": OTHER, **extra})
        assert sent.status_code == 202, sent.content
        changed = post(client, "phone/change/", {"phone": OTHER, "code": code(OTHER), **extra})
        assert changed.status_code == 200, changed.content
    assert bodies == [
        ("/1.1/login", {"mobilePhoneNumber": PHONE, "password": PASSWORD}),
        ("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}),
        ("/1.1/changePhoneNumber", {"mobilePhoneNumber": OTHER, "code": code(OTHER)}),
    ]
    profile = PhoneProfile.objects.select_related("user").get()
    assert profile.lc_object_id != extra["objectId"]
    assert profile.user.is_staff is False


def test_a_template_off_the_allowlist_is_400_not_allowed_with_no_call(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    for template in ("Login_Code", "order_notice", "Other", "Order_Notice2"):
        response = post(api, "sms-code/", {"phone": PHONE, "template": template})
        assert_error(response, 400, "not_allowed")
    assert_error(
        post(api, "sms-code/", {"phone": PHONE, "template": ""}), 400, "invalid", errors=True
    )
    assert lc.calls == []
    assert upstream.EMULATOR.messages() == []


def test_an_allowlisted_template_sends_only_its_variables(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    variables = {"order_id": "A-17", "date": "Monday"}
    with upstream_bodies() as bodies:
        response = post(
            api, "sms-code/", {"phone": PHONE, "template": "Order_Notice", "variables": variables}
        )
    assert response.status_code == 202, response.content
    assert response.json() == CODE_SENT
    assert bodies == [
        (
            "/1.1/requestSmsCode",
            {"mobilePhoneNumber": PHONE, "smsType": "sms", "template": "Order_Notice", **variables},
        )
    ]
    assert upstream.EMULATOR.messages(PHONE)[0]["text"] == "Your order A-17 ships on Monday."


@pytest.mark.parametrize(
    "variables",
    [
        {"mobilePhoneNumber": OTHER},
        {"smsType": "voice"},
        {"ttl": "30"},
        {"template": "Login_Code"},
        {"sign": "Forged"},
        {"validate_token": "x"},
        {"_method": "DELETE"},
        {"_MasterKey": "x"},
        {"1abc": "x"},
        {"a-b": "x"},
        {f"v{i}": "x" for i in range(17)},
        {"order_id": "x" * 129},
        ["order_id"],
    ],
)
def test_bad_template_variables_are_400_invalid(
    api: APIClient, lc: upstream.CountingApp, variables: Any
) -> None:
    body = {"phone": PHONE, "template": "Order_Notice", "variables": variables}
    response = post(api, "sms-code/", body)
    assert_error(response, 400, "invalid", errors=True)
    assert set(response.json()["errors"]) == {"variables"}
    assert lc.calls == []


def test_voice_codes_follow_the_allow_voice_setting(
    api: APIClient, lc: upstream.CountingApp, settings: Any
) -> None:
    assert_error(post(api, "sms-code/", {"phone": PHONE, "sms_type": "voice"}), 400, "not_allowed")
    assert lc.calls == []  # off by default: calls are the toll-fraud channel
    settings.LC_PHONE = {**settings.LC_PHONE, "ALLOW_VOICE": True}
    response = post(api, "sms-code/", {"phone": PHONE, "sms_type": "voice"})
    assert response.status_code == 202, response.content
    assert upstream.EMULATOR.messages(PHONE)[0]["smsType"] == "voice"
    settings.LC_PHONE = {**settings.LC_PHONE, "ALLOW_VOICE": False}
    lc.calls.clear()
    upstream.advance_clocks(3600)
    assert_error(post(api, "sms-code/", {"phone": OTHER, "sms_type": "voice"}), 400, "not_allowed")
    response = post(api, "sms-code/", {"phone": OTHER, "sms_type": "fax"})
    assert_error(response, 400, "invalid", errors=True)
    assert lc.calls == []


@pytest.mark.parametrize(
    "password",
    ["short1!", "password", "12345678", "", "x" * 129],
)
def test_a_weak_new_password_is_refused_before_the_code_is_spent(
    api: APIClient, lc: upstream.CountingApp, password: str
) -> None:
    sms = request_code(api)
    lc.calls.clear()
    for path in ("signup/", "password-reset/"):
        response = post(api, path, {"phone": PHONE, "code": sms, "password": password})
        assert_error(response, 400, "invalid", errors=True)
        assert set(response.json()["errors"]) == {"password"}
    assert lc.calls == []
    assert post(api, "signup/", {"phone": PHONE, "code": sms}).status_code == 201  # not spent


def test_long_and_unicode_passwords_are_accepted(api: APIClient, lc: upstream.CountingApp) -> None:
    password = "密码" * 32  # 64 code points
    sms = request_code(api)
    response = post(api, "signup/", {"phone": PHONE, "code": sms, "password": password})
    assert response.status_code == 201, response.content
    login = post(api, "login/", {"phone": PHONE, "password": password})
    assert login.status_code == 200, login.content


def test_login_needs_exactly_one_of_code_and_password(
    api: APIClient, lc: upstream.CountingApp
) -> None:
    for body in (
        {"phone": PHONE},
        {"phone": PHONE, "code": "123456", "password": PASSWORD},
    ):
        response = post(api, "login/", body)
        assert_error(response, 400, "invalid", errors=True)
        assert response.json()["errors"] == {
            "non_field_errors": ["Send either a code or a password."]
        }
    assert_error(post(api, "login/", {"phone": PHONE, "password": ""}), 400, "invalid", errors=True)
    assert lc.calls == []


@pytest.mark.parametrize(
    ("content_type", "payload", "status", "error"),
    [
        ("text/plain", "+8613800138000", 415, "unsupported_media_type"),
        (
            "application/x-www-form-urlencoded",
            "phone=%2B8613800138000",
            415,
            "unsupported_media_type",
        ),
        ("multipart/form-data; boundary=x", "--x--", 415, "unsupported_media_type"),
        ("application/json", "{not json", 400, "parse_error"),
    ],
)
def test_bodies_that_are_not_json_are_refused(
    api: APIClient,
    lc: upstream.CountingApp,
    content_type: str,
    payload: str,
    status: int,
    error: str,
) -> None:
    response = api.generic("POST", "/auth/phone/sms-code/", payload, content_type=content_type)
    assert_error(response, status, error)
    assert lc.calls == []


def test_an_oversized_body_is_413(api: APIClient, lc: upstream.CountingApp) -> None:
    payload = json.dumps({"phone": PHONE, "padding": "x" * (3 * 1024 * 1024)})
    response = api.generic(
        "POST", "/auth/phone/sms-code/", payload, content_type="application/json"
    )
    assert_error(response, 413, "request_too_large")
    assert lc.calls == []


@pytest.mark.parametrize("payload", ["[1, 2]", '"+8613800138000"', "null", "17"])
def test_json_that_is_not_an_object_is_refused(
    api: APIClient, lc: upstream.CountingApp, payload: str
) -> None:
    response = api.generic(
        "POST", "/auth/phone/sms-code/", payload, content_type="application/json"
    )
    assert_error(response, 400, "invalid", errors=True)
    assert lc.calls == []


def test_a_signup_username_must_be_plain(api: APIClient, lc: upstream.CountingApp) -> None:
    sms = request_code(api)
    lc.calls.clear()
    for username in ("", "a b", "x" * 65, "<script>", "a/b", "a\nb"):
        response = post(api, "signup/", {"phone": PHONE, "code": sms, "username": username})
        assert_error(response, 400, "invalid", errors=True)
        assert set(response.json()["errors"]) == {"username"}
    assert lc.calls == []
