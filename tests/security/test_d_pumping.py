"""Reference §5 D, SMS pumping and cost (T16-T21), with the §2.3 defaults: cooldown 60 s,
5 / hour and 10 / day per number, 5 / minute and 20 / hour per IP, 10 / hour per prefix, site
budgets, CAPTCHA.

Time is the limiter's FakeClock (``tests.limiter.LIMITER_CLOCK``); ``upstream.advance_clocks``
moves the emulator's clock with it, so LeanCloud's own limits see the same time.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection
from rest_framework.test import APIClient

from django_lc_phone import signals
from tests import upstream
from tests.app._api import OTHER, PHONE, lc_phone_settings, post, received, signup
from tests.limiter import LIMITER_CLOCK
from tests.security._util import (
    SEND_PATHS,
    assert_answer,
    assert_identical,
    ip,
    local_state,
    sends,
    seq_phone,
    solved_captcha,
    spread_phone,
    upstream_log,
)

SEND = ("POST", "/1.1/requestSmsCode")


def _send(client: APIClient, phone: str, **extra: Any) -> Any:
    return post(client, "sms-code/", {"phone": phone}, **extra)


# --- T16 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(SEND_PATHS))
def test_t16_a_second_code_ten_seconds_later_is_429_retry_after_50(
    path: str, lc: upstream.CountingApp
) -> None:
    """T16: Two code requests for the same phone 10 s apart -> 1st 202; 2nd 429
    sms_rate_limited, Retry-After: ~50. Must not happen: a second upstream send."""
    signup(APIClient(), PHONE)
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    first = post(APIClient(REMOTE_ADDR=ip(1)), path, {"phone": PHONE})
    assert_answer(first, 202, "code_sent")
    upstream.advance_clocks(10)
    second = post(APIClient(REMOTE_ADDR=ip(2)), path, {"phone": PHONE})
    assert_answer(second, 429, "sms_rate_limited")
    assert second["Retry-After"] == "50"
    assert lc.calls == [("POST", SEND_PATHS[path])]
    assert sends(PHONE) == 1
    upstream.advance_clocks(50)  # the cooldown is over exactly when Retry-After said
    third = post(APIClient(REMOTE_ADDR=ip(3)), path, {"phone": PHONE})
    assert_answer(third, 202, "code_sent")
    assert lc.calls == [("POST", SEND_PATHS[path])] * 2
    assert sends(PHONE) == 2


def test_t16_the_cooldown_is_shared_by_every_send_endpoint(lc: upstream.CountingApp) -> None:
    """T16: the cooldown is per number, not per endpoint: one code per number per minute in
    all. Must not happen: a second upstream send."""
    signup(APIClient(), PHONE)
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    first = post(APIClient(REMOTE_ADDR=ip(1)), "sms-code/", {"phone": PHONE})
    assert_answer(first, 202, "code_sent")
    upstream.advance_clocks(10)
    others = [
        post(APIClient(REMOTE_ADDR=ip(2 + n)), path, {"phone": PHONE})
        for n, path in enumerate(["login/sms-code/", "password-reset/sms-code/"])
    ]
    for response in others:
        assert_answer(response, 429, "sms_rate_limited")
        assert response["Retry-After"] == "50"
    assert_identical(others)
    assert lc.calls == [SEND]
    assert sends(PHONE) == 1


# --- T17 --------------------------------------------------------------------------------------


def test_t17_eleven_requests_in_a_day_send_ten(lc: upstream.CountingApp) -> None:
    """T17: 11 requests for one phone over 24 h (time mocked) -> the 11th gets 429; upstream
    sends = 10. Must not happen: more than 10 upstream sends."""
    answers = []
    for n in range(11):
        if n:
            upstream.advance_clocks(2 * 3600 + 15 * 60)  # 11 requests within 22.5 hours
        answers.append(_send(APIClient(REMOTE_ADDR=ip(n)), PHONE))
    for response in answers[:10]:
        assert_answer(response, 202, "code_sent")
    assert_answer(answers[10], 429, "sms_rate_limited")
    assert int(answers[10]["Retry-After"]) > 3600
    assert lc.calls == [SEND] * 10  # ours refused the 11th: LeanCloud never saw it
    assert sends(PHONE) == 10


def test_t17_six_requests_in_an_hour_send_five(lc: upstream.CountingApp) -> None:
    """T17 (hourly part of §2.3: 5 per number per hour): the 6th request within an hour is
    429; upstream sends = 5."""
    answers = []
    for n in range(6):
        if n:
            upstream.advance_clocks(61)
        answers.append(_send(APIClient(REMOTE_ADDR=ip(n)), PHONE))
    for response in answers[:5]:
        assert_answer(response, 202, "code_sent")
    assert_answer(answers[5], 429, "sms_rate_limited")
    assert lc.calls == [SEND] * 5
    assert sends(PHONE) == 5


# --- T18 --------------------------------------------------------------------------------------


def test_t18_one_ip_walking_numbers_is_stopped_after_five_a_minute(
    lc: upstream.CountingApp,
) -> None:
    """T18: One IP walks sequential numbers -> 429 after the per-IP limit (5 a minute). Must
    not happen: upstream sends above any limit."""
    client = APIClient(REMOTE_ADDR=ip(1))
    answers = [_send(client, seq_phone(i)) for i in range(8)]
    for response in answers[:5]:
        assert_answer(response, 202, "code_sent")
    for response in answers[5:]:
        assert_answer(response, 429, "sms_rate_limited")
        assert 0 < int(response["Retry-After"]) <= 120
    assert lc.calls == [SEND] * 5
    assert sends() == 5
    # Another address is not affected.
    assert_answer(_send(APIClient(REMOTE_ADDR=ip(2)), spread_phone(1)), 202, "code_sent")
    assert lc.calls == [SEND] * 6


@lc_phone_settings(SMS_PER_PREFIX_HOUR=None)  # the per-IP hour limit alone
def test_t18_one_ip_is_stopped_after_twenty_an_hour(lc: upstream.CountingApp) -> None:
    """T18: One IP walks numbers, with time moved so the minute limit lets it through -> 429
    after the per-IP hourly limit (20). Must not happen: upstream sends above any limit."""
    client = APIClient(REMOTE_ADDR=ip(1))
    answers = []
    for i in range(25):
        if i and i % 5 == 0:
            LIMITER_CLOCK.advance(120)  # two minute-windows: the minute limit is fresh again
        answers.append(_send(client, seq_phone(i)))
    for response in answers[:20]:
        assert_answer(response, 202, "code_sent")
    for response in answers[20:]:
        assert_answer(response, 429, "sms_rate_limited")
        assert int(response["Retry-After"]) > 120  # the hour window, not the minute one
    assert lc.calls == [SEND] * 20
    assert sends() == 20


def test_t18_one_ip_walking_a_hundred_numbers_gets_ten_codes_an_hour(
    lc: upstream.CountingApp,
) -> None:
    """T18: One IP walks 100 sequential numbers (slowly enough for the per-IP minute limit):
    the per-prefix limit (10 an hour) stops it. Must not happen: sends above any limit."""
    client = APIClient(REMOTE_ADDR=ip(1))
    answers = []
    for i in range(100):
        answers.append(_send(client, seq_phone(i)))
        LIMITER_CLOCK.advance(30)  # 100 requests in 50 minutes
    for response in answers[:10]:
        assert_answer(response, 202, "code_sent")
    for response in answers[10:]:
        assert_answer(response, 429, "sms_rate_limited")
    assert lc.calls == [SEND] * 10
    assert sends() == 10


def test_t18_thirty_ips_at_one_prefix_get_ten_codes(lc: upstream.CountingApp) -> None:
    """T18: 30 IPs hit one prefix -> 429 after the per-prefix limit (10 an hour). Must not
    happen: upstream sends above any limit."""
    answers = [_send(APIClient(REMOTE_ADDR=ip(n)), seq_phone(n)) for n in range(30)]
    for response in answers[:10]:
        assert_answer(response, 202, "code_sent")
    for response in answers[10:]:
        assert_answer(response, 429, "sms_rate_limited")
    assert_identical(answers[10:])
    assert lc.calls == [SEND] * 10
    assert sends() == 10
    # Another prefix is not affected.
    assert_answer(_send(APIClient(REMOTE_ADDR=ip(99)), spread_phone(7)), 202, "code_sent")
    assert lc.calls == [SEND] * 11


@pytest.mark.parametrize(
    ("setting", "window"), [("SMS_BUDGET_HOUR", 3600), ("SMS_BUDGET_DAY", 86400)]
)
def test_t18_the_site_budget_fails_closed_with_503_and_one_alert(
    setting: str, window: int, lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture
) -> None:
    """T18: when the global budget is used up -> 503 sms_budget_exhausted with Retry-After, and
    an alert (one ERROR log and one sms_budget_exhausted signal per window). Must not happen:
    upstream sends above any limit."""
    caplog.set_level(logging.INFO)
    with lc_phone_settings(**{setting: 3}), received(signals.sms_budget_exhausted) as alerts:
        answers = [_send(APIClient(REMOTE_ADDR=ip(n)), spread_phone(n)) for n in range(6)]
        answers += [
            post(APIClient(REMOTE_ADDR=ip(10 + n)), path, {"phone": spread_phone(10 + n)})
            for n, path in enumerate(SEND_PATHS)
        ]
    for response in answers[:3]:
        assert_answer(response, 202, "code_sent")
    for response in answers[3:]:
        assert_answer(response, 503, "sms_budget_exhausted")
        assert 0 < int(response["Retry-After"]) <= 2 * window
    assert_identical(answers[3:])
    assert lc.calls == [SEND] * 3
    assert sends() == 3
    errors = [
        r
        for r in caplog.records
        if r.name == "django_lc_phone.security" and r.levelno >= logging.ERROR
    ]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "budget" in errors[0].getMessage()
    assert [(a["limit"], a["seconds"]) for a in alerts] == [(3, window)]
    for record in caplog.records:  # no number in any log line
        for n in range(13):
            assert spread_phone(n).lstrip("+") not in record.getMessage()


def test_t18_a_refused_request_spends_no_budget(lc: upstream.CountingApp) -> None:
    """T18: requests refused by another limit (here the per-number cooldown) do not use up the
    site budget: with a budget of 2, ten refused requests still leave room for the 2nd send."""
    with lc_phone_settings(SMS_BUDGET_HOUR=2):
        first = _send(APIClient(REMOTE_ADDR=ip(1)), PHONE)
        refused = [_send(APIClient(REMOTE_ADDR=ip(2 + n)), PHONE) for n in range(10)]
        second = _send(APIClient(REMOTE_ADDR=ip(20)), OTHER)
        third = _send(APIClient(REMOTE_ADDR=ip(21)), spread_phone(1))
    assert_answer(first, 202, "code_sent")
    for response in refused:
        assert_answer(response, 429, "sms_rate_limited")
    assert_answer(second, 202, "code_sent")
    assert_answer(third, 503, "sms_budget_exhausted")
    assert lc.calls == [SEND] * 2
    assert sends() == 2


# --- T19 --------------------------------------------------------------------------------------


def test_t19_a_rotated_x_forwarded_for_is_ignored_without_trusted_proxies(
    lc: upstream.CountingApp,
) -> None:
    """T19: X-Forwarded-For rotated on every request (TRUSTED_PROXIES 0) -> treated as one
    client; limits hold (mirrors DRF XffSpoofingTests). Must not happen: bypass through spoofed
    headers."""
    client = APIClient(REMOTE_ADDR="192.0.2.10")
    answers = [
        _send(client, spread_phone(n), HTTP_X_FORWARDED_FOR=f"{ip(n)}, 203.0.113.{n}")
        for n in range(8)
    ]
    for response in answers[:5]:
        assert_answer(response, 202, "code_sent")
    for response in answers[5:]:
        assert_answer(response, 429, "sms_rate_limited")
    assert lc.calls == [SEND] * 5
    assert sends() == 5


@pytest.mark.parametrize(
    ("proxies", "spoofed"),
    [
        # DRF test_xff_spoofing_doesnt_change_machine_id_with_one_app_proxy
        (1, ["0.0.0.0, 1.1.1.1, 2.2.2.2", "4.4.4.4, 5.5.5.5, 2.2.2.2", "2.2.2.2"]),
        # DRF test_xff_spoofing_doesnt_change_machine_id_with_two_app_proxies
        (2, ["0.0.0.0, 1.1.1.1, 2.2.2.2", "4.4.4.4, 1.1.1.1, 2.2.2.2", "1.1.1.1, 9.9.9.9"]),
    ],
)
def test_t19_spoofed_left_hand_hops_do_not_make_a_new_client(
    proxies: int, spoofed: list[str], lc: upstream.CountingApp
) -> None:
    """T19: with TRUSTED_PROXIES (NUM_PROXIES) set, hops the client wrote itself change
    nothing: the same real client is limited however it rotates them. Must not happen: bypass
    through spoofed headers."""
    headers = [spoofed[n % len(spoofed)] for n in range(8)]
    with lc_phone_settings(TRUSTED_PROXIES=proxies):
        answers = [
            _send(APIClient(REMOTE_ADDR="10.0.0.1"), spread_phone(n), HTTP_X_FORWARDED_FOR=xff)
            for n, xff in enumerate(headers)
        ]
    for response in answers[:5]:
        assert_answer(response, 202, "code_sent")
    for response in answers[5:]:
        assert_answer(response, 429, "sms_rate_limited")
    assert lc.calls == [SEND] * 5
    assert sends() == 5


def test_t19_distinct_real_clients_behind_a_trusted_proxy_are_counted_apart(
    lc: upstream.CountingApp,
) -> None:
    """T19: with TRUSTED_PROXIES=1, distinct real clients (a different last hop, the address
    our proxy saw) each get their own per-IP limit; all share the proxy's REMOTE_ADDR."""
    with lc_phone_settings(TRUSTED_PROXIES=1):
        answers = {
            client: [
                _send(
                    APIClient(REMOTE_ADDR="10.0.0.1"),
                    spread_phone(10 * c + n),
                    HTTP_X_FORWARDED_FOR=f"6.6.6.{n}, {client}",
                )
                for n in range(6)
            ]
            for c, client in enumerate(["203.0.113.1", "203.0.113.2", "203.0.113.3"])
        }
    for responses in answers.values():
        for response in responses[:5]:
            assert_answer(response, 202, "code_sent")
        assert_answer(responses[5], 429, "sms_rate_limited")
    assert lc.calls == [SEND] * 15
    assert sends() == 15


