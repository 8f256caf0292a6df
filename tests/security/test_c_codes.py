"""Reference §5 C, codes and brute force (T11-T15), on every endpoint that checks a code.

Each flow gets a code the way a client would (through our API, from the emulator's outbox),
then guesses. Wrong codes are counted per client and number (CODE_ATTEMPTS=5 per
CODE_ATTEMPTS_WINDOW=600 s, over this window and the previous one) and per number for every
client: once a number has CAPTCHA_AFTER_FAILURES=5, clients that never signed in as it must
bring a solved CAPTCHA. ``login/`` checks codes through LeanCloud's ``login``, which LeanCloud
locks after more than six failures: there a client that never signed in as the number gets 3
(``tests/security/test_h_lockout.py`` has the rest of the policy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from rest_framework.test import APIClient

from django_lc_phone import signals
from django_lc_phone.models import PhoneProfile
from tests import upstream
from tests.app._api import (
    NEW_PASSWORD,
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    code,
    cool_down,
    make_unverified,
    post,
    received,
    request_code,
    signed_in,
    signup,
)
from tests.limiter import LIMITER_CLOCK
from tests.security._util import (
    assert_answer,
    assert_identical,
    ip,
    local_state,
    solved_captcha,
    upstream_log,
)

# Wrong codes one client gets on one number: CODE_ATTEMPTS, or, for LeanCloud's login, what
# its lock leaves a client that never signed in as the number.
GUESSES = {"login/": 3}


@dataclass(frozen=True)
class Flow:
    """An endpoint that checks a code: how to get a code for it and how to try one."""

    path: str
    send_path: str
    ok: tuple[int, str | None]  # status and body code of a success (None: no "code" key)
    upstream: Callable[[str], tuple[str, str]]  # the upstream call a guess makes
    # -> the client to guess with, the number the code goes to, the body of a guess
    setup: Callable[[], tuple[APIClient, str, Callable[[str], dict[str, Any]]]]


def _anonymous(phone: str, *, account: bool) -> Callable[[], tuple[APIClient, str, Any]]:
    def setup() -> tuple[APIClient, str, Any]:
        if account:
            signup(APIClient(), phone, password=PASSWORD)
        return APIClient(), phone, None

    return setup


def _verify_setup() -> tuple[APIClient, str, Callable[[str], dict[str, Any]]]:
    return APIClient(), PHONE, lambda c: {"phone": PHONE, "code": c}


def _signup_setup() -> tuple[APIClient, str, Callable[[str], dict[str, Any]]]:
    return APIClient(), PHONE, lambda c: {"phone": PHONE, "code": c}


def _login_setup() -> tuple[APIClient, str, Callable[[str], dict[str, Any]]]:
    signup(APIClient(), PHONE, password=PASSWORD)
    return APIClient(), PHONE, lambda c: {"phone": PHONE, "code": c}


def _reset_setup() -> tuple[APIClient, str, Callable[[str], dict[str, Any]]]:
    signup(APIClient(), PHONE, password=PASSWORD)
    return APIClient(), PHONE, lambda c: {"phone": PHONE, "code": c, "password": NEW_PASSWORD}


def _phone_verify_setup() -> tuple[APIClient, str, Callable[[str], dict[str, Any]]]:
    make_unverified(PHONE)
    client = APIClient()
    login = post(client, "login/", {"phone": PHONE, "password": PASSWORD})
    assert login.status_code == 200, login.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    return client, PHONE, lambda c: {"code": c}


def _phone_change_setup() -> tuple[APIClient, str, Callable[[str], dict[str, Any]]]:
    client, _ = signed_in(THIRD)
    return client, OTHER, lambda c: {"phone": OTHER, "code": c}


FLOWS: dict[str, Flow] = {
    f.path: f
    for f in (
        Flow(
            "sms-code/verify/",
            "sms-code/",
            (200, "code_verified"),
            lambda c: ("POST", f"/1.1/verifySmsCode/{c}"),
            _verify_setup,
        ),
        Flow(
            "signup/",
            "sms-code/",
            (201, None),
            lambda c: ("POST", "/1.1/usersByMobilePhone"),
            _signup_setup,
        ),
        Flow(
            "login/",
            "login/sms-code/",
            (200, None),
            lambda c: ("POST", "/1.1/login"),
            _login_setup,
        ),
        Flow(
            "password-reset/",
            "password-reset/sms-code/",
            (200, "password_reset"),
            lambda c: ("PUT", f"/1.1/resetPasswordBySmsCode/{c}"),
            _reset_setup,
        ),
        Flow(
            "phone/verify/",
            "phone/verify/sms-code/",
            (200, None),
            lambda c: ("POST", f"/1.1/verifyMobilePhone/{c}"),
            _phone_verify_setup,
        ),
        Flow(
            "phone/change/",
            "phone/change/sms-code/",
            (200, None),
            lambda c: ("POST", "/1.1/changePhoneNumber"),
            _phone_change_setup,
        ),
    )
}


def _send(flow: Flow, client: APIClient, phone: str) -> str:
    body = {} if flow.send_path == "phone/verify/sms-code/" else {"phone": phone}
    sent = post(client, flow.send_path, body)
    assert_answer(sent, 202, "code_sent")
    return code(phone)


def _wrong(right: str) -> str:
    return "000000" if right != "000000" else "111111"


def _assert_ok(flow: Flow, response: Any) -> None:
    status, body_code = flow.ok
    assert response.status_code == status, response.content
    if body_code is not None:
        assert_answer(response, status, body_code)


def _lock(flow: Flow) -> tuple[APIClient, str, Callable[[str], dict[str, Any]], str, Any]:
    """Wrong codes from one address until it is refused, then the right one from there; that
    answer."""
    client, phone, guess = flow.setup()
    right = _send(flow, client, phone)
    upstream.COUNTER.calls.clear()
    for _ in range(GUESSES.get(flow.path, 5)):
        failed = post(client, flow.path, guess(_wrong(right)), REMOTE_ADDR=ip(0))
        assert_answer(failed, 400, "invalid_code")
    locked = post(client, flow.path, guess(right), REMOTE_ADDR=ip(0))
    assert_answer(locked, 429, "too_many_attempts")
    return client, phone, guess, right, locked


# --- T11 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(FLOWS))
def test_t11_wrong_codes_from_many_ips_step_the_number_up(
    path: str, lc: upstream.CountingApp
) -> None:
    """T11: 5 wrong codes for one phone (upstream 603), spread over 5 different IPs -> from
    then on a client that never signed in as the number gets 400 captcha_required, the right
    code included, and no upstream call; with a solved CAPTCHA its attempt goes through
    (LeanCloud's login: after 3, every such client is refused, so LeanCloud's own lock is
    never set off). Must not happen: IP rotation getting round the limit; a refusal that an
    outsider can keep on (the owner: tests/security/test_h_lockout.py)."""
    flow = FLOWS[path]
    client, phone, guess = flow.setup()
    right = _send(flow, client, phone)
    lc.calls.clear()
    guesses = GUESSES.get(flow.path, 5)
    for n in range(guesses):
        failed = post(client, flow.path, guess(_wrong(right)), REMOTE_ADDR=ip(n))
        assert_answer(failed, 400, "invalid_code")
    before = local_state()
    again = [post(client, flow.path, guess(right), REMOTE_ADDR=ip(10 + n)) for n in range(3)]
    refusal = (429, "too_many_attempts") if flow.path in GUESSES else (400, "captcha_required")
    for response in again:
        assert_answer(response, *refusal)
    assert_identical(again)
    assert lc.calls == [flow.upstream(_wrong(right))] * guesses  # none while stepped up
    assert local_state() == before  # no user, session or token from a refused attempt
    if flow.path in GUESSES:
        return
    stranger = APIClient(REMOTE_ADDR=ip(20))
    captcha = solved_captcha(stranger)
    lc.calls.clear()
    body = {**guess(right), "validate_token": captcha}
    ok = post(client, flow.path, body, REMOTE_ADDR=ip(20))
    _assert_ok(flow, ok)
    assert lc.calls == [flow.upstream(right)]


# --- T12 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(FLOWS))
def test_t12_a_new_code_does_not_unlock_only_the_window_does(
    path: str, lc: upstream.CountingApp
) -> None:
    """T12: Lock the verify counter, then request a new code -> still locked: a new code does
    not reset the failure count (NIST rev. 4). Must not happen: counter reset. Once the window
    has passed (this window and the previous one: up to two windows), attempts work again."""
    flow = FLOWS[path]
    client, phone, guess, old, _locked = _lock(flow)
    cool_down()  # past the resend cooldown; still well inside the attempt window
    fresh = _send(flow, client, phone)
    locked = post(client, flow.path, guess(fresh), REMOTE_ADDR=ip(0))
    assert_answer(locked, 429, "too_many_attempts")
    wait = int(locked["Retry-After"])
    LIMITER_CLOCK.advance(wait - 1)
    still = post(client, flow.path, guess(fresh), REMOTE_ADDR=ip(0))
    assert_answer(still, 429, "too_many_attempts")
    assert still["Retry-After"] == "1"
    guesses = GUESSES.get(flow.path, 5)
    sent = lc.calls[guesses]
    assert lc.calls == [flow.upstream(_wrong(old))] * guesses + [sent]  # nothing while locked
    LIMITER_CLOCK.advance(1)
    works = post(client, flow.path, guess(fresh), REMOTE_ADDR=ip(0))
    _assert_ok(flow, works)
    assert lc.calls == [flow.upstream(_wrong(old))] * guesses + [sent, flow.upstream(fresh)]


# --- T13 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(FLOWS))
def test_t13_a_code_that_worked_is_invalid_when_replayed(
    path: str, lc: upstream.CountingApp
) -> None:
    """T13: Replay: a code that already worked is sent again (upstream 603) -> 400
    invalid_code. Must not happen: a second session or token; a second local user."""
    flow = FLOWS[path]
    client, phone, guess = flow.setup()
    right = _send(flow, client, phone)
    lc.calls.clear()
    first = post(client, flow.path, guess(right))
    _assert_ok(flow, first)
    if flow.path == "phone/change/":  # the change ended the old token: the answer has a new one
        client.credentials(HTTP_AUTHORIZATION=f"Token {first.json()['token']}")
    after_first = local_state()
    profile = PhoneProfile.objects.filter(phone=phone).values("lc_session_token").first()
    with received(signals.remote_user_authenticated) as authenticated:
        # A signed-in flow replays with its own client; the others from anywhere.
        replayer = client if flow.path.startswith("phone/") else APIClient()
        replay = post(replayer, flow.path, guess(right), REMOTE_ADDR=ip(1))
    assert_answer(replay, 400, "invalid_code")
    assert "token" not in replay.json()
    assert authenticated == []
    assert local_state() == after_first
    assert PhoneProfile.objects.filter(phone=phone).values("lc_session_token").first() == profile
    assert lc.calls == [flow.upstream(right)] * 2


# --- T14 --------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", list(FLOWS))
def test_t14_an_expired_code_reads_exactly_like_a_wrong_one(
    path: str, lc: upstream.CountingApp
) -> None:
    """T14: Expired code (upstream 603 after the ttl) -> 400 invalid_code (same as a wrong
    code); outgoing sends carry ttl <= 10. Must not happen: a separate "expired" answer."""
    flow = FLOWS[path]
    client, phone, guess = flow.setup()
    with upstream_log() as log:
        right = _send(flow, client, phone)
    assert len(log.items) == 1
    assert log.items[0].body.get("ttl", 10) <= 10, log.items[0].body
    lc.calls.clear()
    wrong = post(client, flow.path, guess(_wrong(right)))
    upstream.EMULATOR.clock.advance(10 * 60 + 1)  # past LeanCloud's ttl (10 min, 6 for change)
    expired = post(client, flow.path, guess(right))
    assert_answer(wrong, 400, "invalid_code")
    assert_answer(expired, 400, "invalid_code")
    assert_identical([wrong, expired])
    assert "expire" not in expired.json().get("code", "")
    assert lc.calls == [flow.upstream(_wrong(right)), flow.upstream(right)]


# --- T15 --------------------------------------------------------------------------------------


def test_t15_a_code_for_phone_a_does_not_work_for_phone_b(lc: upstream.CountingApp) -> None:
    """T15: a code requested for phone A is used for phone B -> 400; the binding never
    succeeds."""
    signup(APIClient(), OTHER, password=PASSWORD)
    anonymous = APIClient()
    generic = request_code(anonymous, PHONE)
    cool_down()
    assert_answer(post(anonymous, "login/sms-code/", {"phone": PHONE}), 202, "code_sent")
    login_code = code(PHONE)
    lc.calls.clear()
    answers = [
        post(anonymous, "sms-code/verify/", {"phone": OTHER, "code": generic}),
        post(anonymous, "signup/", {"phone": THIRD, "code": generic}),
        post(anonymous, "login/", {"phone": OTHER, "code": login_code}),
        post(
            anonymous,
            "password-reset/",
            {"phone": OTHER, "code": login_code, "password": NEW_PASSWORD},
        ),
    ]
    for response in answers:
        assert_answer(response, 400, "invalid_code")
    assert_identical(answers)
    assert lc.calls == [
        ("POST", f"/1.1/verifySmsCode/{generic}"),
        ("POST", "/1.1/usersByMobilePhone"),
        ("POST", "/1.1/login"),
        ("PUT", f"/1.1/resetPasswordBySmsCode/{login_code}"),
    ]
    assert local_state()[:2] == (1, 1)  # no account for THIRD, nobody signed in as OTHER
    old = post(APIClient(), "login/", {"phone": OTHER, "password": PASSWORD})
    assert old.status_code == 200, old.content  # OTHER's password did not change


def test_t15_a_reset_code_does_not_change_a_phone(lc: upstream.CountingApp) -> None:
    """T15: a reset code is used for change-phone (mallory holds the SIM of OTHER, a number
    bob's account still owns, and never asked to change to it) -> 400/403; changePhoneNumber
    is not called. Must not happen: a cross-purpose binding succeeding."""
    signup(APIClient(), OTHER, password=PASSWORD)  # bob
    mallory, _ = signed_in(THIRD)
    assert_answer(post(APIClient(), "password-reset/sms-code/", {"phone": OTHER}), 202, "code_sent")
    reset_code = code(OTHER)
    lc.calls.clear()
    with received(signals.phone_changed) as changed:
        response = post(mallory, "phone/change/", {"phone": OTHER, "code": reset_code})
    assert response.status_code in (400, 403), response.content
    assert_answer(response, response.status_code, "invalid_code")
    assert lc.calls == []  # no pending change to OTHER: nothing to confirm upstream
    assert changed == []
    assert mallory.get("/auth/phone/me/").json()["phone"] == THIRD
    phones = sorted(str(p) for p in PhoneProfile.objects.values_list("phone", flat=True))
    assert phones == sorted([OTHER, THIRD])


def test_t15_user_x_cannot_confirm_a_change_pending_for_user_y(lc: upstream.CountingApp) -> None:
    """T15: user X confirms a pending change made by user Y -> 400/403; changePhoneNumber is
    not called. Must not happen: a cross-user binding succeeding."""
    bob, _ = signed_in(PHONE)
    mallory, _ = signed_in(THIRD)
    assert_answer(post(bob, "phone/change/sms-code/", {"phone": OTHER}), 202, "code_sent")
    sms = code(OTHER)
    lc.calls.clear()
    with received(signals.phone_changed) as changed:
        stolen = post(mallory, "phone/change/", {"phone": OTHER, "code": sms})
    assert stolen.status_code in (400, 403), stolen.content
    assert_answer(stolen, stolen.status_code, "invalid_code")
    assert lc.calls == []  # mallory has no pending change to OTHER
    assert changed == []
    phones = sorted(str(p) for p in PhoneProfile.objects.values_list("phone", flat=True))
    assert phones == sorted([PHONE, THIRD])
    # Bob's code was not burned by mallory's try.
    mine = post(bob, "phone/change/", {"phone": OTHER, "code": sms})
    assert mine.status_code == 200, mine.content
    assert mine.json()["phone"] == OTHER
    assert lc.calls == [("POST", "/1.1/changePhoneNumber")]
