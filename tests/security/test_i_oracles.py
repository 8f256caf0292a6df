"""Step 8's oracle findings: nothing (answer, timing, refusal, rename, deactivation) tells
whether a number has an account.

Each test names the finding of issue 13 it proves (``Finding N``); each failed on the main the
issue started from.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model, user_logged_in
from django.test import Client
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_lc_phone import deliveries, signals
from django_lc_phone.models import CompatSession
from django_lc_phone.sms import locmem
from django_lc_phone.sms.base import SmsMessage
from django_lc_phone.testing import SmsOutbox
from tests import upstream
from tests.app._api import OTHER, PASSWORD, PHONE, THIRD, lc_phone_settings, post, received
from tests.compat.conftest import LC
from tests.security._util import assert_answer, assert_identical, ip

User = get_user_model()
LOCMEM = "django_lc_phone.sms.locmem.LocmemGateway"
# What a real HTTPS gateway takes to accept a message (the attack measured ~160 ms).
GATEWAY_SECONDS = 0.15
SAMPLES = 21
NO_LIMITS: dict[str, Any] = {
    "SMS_RESEND_COOLDOWN": None,
    "SMS_PER_PHONE_HOUR": None,
    "SMS_PER_PHONE_DAY": None,
    "SMS_PER_IP_MINUTE": None,
    "SMS_PER_IP_HOUR": None,
    "SMS_PER_PREFIX_HOUR": None,
    "PUMPING_MIN_SENDS": None,
    "SMS_BUDGET_HOUR": None,
    "SMS_BUDGET_DAY": None,
}


class SlowGateway(locmem.LocmemGateway):
    """A gateway that takes as long as a real one to accept a message."""

    def send(self, message: SmsMessage) -> None:
        time.sleep(GATEWAY_SECONDS)
        super().send(message)


class RefusingGateway(locmem.LocmemGateway):
    """A gateway that refuses every message (a carrier's or the vendor's refusal)."""

    def send(self, message: SmsMessage) -> None:
        from django_lc_phone.exceptions import SmsNotDelivered

        raise SmsNotDelivered()


class DownGateway(locmem.LocmemGateway):
    """A gateway that cannot be reached."""

    def send(self, message: SmsMessage) -> None:
        from django_lc_phone.exceptions import ProviderUnavailable

        raise ProviderUnavailable()


def _gateway(cls: type) -> str:
    return f"{__name__}.{cls.__name__}"


@pytest.fixture
def compat_urls(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.compat.urls"


def _local_account(phone: str = PHONE) -> None:
    """A local-provider account for ``phone`` (made from the test's own address)."""
    client = APIClient()
    assert post(client, "sms-code/", {"phone": phone}).status_code == 202
    body = {"phone": phone, "code": SmsOutbox().last_code(phone), "password": PASSWORD}
    assert post(client, "signup/", body).status_code == 201
    locmem.outbox.clear()
    upstream.advance_clocks(61)  # past the sign-up code's cooldown


# Each way to ask for an account-dependent code: (surface, how to ask for one for a number).
def _api(path: str) -> Callable[[str], Any]:
    def ask(phone: str) -> Any:
        return post(APIClient(REMOTE_ADDR=ip(7)), path, {"phone": phone})

    return ask


def _compat(path: str) -> Callable[[str], Any]:
    def ask(phone: str) -> Any:
        return LC(Client(REMOTE_ADDR=ip(7))).post(path, {"mobilePhoneNumber": phone})

    return ask


ASKS: dict[str, Callable[[str], Any]] = {
    "api-login": _api("login/sms-code/"),
    "api-reset": _api("password-reset/sms-code/"),
    "compat-login": _compat("requestLoginSmsCode"),
    "compat-reset": _compat("requestPasswordResetBySmsCode"),
    "compat-verify": _compat("requestMobilePhoneVerify"),
}


def _medians(
    ask: Callable[[str], Any],
    numbers: Iterable[str],
    between: Callable[[], None] = lambda: None,
) -> dict[str, float]:
    """The median seconds of ``SAMPLES`` requests for each number, taken in turn
    (``between`` runs before each round)."""
    numbers = list(numbers)
    took: dict[str, list[float]] = {phone: [] for phone in numbers}
    for _ in range(SAMPLES):
        between()
        for phone in numbers:
            started = time.perf_counter()
            response = ask(phone)
            took[phone].append(time.perf_counter() - started)
            assert response.status_code in (200, 202), response.content
    return {phone: statistics.median(seconds) for phone, seconds in took.items()}


# --- finding 3: the gateway and the upstream tell nothing -----------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("compat_urls")
@pytest.mark.parametrize("ask", list(ASKS))
def test_a_150_ms_gateway_takes_the_same_time_for_known_and_unknown_numbers(ask: str) -> None:
    """Finding 3: the local provider called its gateway only for numbers with accounts, so a
    real gateway's latency (~160 ms against ~10 ms) told which numbers have accounts. Now the
    send leaves the request: with a gateway that takes 150 ms, the medians of known and
    unknown numbers are within 10 ms, and every send to the known number still goes out."""
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM, **NO_LIMITS):
        _local_account(PHONE)
        if ask == "compat-verify":
            from django_lc_phone.models import PhoneProfile

            PhoneProfile.objects.update(phone_verified=False)
    settings = {"SEND_IN_BACKGROUND": True, "SMS_GATEWAY": _gateway(SlowGateway), **NO_LIMITS}
    with lc_phone_settings(PROVIDER="local", **settings):
        medians = _medians(ASKS[ask], [PHONE, OTHER])
        assert deliveries.drain()
    assert abs(medians[PHONE] - medians[OTHER]) < 0.010, medians
    assert max(medians.values()) < GATEWAY_SECONDS / 2, medians  # nobody waits for the gateway
    assert len([m for m in locmem.outbox if m.phone == PHONE]) == SAMPLES  # none lost
    assert [m for m in locmem.outbox if m.phone == OTHER] == []
    locmem.outbox.clear()