# --- T20 --------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same_ip", [False, True])
def test_t20_twenty_concurrent_requests_send_one_code(
    same_ip: bool, lc: upstream.CountingApp
) -> None:
    """T20: 20 concurrent code requests for one phone (threads) -> exactly one upstream send;
    the other 19 get 429. Must not happen: duplicate SMS from a non-atomic throttle race."""
    threads = 20
    barrier = threading.Barrier(threads)
    start = LIMITER_CLOCK.now

    def request(n: int) -> tuple[int, dict[str, Any]]:
        try:
            client = APIClient(REMOTE_ADDR=ip(0 if same_ip else n))
            barrier.wait(timeout=30)
            response = _send(client, PHONE)
            return response.status_code, response.json()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        results = list(pool.map(request, range(threads)))
    assert LIMITER_CLOCK.now == start
    statuses = sorted(status for status, _ in results)
    assert statuses == [202] + [429] * (threads - 1), results
    assert sorted(body["code"] for _, body in results) == ["code_sent"] + ["sms_rate_limited"] * (
        threads - 1
    )
    assert lc.calls == [SEND]
    assert sends(PHONE) == 1
    assert local_state() == (0, 0, 0)


@pytest.mark.django_db(transaction=True)
def test_t20_concurrent_guesses_cannot_exceed_the_attempt_limit(
    lc: upstream.CountingApp,
) -> None:
    """T20 (and T11 under a race): 20 concurrent wrong codes from 20 IPs reach the upstream at
    most CAPTCHA_AFTER_FAILURES (5) times; the rest are told to solve a CAPTCHA first (the
    count is taken atomically with the threshold: no race lets more through)."""
    assert_answer(_send(APIClient(), PHONE), 202, "code_sent")
    right = upstream.EMULATOR.last_code(PHONE)
    wrong = "000000" if right != "000000" else "111111"
    lc.calls.clear()
    threads = 20
    barrier = threading.Barrier(threads)

    def guess(n: int) -> str:
        try:
            client = APIClient(REMOTE_ADDR=ip(n))
            barrier.wait(timeout=30)
            body = {"phone": PHONE, "code": wrong}
            answer = post(client, "sms-code/verify/", body)
            assert answer.status_code == 400, answer.content
            return str(answer.json()["code"])
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=threads) as pool:
        codes = sorted(pool.map(guess, range(threads)))
    assert codes == ["captcha_required"] * 15 + ["invalid_code"] * 5
    assert lc.calls == [("POST", f"/1.1/verifySmsCode/{wrong}")] * 5


