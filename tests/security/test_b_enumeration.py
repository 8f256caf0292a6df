"""Reference §5 B, enumeration and uniform responses (T07-T10).

"Identical" means byte-identical: status, body bytes, every header and every cookie
(``_util.assert_identical``), plus the same upstream calls and the same number of database
queries (the same code path, counted as Django's ``test_authentication_timing`` counts hasher
calls).
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from django_lc_phone.models import PhoneProfile
from tests import upstream
from tests.app._api import (
    CODE_SENT,
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    code,
    cool_down,
    make_unverified,
    post,
    signed_in,
    signup,
)
from tests.limiter import LIMITER_CLOCK
from tests.security._util import (
    SEND_PATHS,
    assert_answer,
    assert_identical,
    ip,
    local_state,
    sends,
    upstream_log,
)

UNKNOWN = "+8613600136000"
NO_PASSWORD = "+8613500135000"
WRONG_PASSWORD = "wrong-Password-9"


def _block_unverified_logins(monkeypatch: pytest.MonkeyPatch) -> None:
    """LeanCloud's console switch "users with an unverified phone may not log in" (215)."""
    config = dataclasses.replace(upstream.EMULATOR.config, block_unverified_phone_login=True)
    monkeypatch.setattr(upstream.EMULATOR, "config", config)


def _timed(client: APIClient, path: str, body: dict[str, Any]) -> tuple[Any, int]:
    """The answer, and how many database queries it took."""
    with CaptureQueriesContext(connection) as queries:
        response = post(client, path, body)
    return response, len(queries)


def _audit_outcomes(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, int]]:
    return [
        (r.lc_phone["event"], r.lc_phone["outcome"], r.lc_phone["status"])  # type: ignore[attr-defined]
        for r in caplog.records
        if r.name == "django_lc_phone.audit"
    ]


# --- T07 --------------------------------------------------------------------------------------