class SlowSends:
    """The emulator, taking 150 ms more whenever a request makes it send a message (LeanCloud
    handing an SMS to the carriers); an answer without a message is as quick as ever."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        before = len(upstream.EMULATOR.messages())
        answer = b"".join(self.app(environ, start_response))
        if len(upstream.EMULATOR.messages()) > before:
            time.sleep(GATEWAY_SECONDS)
        return [answer]


@pytest.fixture
def slow_leancloud() -> Iterator[None]:
    app = upstream.COUNTER.app
    upstream.COUNTER.app = SlowSends(app)  # type: ignore[assignment]
    try:
        yield
    finally:
        upstream.COUNTER.app = app


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("slow_leancloud")
@pytest.mark.parametrize("path", ["login/sms-code/", "password-reset/sms-code/"])
def test_leancloud_sending_takes_the_same_time_for_known_and_unknown_numbers(
    path: str, lc: upstream.CountingApp
) -> None:
    """Finding 3: in LeanCloud mode the same gap came from upstream (LeanCloud sends for a
    known number, answers 213 at once for an unknown one). Now the request does not wait for
    LeanCloud: the medians are within 10 ms."""
    from tests.app._api import signup

    signup(APIClient(), PHONE, password=PASSWORD)

    def next_day() -> None:  # past LeanCloud's own per-number limits (10 a day)
        assert deliveries.drain()
        upstream.EMULATOR.clock.advance(86401)

    with lc_phone_settings(SEND_IN_BACKGROUND=True, **NO_LIMITS):
        medians = _medians(_api(path), [PHONE, OTHER], between=next_day)
        assert deliveries.drain()
    assert abs(medians[PHONE] - medians[OTHER]) < 0.010, medians
    assert max(medians.values()) < GATEWAY_SECONDS / 2, medians
    assert len(upstream.EMULATOR.messages(PHONE)) == SAMPLES + 1  # the sign-up code, and these
    assert upstream.EMULATOR.messages(OTHER) == []


@pytest.mark.usefixtures("compat_urls")
@pytest.mark.parametrize("gateway", [RefusingGateway, DownGateway])
@pytest.mark.parametrize("ask", list(ASKS))
def test_a_refusing_or_absent_gateway_answers_as_for_a_number_without_an_account(
    gateway: type, ask: str
) -> None:
    """Finding 3: the gateway's refusals (502 against 202) and outages (503 against 202) told
    which numbers have accounts. Now both numbers get the same answer; the known number's
    failure is logged and signalled (``code_send_failed``), never answered."""
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        _local_account(PHONE)
        if ask == "compat-verify":
            from django_lc_phone.models import PhoneProfile

            PhoneProfile.objects.update(phone_verified=False)
    with (
        lc_phone_settings(PROVIDER="local", SMS_GATEWAY=_gateway(gateway)),
        received(signals.code_send_failed) as failed,
    ):
        known = ASKS[ask](PHONE)
        unknown = ASKS[ask](OTHER)
    assert known.status_code in (200, 202), known.content
    assert (known.status_code, known.content) == (unknown.status_code, unknown.content)
    assert [(f["phone"], f["flow"]) for f in failed] == [(PHONE, _flow(ask))]


def _flow(ask: str) -> str:
    return {"login": "login", "reset": "reset_password", "verify": "verify_phone"}[
        ask.split("-")[1]
    ]


# --- finding 2: renames tell nothing ----------------------------------------------------------


@pytest.fixture
def compat(compat_urls: None) -> Iterator[LC]:
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        yield LC(Client())
    locmem.outbox.clear()


def _compat_signup(lc: LC, phone: str) -> dict[str, Any]:
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": phone}).status_code == 200
    body = {"mobilePhoneNumber": phone, "smsCode": SmsOutbox().last_code(phone)}
    answer = lc.post("usersByMobilePhone", body)
    assert answer.status_code == 201, answer.content
    upstream.advance_clocks(61)
    user: dict[str, Any] = answer.json()
    return user


def test_a_rename_to_a_phone_number_answers_alike_whether_or_not_it_has_an_account(
    compat: LC,
) -> None:
    """Finding 2: usernames default to the E.164 number, and ``PUT /1.1/users/<own objectId>
    {"username": "+86..."}`` answered 202 ("taken") for numbers with accounts and 200 otherwise,
    with no limit. Now a phone-shaped username that is not the caller's own number gets one
    answer whatever exists, written any way; the caller's own number is allowed."""
    me = _compat_signup(compat, PHONE)
    _compat_signup(compat, OTHER)  # an account whose username is OTHER
    path, session = f"users/{me['objectId']}", str(me["sessionToken"])
    taken = [
        compat.put(path, {"username": name}, session=session) for name in (OTHER, "139 0013 9000")
    ]
    free = [
        compat.put(path, {"username": name}, session=session) for name in (THIRD, "13700137000")
    ]
    for answer in (*taken, *free):
        assert answer.status_code == 400, answer.content
        assert answer.json()["code"] == 217
    assert_identical([*taken, *free])
    assert compat.put(path, {"username": PHONE}, session=session).status_code == 200