# --- T21 --------------------------------------------------------------------------------------


def _account_behind_captcha(phone: str) -> str:
    """Sign ``phone`` up while a CAPTCHA is required; the (now spent) validate_token."""
    client = APIClient(REMOTE_ADDR=ip(200))
    token = solved_captcha(client)
    sent = post(client, "sms-code/", {"phone": phone, "validate_token": token})
    assert_answer(sent, 202, "code_sent")
    created = post(client, "signup/", {"phone": phone, "code": upstream.EMULATOR.last_code(phone)})
    assert created.status_code == 201, created.content
    upstream.advance_clocks(61)
    return token


@lc_phone_settings(CAPTCHA_REQUIRED=True)
@pytest.mark.parametrize("path", list(SEND_PATHS))
def test_t21_without_a_valid_captcha_nothing_is_sent(path: str, lc: upstream.CountingApp) -> None:
    """T21: CAPTCHA on: token missing or invalid -> 400 captcha_required. Must not happen:
    upstream send."""
    token = _account_behind_captcha(PHONE)  # a spent token
    lc.calls.clear()
    upstream.EMULATOR.clear_messages()
    answers = [
        post(APIClient(REMOTE_ADDR=ip(1)), path, {"phone": PHONE}),
        post(APIClient(REMOTE_ADDR=ip(2)), path, {"phone": PHONE, "validate_token": "forged" * 5}),
        post(APIClient(REMOTE_ADDR=ip(3)), path, {"phone": PHONE, "validate_token": token}),
    ]
    for response in answers:
        assert_answer(response, 400, "captcha_required")
    assert_identical(answers)
    assert lc.calls == []
    assert sends() == 0