def test_t07_failed_password_logins_are_byte_identical(
    lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """T07: Password login: unknown phone (upstream 211/213) vs wrong password (210) vs
    unverified (215) -> byte-identical status (401), body (invalid_credentials) and headers;
    the same number of upstream calls and the same code path. Must not happen: any field,
    status or header that tells them apart."""
    signup(APIClient(), PHONE, password=PASSWORD)
    signup(APIClient(), NO_PASSWORD)  # signed up by code: no password at all
    make_unverified(OTHER)
    make_unverified(THIRD)
    _block_unverified_logins(monkeypatch)
    lc.calls.clear()
    before = local_state()
    caplog.set_level(logging.INFO)
    attempts = {
        "unknown number": {"phone": UNKNOWN, "password": PASSWORD},
        "wrong password": {"phone": PHONE, "password": WRONG_PASSWORD},
        "no password set": {"phone": NO_PASSWORD, "password": PASSWORD},
        "unverified, right password (215)": {"phone": OTHER, "password": PASSWORD},
        "unverified, wrong password": {"phone": THIRD, "password": WRONG_PASSWORD},
    }
    answers, queries = {}, {}
    with upstream_log() as log:
        for reason, body in attempts.items():
            answers[reason], queries[reason] = _timed(APIClient(), "login/", body)
    for response in answers.values():
        assert_answer(response, 401, "invalid_credentials")
    assert_identical(answers.values())
    assert len(set(queries.values())) == 1, queries
    assert lc.calls == [("POST", "/1.1/login")] * len(attempts)
    # The upstream did answer differently: the app hid it.
    assert sorted(log.leancloud_codes()) == [210, 210, 213, 215, 215]
    assert local_state() == before
    assert _audit_outcomes(caplog) == [("login", "invalid_credentials", 401)] * len(attempts)


@pytest.mark.parametrize("path", list(SEND_PATHS))
def test_t07_code_requests_are_byte_identical_for_unknown_known_and_unverified(
    path: str, lc: upstream.CountingApp
) -> None:
    """T07/T09: on every code-request endpoint, an unknown, a known and an unverified number
    get byte-identical status, body and headers, with the same upstream calls."""
    _three_kinds()
    answers = _ask_each_kind(path)
    assert_identical(answers)
    assert lc.calls == [("POST", SEND_PATHS[path])] * 3


# --- T08 --------------------------------------------------------------------------------------


def test_t08_ten_bad_passwords_lock_known_and_unknown_numbers_alike(
    lc: upstream.CountingApp,
) -> None:
    """T08: 10 bad passwords for a known phone and 10 for an unknown phone -> both get 429
    too_many_attempts at the same attempt number, same body and Retry-After; upstream calls
    stop after the local limit (below LeanCloud's 6: a client that never signed in as the
    number gets 3, the owner's devices keep the other 2). Must not happen: upstream 219 ever
    reaching the client in a different shape; the lock confirming which accounts exist."""
    signup(APIClient(), PHONE, password=PASSWORD)
    lc.calls.clear()
    # One address per number, so the per-IP limit (10 a minute) is not what trips.
    known, unknown = APIClient(REMOTE_ADDR=ip(1)), APIClient(REMOTE_ADDR=ip(2))
    with upstream_log() as log:
        pairs = [
            (
                post(known, "login/", {"phone": PHONE, "password": WRONG_PASSWORD}),
                post(unknown, "login/", {"phone": UNKNOWN, "password": WRONG_PASSWORD}),
            )
            for _ in range(10)
        ]
    for attempt, pair in enumerate(pairs, start=1):
        for response in pair:
            if attempt <= 3:
                assert_answer(response, 401, "invalid_credentials")
                assert "Retry-After" not in response
            else:
                assert_answer(response, 429, "too_many_attempts")
                assert int(response["Retry-After"]) > 0
        assert_identical(pair)
    assert_identical([known for known, _ in pairs[3:]])  # the same Retry-After every time
    assert lc.calls == [("POST", "/1.1/login")] * 6  # three per number, below LeanCloud's lock
    assert 219 not in log.leancloud_codes()
    assert sorted(log.leancloud_codes()) == [210] * 3 + [213] * 3
    # LeanCloud never locked the account: once our window has passed, the right password works.
    LIMITER_CLOCK.advance(int(pairs[-1][0]["Retry-After"]))
    right = post(known, "login/", {"phone": PHONE, "password": PASSWORD})
    assert right.status_code == 200, right.content
    assert len(lc.calls) == 7
    assert local_state()[:2] == (1, 1)


# --- T09 --------------------------------------------------------------------------------------


def _three_kinds() -> None:
    """PHONE: a verified account with a password; OTHER: unverified; UNKNOWN: nobody's."""
    signup(APIClient(), PHONE, password=PASSWORD)
    make_unverified(OTHER)
    upstream.COUNTER.calls.clear()
    upstream.EMULATOR.clear_messages()


def _ask_each_kind(path: str) -> list[Any]:
    """One code request per kind of number, from three addresses; the same query count each."""
    answers, counts = [], []
    for n, phone in enumerate((PHONE, OTHER, UNKNOWN)):
        response, queries = _timed(APIClient(REMOTE_ADDR=ip(n)), path, {"phone": phone})
        assert_answer(response, 202, "code_sent")
        assert response.json() == CODE_SENT
        answers.append(response)
        counts.append(queries)
    assert len(set(counts)) == 1, counts
    return answers


@pytest.mark.parametrize("path", ["login/sms-code/", "password-reset/sms-code/"])
def test_t09_account_code_requests_answer_202_for_unknown_and_unverified_numbers(
    path: str, lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture
) -> None:
    """T09: Request login code / reset code for an unknown or unverified number (upstream
    213/215) vs a known one -> generic 202 in every case, through the same code path. Must not
    happen: 404, "user not found", or a different answer."""
    _three_kinds()
    caplog.set_level(logging.INFO)
    with upstream_log() as log:
        answers = _ask_each_kind(path)
    assert_identical(answers)
    assert lc.calls == [("POST", SEND_PATHS[path])] * 3
    assert sorted(log.leancloud_codes()) == [213, 215]  # the upstream told them apart ...
    assert _audit_outcomes(caplog)[-3:] == [(_event(path), "ok", 202)] * 3  # ... we did not
    assert [m["mobilePhoneNumber"] for m in upstream.EMULATOR.messages()] == [PHONE]
    for response in answers:
        text = response.content.decode().lower()
        assert "not found" not in text
        assert "verified" not in text


def _event(path: str) -> str:
    return {"login/sms-code/": "login_code", "password-reset/sms-code/": "password_reset_code"}[
        path
    ]


@pytest.mark.parametrize("path", list(SEND_PATHS))
def test_t09_limits_answer_the_same_for_every_kind_of_number(
    path: str, lc: upstream.CountingApp
) -> None:
    """T09: the send limits treat an unknown number exactly like a known one (a second request
    within the cooldown is the same 429 for all), so the limits reveal nothing either."""
    _three_kinds()
    _ask_each_kind(path)
    again = [
        post(APIClient(REMOTE_ADDR=ip(10 + n)), path, {"phone": phone})
        for n, phone in enumerate((PHONE, OTHER, UNKNOWN))
    ]
    for response in again:
        assert_answer(response, 429, "sms_rate_limited")
        assert response["Retry-After"] == "60"
    assert_identical(again)
    assert lc.calls == [("POST", SEND_PATHS[path])] * 3


# --- T10 --------------------------------------------------------------------------------------


def test_t10_changing_to_a_taken_number_is_202_then_409_at_confirmation(
    lc: upstream.CountingApp,
) -> None:
    """T10: Change phone to a number another account owns (upstream 214) -> request step:
    generic 202; confirm step (valid code): 409 phone_unavailable. Must not happen: ownership
    revealed before the code is proven; two local users with the same phone."""
    alice, _ = signed_in(PHONE)
    signup(APIClient(), THIRD)  # bob owns THIRD
    upstream.EMULATOR.clear_messages()
    lc.calls.clear()
    with upstream_log() as log:
        taken = post(alice, "phone/change/sms-code/", {"phone": THIRD})
        free = post(alice, "phone/change/sms-code/", {"phone": OTHER})
    for response in (taken, free):
        assert_answer(response, 202, "code_sent")
    assert_identical([taken, free])
    assert lc.calls == [("POST", "/1.1/requestChangePhoneNumber")] * 2
    assert log.leancloud_codes() == [214]  # the upstream refused THIRD; the client cannot tell
    assert [m["mobilePhoneNumber"] for m in upstream.EMULATOR.messages()] == [OTHER]
    # OTHER is taken by carol before alice proves her (valid) code.
    sms = code(OTHER)
    cool_down()
    signup(APIClient(), OTHER)
    lc.calls.clear()
    confirm = post(alice, "phone/change/", {"phone": OTHER, "code": sms})
    assert_answer(confirm, 409, "phone_unavailable")
    assert lc.calls == [("POST", "/1.1/changePhoneNumber")]
    phones = [str(p) for p in PhoneProfile.objects.values_list("phone", flat=True)]
    assert sorted(phones) == sorted([PHONE, THIRD, OTHER])  # one user per number
    assert alice.get("/auth/phone/me/").json()["phone"] == PHONE
    assert sends(THIRD) == 0
