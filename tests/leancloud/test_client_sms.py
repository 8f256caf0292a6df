"""LeanCloudClient's SMS and CAPTCHA calls against the emulator over real HTTP.

Every call's success and every error the emulator can answer it with: exception class, code,
HTTP status, message and ``request_sent``.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from django_lc_phone.emulator import RunningServer
from django_lc_phone.leancloud import (
    LeanCloudCaptchaError,
    LeanCloudClient,
    LeanCloudError,
    LeanCloudInvalidCode,
    LeanCloudInvalidPhone,
    LeanCloudRateLimited,
    LeanCloudServiceDisabled,
    LeanCloudSmsRejected,
)

from ._support import MESSAGE_TOO_FAST, lc_error, make_user
from .conftest import Serve

PHONE = "+8613800000001"
OTHER = "+8613800000002"
DAY = 24 * 3600
ORDER: dict[str, Any] = {
    "template": "Order_Notice",
    "variables": {"order_id": "A-42", "date": "5月1日"},
}


def default_text(code: str, ttl: int = 10, app: str = "LeanCloud Emulator", op: str = "短信验证"):
    return f"您正在使用{app}服务进行{op}操作，您的验证码是：{code}，请在{ttl}分钟内完成验证。"


def other_code(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# --- requestSmsCode: what is sent ----------------------------------------------------------


SHOP = {"ttl": 5, "name": "Shop", "op": "付款"}
SHOP_TEXT = default_text("{code}", 5, "Shop", "付款")
LOGIN_TEMPLATE_TEXT = "Your LeanCloud Emulator login code is {code}, valid 10 minutes."


@pytest.mark.parametrize(
    ("options", "sms_type", "template", "text"),
    [
        ({}, "sms", None, default_text("{code}")),
        ({"sign": "LeanCloud"}, "sms", None, default_text("{code}")),
        (SHOP, "sms", None, SHOP_TEXT),
        ({"sms_type": "voice"}, "voice", None, default_text("{code}")),
        (
            {"template": "Login_Code", "name": "Shop", "ttl": 3},
            "sms",
            "Login_Code",
            "Your Shop login code is {code}, valid 3 minutes.",
        ),
        ({"template": "Login_Code"}, "sms", "Login_Code", LOGIN_TEMPLATE_TEXT),
    ],
)
def test_request_sms_code_sends_a_code(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    options: dict[str, Any],
    sms_type: str,
    template: str | None,
    text: str,
) -> None:
    http_client.request_sms_code(PHONE, **options)
    [message] = emulator_server.emulator.messages()
    code = message["code"]
    assert re.fullmatch(r"[0-9]{6}", code)
    assert message == {
        "mobilePhoneNumber": PHONE,
        "code": code,
        "smsType": sms_type,
        "template": template,
        "purpose": "generic",
        "text": text.format(code=code),
        "createdAt": message["createdAt"],
    }
    http_client.verify_sms_code(PHONE, code)


def test_template_notification_carries_no_code(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    http_client.request_sms_code(PHONE, **ORDER)
    [message] = emulator_server.emulator.messages(PHONE)
    assert (message["code"], message["template"]) == (None, "Order_Notice")
    assert message["text"] == "Your order A-42 ships on 5月1日."
    with pytest.raises(LookupError):
        emulator_server.emulator.last_code(PHONE)


def test_bare_number_means_plus_86(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    http_client.request_sms_code("13800000001")
    assert [m["mobilePhoneNumber"] for m in emulator_server.emulator.messages()] == [PHONE]
    with lc_error(LeanCloudRateLimited, 1, message=MESSAGE_TOO_FAST):
        http_client.request_sms_code(PHONE)
    http_client.verify_sms_code(PHONE, emulator_server.emulator.last_code(PHONE))


NO_DATE = {"template": "Order_Notice", "variables": {"order_id": "1"}}
BRACKETS = {"template": "Order_Notice", "variables": {"order_id": "【1】", "date": "x"}}


@pytest.mark.parametrize(
    ("phone", "options", "cls", "code"),
    [
        (PHONE, {"template": "No_Such_Template"}, LeanCloudSmsRejected, 604),
        (PHONE, NO_DATE, LeanCloudSmsRejected, 606),
        (PHONE, BRACKETS, LeanCloudSmsRejected, 606),
        (PHONE, {"sign": "SomeoneElse"}, LeanCloudSmsRejected, 600),
        (PHONE, {"validate_token": "not-a-validate-token"}, LeanCloudCaptchaError, 608),
        ("12-34", {}, LeanCloudInvalidPhone, 127),
        ("+0123", {}, LeanCloudInvalidPhone, 127),
    ],
)  # fmt: skip
def test_request_sms_code_errors_send_nothing_and_spend_no_limit(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    phone: str,
    options: dict[str, Any],
    cls: type[LeanCloudError],
    code: int,
) -> None:
    with lc_error(cls, code):
        http_client.request_sms_code(phone, **options)
    assert emulator_server.emulator.messages() == []
    http_client.request_sms_code(PHONE)  # not "too fast": the refused request did not count


# --- requestSmsCode: limits ----------------------------------------------------------------


def test_resend_window_then_minute_window(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    clock = emulator_server.emulator.clock
    http_client.request_sms_code(PHONE)
    clock.advance(9)
    with lc_error(LeanCloudRateLimited, 1, message=MESSAGE_TOO_FAST):
        http_client.request_sms_code(PHONE)
    with lc_error(LeanCloudRateLimited, 1, message=MESSAGE_TOO_FAST):
        http_client.request_sms_code(PHONE, sms_type="voice")  # one window for every type
    http_client.request_sms_code(OTHER)  # per number
    clock.advance(2)
    with lc_error(LeanCloudRateLimited, 601):
        http_client.request_sms_code(PHONE)
    clock.advance(48)
    with lc_error(LeanCloudRateLimited, 601):
        http_client.request_sms_code(PHONE)
    clock.advance(2)
    http_client.request_sms_code(PHONE)
    assert len(emulator_server.emulator.messages(PHONE)) == 2


@pytest.mark.parametrize(
    ("options", "cap", "other_kind"),
    [({}, 10, ORDER), (ORDER, 15, {})],
    ids=["verification", "notification"],
)
def test_daily_cap_is_601_over_a_rolling_24_hours(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    options: dict[str, Any],
    cap: int,
    other_kind: dict[str, Any],
) -> None:
    clock = emulator_server.emulator.clock
    for _ in range(cap):
        http_client.request_sms_code(PHONE, **options)
        clock.advance(61)
    with lc_error(LeanCloudRateLimited, 601):
        http_client.request_sms_code(PHONE, **options)
    http_client.request_sms_code(PHONE, **other_kind)  # the other kind has its own cap
    clock.advance(DAY - cap * 61 + 1)  # the first message leaves the window
    http_client.request_sms_code(PHONE, **options)
    assert len(emulator_server.emulator.messages(PHONE)) == cap + 2


def test_voice_limits(http_client: LeanCloudClient, emulator_server: RunningServer) -> None:
    clock = emulator_server.emulator.clock

    def voice() -> None:
        http_client.request_sms_code(PHONE, sms_type="voice")

    voice()
    clock.advance(31)
    with lc_error(LeanCloudRateLimited, 601):  # 30 s for voice, but one a minute for any type
        voice()
    clock.advance(30)
    voice()
    clock.advance(61)
    voice()
    clock.advance(61)
    with lc_error(LeanCloudRateLimited, 601):  # 3 an hour
        voice()
    clock.advance(3601 - 183)
    voice()
    clock.advance(61)
    voice()
    clock.advance(61)
    with lc_error(LeanCloudRateLimited, 601):  # 5 a day, though only 2 this hour
        voice()
    http_client.request_sms_code(PHONE)  # a text message is still allowed
    clock.advance(DAY - 3723 + 1)
    voice()
    assert [m["smsType"] for m in emulator_server.emulator.messages(PHONE)] == [
        "voice", "voice", "voice", "voice", "voice", "sms", "voice",
    ]  # fmt: skip


def test_generic_sms_switched_off_needs_the_master_key(serve: Serve) -> None:
    server, client = serve(generic_sms_enabled=False)
    with lc_error(LeanCloudServiceDisabled, 119):
        client.request_sms_code(PHONE)
    assert server.emulator.messages() == []
    client.request_sms_code(PHONE, use_master_key=True)
    code = server.emulator.last_code(PHONE)
    with lc_error(LeanCloudServiceDisabled, 119):  # verifySmsCode is behind the same switch
        client.verify_sms_code(PHONE, code)
    assert client.signup_or_login_by_mobile_phone(PHONE, code).created is True


def test_generic_sms_switched_off_verifies_with_the_master_key(serve: Serve) -> None:
    server, client = serve(generic_sms_enabled=False)
    client.request_sms_code(PHONE, use_master_key=True)
    client.verify_sms_code(PHONE, server.emulator.last_code(PHONE), use_master_key=True)
    with lc_error(LeanCloudInvalidCode, 603):  # spent
        client.verify_sms_code(PHONE, server.emulator.last_code(PHONE), use_master_key=True)


# --- verifySmsCode -------------------------------------------------------------------------


def test_verify_sms_code_is_single_use(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    http_client.request_sms_code(PHONE)
    code = emulator_server.emulator.last_code(PHONE)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.verify_sms_code(PHONE, other_code(code))
    http_client.verify_sms_code(PHONE, code)  # a wrong guess did not burn it
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.verify_sms_code(PHONE, code)


@pytest.mark.parametrize(
    ("ttl", "elapsed", "valid"),
    [(None, 599, True), (None, 600, False), (1, 59, True), (1, 60, False), (30, 1799, True)],
)
def test_verify_sms_code_expires_after_ttl(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    ttl: int | None,
    elapsed: int,
    valid: bool,
) -> None:
    http_client.request_sms_code(PHONE, ttl=ttl)
    emulator_server.emulator.clock.advance(elapsed)
    code = emulator_server.emulator.last_code(PHONE)
    if valid:
        http_client.verify_sms_code(PHONE, code)
    else:
        with lc_error(LeanCloudInvalidCode, 603):
            http_client.verify_sms_code(PHONE, code)


def test_verify_sms_code_is_bound_to_its_number(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    http_client.request_sms_code(PHONE)
    with lc_error(LeanCloudInvalidCode, 603):  # OTHER has no code at all
        http_client.verify_sms_code(OTHER, emulator.last_code(PHONE))
    http_client.request_sms_code(OTHER)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.verify_sms_code(OTHER, emulator.last_code(PHONE))
    http_client.verify_sms_code(OTHER, emulator.last_code(OTHER))


def test_verify_sms_code_refuses_a_login_code(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    make_user(emulator_server.emulator, PHONE, password="pw-123456")
    http_client.request_login_sms_code(PHONE)
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.verify_sms_code(PHONE, emulator_server.emulator.last_code(PHONE))


def test_a_new_code_replaces_the_previous_one(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    http_client.request_sms_code(PHONE)
    first = emulator.last_code(PHONE)
    emulator.clock.advance(61)
    http_client.request_sms_code(PHONE)
    second = emulator.last_code(PHONE)
    if first != second:  # one chance in a million that they are equal
        with lc_error(LeanCloudInvalidCode, 603):
            http_client.verify_sms_code(PHONE, first)
    http_client.verify_sms_code(PHONE, second)


# --- test numbers --------------------------------------------------------------------------


def test_test_number_code_is_fixed_and_reusable_but_limited(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    emulator = emulator_server.emulator
    emulator.add_test_number(PHONE, "170402")
    emulator.add_test_number(OTHER, "111111")
    http_client.request_sms_code(PHONE)
    assert emulator.last_code(PHONE) == "170402"
    http_client.verify_sms_code(PHONE, "170402")
    http_client.verify_sms_code(PHONE, "170402")
    with lc_error(LeanCloudInvalidCode, 603):
        http_client.verify_sms_code(PHONE, "170403")
    with lc_error(LeanCloudInvalidCode, 603):  # a code is only valid once it was requested
        http_client.verify_sms_code(OTHER, "111111")
    with lc_error(LeanCloudRateLimited, 1, message=MESSAGE_TOO_FAST):
        http_client.request_sms_code(PHONE)
    emulator.clock.advance(11)
    with lc_error(LeanCloudRateLimited, 601):
        http_client.request_sms_code(PHONE)
    assert http_client.signup_or_login_by_mobile_phone(PHONE, "170402").created is True
    assert http_client.signup_or_login_by_mobile_phone(PHONE, "170402").created is False


@pytest.mark.parametrize(
    ("configured", "requested"), [("13800000001", PHONE), (PHONE, "13800000001")]
)
def test_test_number_matches_in_either_form(
    http_client: LeanCloudClient, emulator_server: RunningServer, configured: str, requested: str
) -> None:
    emulator_server.emulator.add_test_number(configured, "170402")
    http_client.request_sms_code(requested)
    assert emulator_server.emulator.last_code(PHONE) == "170402"