@lc_phone_settings(CAPTCHA_REQUIRED=True)
@pytest.mark.parametrize("path", list(SEND_PATHS))
def test_t21_a_token_from_our_captcha_verify_works_once(
    path: str, lc: upstream.CountingApp
) -> None:
    """T21: a validate_token from our captcha/verify/ lets one code through; spent, it is
    400 captcha_required with no upstream send."""
    _account_behind_captcha(PHONE)
    upstream.EMULATOR.clear_messages()
    lc.calls.clear()
    client = APIClient(REMOTE_ADDR=ip(1))
    token = solved_captcha(client)
    assert lc.calls == [("GET", "/1.1/requestCaptcha"), ("POST", "/1.1/verifyCaptcha")]
    lc.calls.clear()
    first = post(client, path, {"phone": PHONE, "validate_token": token})
    assert_answer(first, 202, "code_sent")
    upstream.advance_clocks(61)
    again = post(client, path, {"phone": PHONE, "validate_token": token})
    assert_answer(again, 400, "captcha_required")
    assert lc.calls == [("POST", SEND_PATHS[path])]
    assert sends() == 1


def test_t21_an_upstream_608_is_captcha_required_with_no_send(
    lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T21: CAPTCHA on at LeanCloud (upstream 608) -> 400 captcha_required; no SMS."""
    config = dataclasses.replace(upstream.EMULATOR.config, captcha_required=True)
    monkeypatch.setattr(upstream.EMULATOR, "config", config)
    with upstream_log() as log:
        response = _send(APIClient(), PHONE)
    assert_answer(response, 400, "captcha_required")
    assert log.leancloud_codes() == [608]
    assert lc.calls == [SEND]
    assert sends() == 0


@lc_phone_settings(CAPTCHA_AFTER_SENDS_PER_IP=2)
def test_t21_the_third_send_from_one_ip_needs_a_captcha(lc: upstream.CountingApp) -> None:
    """T21: CAPTCHA_AFTER_SENDS_PER_IP=2: the 3rd send from one IP needs a CAPTCHA (missing or
    forged: 400 captcha_required, no send); with one from captcha/verify/ it goes out."""
    client = APIClient(REMOTE_ADDR=ip(1))
    for n in range(2):
        assert_answer(_send(client, spread_phone(n)), 202, "code_sent")
    missing = _send(client, spread_phone(2))
    forged = post(client, "sms-code/", {"phone": spread_phone(2), "validate_token": "x" * 32})
    for response in (missing, forged):
        assert_answer(response, 400, "captcha_required")
    assert lc.calls == [SEND] * 2
    # Another address is not asked for one.
    assert_answer(_send(APIClient(REMOTE_ADDR=ip(2)), spread_phone(3)), 202, "code_sent")
    token = solved_captcha(client)
    solved = post(client, "sms-code/", {"phone": spread_phone(2), "validate_token": token})
    assert_answer(solved, 202, "code_sent")
    next_one = _send(client, spread_phone(4))
    assert_answer(next_one, 400, "captcha_required")  # still over the threshold
    assert lc.calls == [
        SEND,
        SEND,
        SEND,
        ("GET", "/1.1/requestCaptcha"),
        ("POST", "/1.1/verifyCaptcha"),
        SEND,
    ]
    assert sends() == 4
    assert sends(spread_phone(4)) == 0