def test_renames_are_limited(compat: LC) -> None:
    """Finding 2: renames had no limit (100 tries in 6 s). Now RENAMES_PER_HOUR (5) per user
    and per client, answered 429 like LeanCloud's "Too many requests"."""
    me = _compat_signup(compat, PHONE)
    path, session = f"users/{me['objectId']}", str(me["sessionToken"])
    for n in range(5):
        assert compat.put(path, {"username": f"name{n}"}, session=session).status_code == 200
    refused = compat.put(path, {"username": "name5"}, session=session)
    assert refused.status_code == 429, refused.content
    assert refused.json()["code"] == 429
    assert int(refused["Retry-After"]) > 0


def test_a_username_that_was_the_old_number_follows_the_phone_change(compat: LC) -> None:
    """Finding 2: after a phone change the username kept the old number, so old numbers
    leaked too. Now a username equal to the old number becomes the new one."""
    me = _compat_signup(compat, PHONE)
    session = str(me["sessionToken"])
    assert (
        compat.post(
            "requestChangePhoneNumber", {"mobilePhoneNumber": OTHER}, session=session
        ).status_code
        == 200
    )
    change = {"mobilePhoneNumber": OTHER, "code": SmsOutbox().last_code(OTHER, "change_phone")}
    assert compat.post("changePhoneNumber", change, session=session).status_code == 200
    assert compat.get("users/me", session=session).json()["username"] == OTHER
    assert not User.objects.filter(username=PHONE).exists()


# --- finding 12: deactivated users sign in nowhere ----------------------------------------------


def test_a_deactivated_user_gets_no_token_session_or_login_signal(compat: LC) -> None:
    """Finding 12: deactivated users "signed in": ``signup/`` answered 200 with a token and
    ``usersByMobilePhone`` 200 with a session token, and ``user_logged_in`` fired. Now they are
    refused as a wrong code or password is, and nothing is issued or announced."""
    _compat_signup(compat, PHONE)
    User.objects.update(is_active=False)
    Token.objects.all().delete()
    sessions = CompatSession.objects.count()
    api = APIClient(REMOTE_ADDR=ip(90))
    with received(user_logged_in) as logged_in:
        assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
        signup = post(api, "signup/", {"phone": PHONE, "code": SmsOutbox().last_code(PHONE)})
        upstream.advance_clocks(61)
        assert compat.post("requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
        body = {"mobilePhoneNumber": PHONE, "smsCode": SmsOutbox().last_code(PHONE)}
        by_phone = compat.post("usersByMobilePhone", body)
    assert_answer(signup, 400, "invalid_code")
    assert (by_phone.status_code, by_phone.json()["code"]) == (400, 603)
    assert logged_in == []
    assert Token.objects.count() == 0
    assert CompatSession.objects.count() == sessions


# --- finding 18: a change to one's own number ---------------------------------------------------


def test_a_change_to_one_s_own_number_is_refused_and_sends_nothing(compat: LC) -> None:
    """Finding 18: ``phone/change/`` to one's own number sent an SMS. Now it is 400
    ``same_phone`` (compat: 214) and nothing goes out."""
    me = _compat_signup(compat, PHONE)
    locmem.outbox.clear()
    api = APIClient()
    user = User.objects.get()
    api.force_authenticate(user)
    answer = post(api, "phone/change/sms-code/", {"phone": PHONE})
    assert_answer(answer, 400, "same_phone")
    again = compat.post(
        "requestChangePhoneNumber", {"mobilePhoneNumber": PHONE}, session=str(me["sessionToken"])
    )
    assert (again.status_code, again.json()["code"]) == (400, 214)
    assert locmem.outbox == []
