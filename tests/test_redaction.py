"""Secrets stay out of logs: phone masks, SMS codes scrubbed from URLs, and a full client run
logged at DEBUG on every logger (security-and-reliability.md §3.8, T36)."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from urllib3.connection import HTTPConnection

from django_lc_phone.emulator import RunningServer
from django_lc_phone.leancloud import (
    LeanCloudBadResponse,
    LeanCloudClient,
    LeanCloudConnectionError,
    LeanCloudInvalidCode,
    LeanCloudPasswordMismatch,
)
from django_lc_phone.redaction import (
    REDACTED,
    URLLIB3_LOGGER,
    RedactUrlsFilter,
    install_urllib3_filter,
    mask_phone,
    redact_url,
)

# --- mask_phone -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("+8613800138000", "+86138****8000"),  # the documented example
        ("+8618622223333", "+86186****3333"),
        ("13800138000", "138****8000"),  # a national CN number: the usual 3 + 4 + 4 mask
        (None, ""),
        ("", ""),
    ],
)
def test_mask_phone_examples(phone: str | None, masked: str) -> None:
    assert mask_phone(phone) == masked


PHONES = [
    "+8613800138000",
    "+12025550123",  # US: 11 digits
    "+447911123456",  # UK mobile: 12 digits
    "+85291234567",  # Hong Kong: 11 digits
    "+6591234567",  # Singapore: 10 digits
    "+4915123456789",  # Germany: 13 digits
    "+861380013800012",  # longer than E.164 allows
    "13800138000",
    "91234567",
    "1234567",
    "12345",
    "1234",
    "1",
]


@pytest.mark.parametrize("phone", PHONES)
def test_mask_phone_always_hides_at_least_four_digits(phone: str) -> None:
    """Hiding two digits leaves 100 numbers to try: that is enough to dial."""
    masked = mask_phone(phone)
    digits = re.sub(r"\D", "", phone)
    shown = re.sub(r"\D", "", masked)
    assert "****" in masked
    assert len(shown) <= len(digits) - 4 or shown == ""
    assert phone not in masked
    assert digits not in masked


@pytest.mark.parametrize("phone", PHONES)
def test_mask_phone_keeps_a_prefix_and_a_suffix_for_correlation(phone: str) -> None:
    masked = mask_phone(phone)
    assert masked.startswith("+") == phone.startswith("+")
    head, _, tail = masked.lstrip("+").partition("****")
    digits = phone.lstrip("+")
    assert digits.startswith(head)
    assert digits.endswith(tail)
    assert len(tail) <= 4
    assert len(head) <= 5


@pytest.mark.parametrize(
    "phone",
    [
        "+86\r\n13800138000",
        "+8613800138000\nFORGED 200 login ok",
        "\n+8613800138000",
        "+86\x1b[2J138\x00001380\t00",
        "+86 138 0013 8000",
        "<script>8613800138000",
    ],
)
def test_mask_phone_output_is_only_plus_digits_and_stars(phone: str) -> None:
    """The mask goes into log lines as is: nothing but digits may come through (log injection)."""
    masked = mask_phone(phone)
    assert re.fullmatch(r"\+?[0-9]*\*\*\*\*[0-9]*", masked), masked


def test_mask_phone_ignores_formatting() -> None:
    assert mask_phone("+86 138 0013 8000") == mask_phone("+8613800138000")
    assert mask_phone("+86-138-0013-8000") == "+86138****8000"


# --- redact_url -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/1.1/verifySmsCode/123456", f"/1.1/verifySmsCode/{REDACTED}"),
        ("/1.1/verifyMobilePhone/123456", f"/1.1/verifyMobilePhone/{REDACTED}"),
        ("/1.1/resetPasswordBySmsCode/123456", f"/1.1/resetPasswordBySmsCode/{REDACTED}"),
        (
            "https://api.example.com/1.1/verifySmsCode/654321?x=1",
            f"https://api.example.com/1.1/verifySmsCode/{REDACTED}?x=1",
        ),
        ("/1.1/verifySmsCode/123456/", f"/1.1/verifySmsCode/{REDACTED}/"),
        ("/1.1/verifySmsCode/123456#frag", f"/1.1/verifySmsCode/{REDACTED}#frag"),
        (  # urllib3's request line, as logged by urllib3.connectionpool
            'http://127.0.0.1:8000 "POST /1.1/verifySmsCode/123456 HTTP/1.1" 200 2',
            f'http://127.0.0.1:8000 "POST /1.1/verifySmsCode/{REDACTED} HTTP/1.1" 200 2',
        ),
        (
            "/1.1/users/me?session_token=abcdefghijklmnopqrstuvwxy",
            f"/1.1/users/me?session_token={REDACTED}",
        ),
        (
            "/x?a=1&session_token=abcdefghijklmnopqrstuvwxy&b=2",
            f"/x?a=1&session_token={REDACTED}&b=2",
        ),
        ("/x?sessionToken=tok&smsCode=123456", f"/x?sessionToken={REDACTED}&smsCode={REDACTED}"),
        ("/x?password=hunter2", f"/x?password={REDACTED}"),
        ("/x?code=123456", f"/x?code={REDACTED}"),
        (
            "/x?validate_token=vt&captcha_code=ab12",
            f"/x?validate_token={REDACTED}&captcha_code={REDACTED}",
        ),
        # A badly formed client's spellings, which compat answers 404 but Django still logs.
        ("/1.1/verifySmsCode//123456", f"/1.1/verifySmsCode/{REDACTED}"),
        ("/1.1/VERIFYSMSCODE/123456", f"/1.1/VERIFYSMSCODE/{REDACTED}"),
        ("/1.1/users/me?SESSION_TOKEN=tok", f"/1.1/users/me?SESSION_TOKEN={REDACTED}"),
        (
            "/1.1/scan/classes/_User?limit=10&where=%7B%22mobilePhoneNumber%22%3A%22%2B8613800138000%22%7D",
            f"/1.1/scan/classes/_User?limit=10&where={REDACTED}",
        ),
    ],
)
def test_redact_url(url: str, expected: str) -> None:
    assert redact_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "/1.1/requestSmsCode",
        "/1.1/usersByMobilePhone",
        "/1.1/login",
        "/1.1/users/5f0c7e2a9b1d4c3e8f6a0b1c/updatePassword",
        "/1.1/classes/_User/5f0c7e2a9b1d4c3e8f6a0b1c",
        "/1.1/requestCaptcha?width=85&height=30",
        "/1.1/scan/classes/_User?limit=1000&cursor=abc",
        "/1.1/verifySmsCode/<code>",  # a route template, already free of codes
    ],
)
def test_redact_url_leaves_other_urls_alone(url: str) -> None:
    assert redact_url(url) in (url, url.replace("<code>", REDACTED))


def test_redact_urls_filter_rewrites_message_and_arguments() -> None:
    record = logging.LogRecord(
        URLLIB3_LOGGER,
        logging.DEBUG,
        __file__,
        1,
        '%s://%s:%s "%s %s %s" %s %s /1.1/verifyMobilePhone/111111',
        ("http", "127.0.0.1", 80, "POST", "/1.1/verifySmsCode/123456", "HTTP/1.1", 200, 2),
        None,
    )
    assert RedactUrlsFilter().filter(record) is True
    message = record.getMessage()
    assert "123456" not in message
    assert "111111" not in message
    assert f"/1.1/verifySmsCode/{REDACTED}" in message
    assert f"/1.1/verifyMobilePhone/{REDACTED}" in message


def test_install_urllib3_filter_is_idempotent() -> None:
    install_urllib3_filter()
    install_urllib3_filter()
    filters = logging.getLogger(URLLIB3_LOGGER).filters
    assert sum(isinstance(f, RedactUrlsFilter) for f in filters) == 1


# --- a whole run, logged at DEBUG everywhere ------------------------------------------------

PHONE = "+8613800000091"
PASSWORD = "Pa55word-first"
NEW_PASSWORD = "Pa55word-second"
CLIENT_LOGGER = "django_lc_phone.leancloud"


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # the root logger
    caplog.set_level(logging.DEBUG, logger="urllib3")
    caplog.set_level(logging.DEBUG, logger=URLLIB3_LOGGER)
    caplog.set_level(logging.DEBUG, logger=CLIENT_LOGGER)
    return caplog


def test_a_full_client_run_logs_no_secret(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    emulator = emulator_server.emulator
    signs: list[str] = []
    send = HTTPConnection.request

    def keep_sign(conn: HTTPConnection, method: str, url: str, *args: Any, **kwargs: Any) -> None:
        """Every signature the client's pool puts on the wire."""
        signs.append(str(kwargs["headers"]["X-LC-Sign"]))
        send(conn, method, url, *args, **kwargs)

    monkeypatch.setattr(HTTPConnection, "request", keep_sign)
    debug_logs.clear()
    phone_calls = 0  # client calls made with a phone number

    # Send a code; verify a wrong code (once dropped by the network), then the right one.
    http_client.request_sms_code(PHONE)
    first = emulator.last_code(PHONE)
    emulator.arm_fault("drop", path="/1.1/verifySmsCode")
    with pytest.raises(LeanCloudConnectionError):
        http_client.verify_sms_code(PHONE, wrong(first))
    with pytest.raises(LeanCloudInvalidCode):
        http_client.verify_sms_code(PHONE, wrong(first))
    http_client.verify_sms_code(PHONE, first)
    phone_calls += 4

    # Sign up with a password, log in with it (once wrong, once behind an HTML error page).
    emulator.clock.advance(61)
    http_client.request_sms_code(PHONE)
    second = emulator.last_code(PHONE)
    signup = http_client.signup_or_login_by_mobile_phone(PHONE, second, password=PASSWORD)
    assert signup.created is True
    with pytest.raises(LeanCloudPasswordMismatch):
        http_client.login_with_password(PHONE, PASSWORD + "x")
    emulator.arm_fault("html", path="/1.1/login")
    with pytest.raises(LeanCloudBadResponse):
        http_client.login_with_password(PHONE, PASSWORD)
    login = http_client.login_with_password(PHONE, PASSWORD)
    phone_calls += 5

    # Reset the password by SMS (a wrong code first) and log in with the new one.
    emulator.clock.advance(61)
    http_client.request_password_reset_by_sms_code(PHONE)
    third = emulator.last_code(PHONE)
    with pytest.raises(LeanCloudInvalidCode):
        http_client.reset_password_by_sms_code(PHONE, wrong(third), NEW_PASSWORD)
    http_client.reset_password_by_sms_code(PHONE, third, NEW_PASSWORD)
    after_reset = http_client.login_with_password(PHONE, NEW_PASSWORD)
    phone_calls += 4

    # Calls with a session token or the master key, and a scan filtered on the phone number.
    assert after_reset.session_token is not None
    http_client.get_current_user(after_reset.session_token)
    page = http_client.scan_users(where={"mobilePhoneNumber": PHONE})
    assert [user["objectId"] for user in page.results] == [signup.user.object_id]
    other_calls = 2

    tokens = {signup.user.session_token, login.session_token, after_reset.session_token}
    assert None not in tokens
    secrets = {
        "SMS code": [first, wrong(first), second, third, wrong(third)],
        "password": [PASSWORD, PASSWORD + "x", NEW_PASSWORD],
        "session token": sorted(t for t in tokens if t),
        "app key": [emulator.config.app_key],
        "master key": [emulator.config.master_key],
        "X-LC-Sign": signs + [sign.split(",")[0] for sign in signs],
        "phone": [PHONE, PHONE.lstrip("+"), PHONE[3:]],
    }
    assert len(signs) == phone_calls + other_calls  # the dropped call's was sent too

    records = debug_logs.records
    rendered = [record.getMessage() for record in records]
    for what, values in secrets.items():
        for value in values:
            assert value
            leaks = [line for line in rendered if value in line]
            assert leaks == [], f"{what} {value!r} logged"
            assert value not in debug_logs.text, f"{what} {value!r} in formatted logs"

    # The test is not vacuous: urllib3 did log the request lines, with the codes scrubbed.
    request_lines = [r.getMessage() for r in records if r.name == URLLIB3_LOGGER]
    assert any(f"/1.1/verifySmsCode/{REDACTED}" in line for line in request_lines)
    assert any(f"/1.1/resetPasswordBySmsCode/{REDACTED}" in line for line in request_lines)
    assert any("/1.1/scan/classes/_User" in line for line in request_lines)

    # One line per client call on the client's logger, each call with a phone showing its mask.
    client_lines = [r.getMessage() for r in records if r.name == CLIENT_LOGGER]
    assert len(client_lines) == phone_calls + other_calls
    with_phone = [line for line in client_lines if line.endswith(f" phone={mask_phone(PHONE)}")]
    assert len(with_phone) == phone_calls
    for line in client_lines:
        assert "\n" not in line
        assert "\r" not in line
