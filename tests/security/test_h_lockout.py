"""Step 8's lockout findings, attacked as an attacker would: limits nobody can wipe or turn on
the owner, client addresses counted as clients, the admin's password checks, and breakers that
guard remote calls only.

Each test names the finding of issue 13 it proves (``Finding N``); each failed on the main the
issue started from.
"""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.test import RequestFactory
from rest_framework.test import APIClient

from django_lc_phone.guards import windows as ratelimit
from django_lc_phone.leancloud.wire import LOGIN_LOCK_FAILURES
from django_lc_phone.sms import locmem
from django_lc_phone.testing import SmsOutbox
from tests import upstream
from tests.app._api import (
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    lc_phone_settings,
    post,
    signup,
    url,
)
from tests.security._util import assert_answer, ip, upstream_log

User = get_user_model()
WRONG = "wrong-Password-9"
LOCMEM = "django_lc_phone.sms.locmem.LocmemGateway"
# The example site's cache before step 8: LocMemCache's default of 300 entries.
SMALL_CACHE = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "lc-phone-small",
    "OPTIONS": {"MAX_ENTRIES": 300},
}


@pytest.fixture
def local() -> Any:
    """The local provider, its codes in the locmem outbox."""
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        yield SmsOutbox()
    locmem.outbox.clear()


def _local_user(phone: str = PHONE) -> APIClient:
    """A local-provider user with a password, signed up from the returned client's address
    (which is therefore known for the number)."""
    client = APIClient()
    sent = post(client, "sms-code/", {"phone": phone})
    assert sent.status_code == 202, sent.content
    body = {"phone": phone, "code": SmsOutbox().last_code(phone), "password": PASSWORD}
    created = post(client, "signup/", body)
    assert created.status_code == 201, created.content
    upstream.advance_clocks(61)
    return client


def _random_number() -> str:
    return f"+86139{secrets.randbelow(10**8):08d}"


# --- finding 1: limits that cannot be evicted -----------------------------------------------------


@pytest.mark.usefixtures("local")
def test_flooding_ten_times_the_cache_leaves_the_lockout_and_the_cooldown(settings: Any) -> None:
    """Finding 1: anonymous requests created cache entries without bound (a CAPTCHA challenge
    each; a key per made-up number even when the client's own cap refused it), so with a
    300-entry LocMemCache about 450 of them evicted a password lockout and an SMS cooldown.
    Here 3,000 of them (ten times the cache) change neither."""
    settings.CACHES = {**settings.CACHES, "small": SMALL_CACHE}
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM, CACHE="small"):
        ratelimit.cache().clear()
        owner = _local_user()
        attacker = APIClient(REMOTE_ADDR=ip(1))
        for _ in range(5):  # the attacker's password budget on the number
            wrong = post(attacker, "login/", {"phone": PHONE, "password": WRONG})
            assert_answer(wrong, 401, "invalid_credentials")
        assert post(owner, "sms-code/", {"phone": OTHER}).status_code == 202  # a cooldown
        for n in range(1000):
            flooder = APIClient(REMOTE_ADDR=ip(2))
            assert flooder.get(url("captcha/")).status_code == 200
            guess = {"phone": _random_number(), "code": f"{n:06d}"}
            assert post(flooder, "sms-code/verify/", guess).status_code in (400, 429)
            answer = {"captcha_token": "a" * 32, "captcha_code": "ABCD"}
            assert post(flooder, "captcha/verify/", answer).status_code in (400, 429)
        locked = post(attacker, "login/", {"phone": PHONE, "password": PASSWORD})
        assert_answer(locked, 429, "too_many_attempts")
        again = post(owner, "sms-code/", {"phone": OTHER})
        assert_answer(again, 429, "sms_rate_limited")
        assert len(ratelimit.cache()._cache) < 100  # type: ignore[attr-defined]


def test_guessing_from_many_clients_never_sets_off_leancloud_s_lock(
    lc: upstream.CountingApp,
) -> None:
    """Finding 1: the guesses that got through tripped LeanCloud's own lock (more than six
    failures in 15 minutes): the owner's right password was 429 for 15 minutes, and numbers
    without accounts kept answering 401, so the lock told which numbers have accounts. Now at
    most five failures reach LeanCloud, three of them from clients that never signed in as the
    number; known and unknown numbers are refused alike; the owner's own device signs in."""
    signup(APIClient(), PHONE, password=PASSWORD)  # from the owner's address
    with upstream_log() as log:
        answers = {
            phone: [
                post(
                    APIClient(REMOTE_ADDR=ip(10 + n)), "login/", {"phone": phone, "password": WRONG}
                )
                for n in range(2 * LOGIN_LOCK_FAILURES)
            ]
            for phone in (PHONE, OTHER)
        }
    for phone in (PHONE, OTHER):
        statuses = [a.status_code for a in answers[phone]]
        assert statuses == [401] * 3 + [429] * (2 * LOGIN_LOCK_FAILURES - 3), (phone, statuses)
    assert [a.content for a in answers[PHONE]] == [a.content for a in answers[OTHER]]
    assert 219 not in log.leancloud_codes()
    assert log.leancloud_codes().count(210) == 3
    owner = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD})
    assert owner.status_code == 200, owner.content


# --- finding 5: one client, however it writes its address --------------------------------------


@pytest.mark.parametrize(
    "addresses",
    [
        ["2001:DB8:1::1", "2001:db8:1:0:0:0:0:1", "2001:db8:1::2", "2001:db8:1:0:ffff::9"],
        ["198.51.100.7", "::ffff:198.51.100.7", "::FFFF:c633:6407", "198.51.100.7"],
    ],
    ids=["one-ipv6-64", "ipv4-and-mapped"],
)
def test_every_spelling_and_every_address_of_a_64_is_one_client(
    addresses: list[str], lc: upstream.CountingApp
) -> None:
    """Finding 5: addresses were keyed by their text, so every address of one IPv6 /64 and
    every spelling of one address had its own budget: one /64 could spend the site's budget.
    Here SMS_PER_IP_MINUTE (5) holds across them, and another /64 is another client."""
    numbers = [f"+86139{n:04d}0000" for n in range(6)]
    spellings = [*addresses, addresses[0]]
    answers = [
        post(APIClient(REMOTE_ADDR=address), "sms-code/", {"phone": number})
        for address, number in zip(spellings[:5], numbers, strict=False)
    ]
    assert [a.status_code for a in answers] == [202] * 5
    sixth = post(APIClient(REMOTE_ADDR=spellings[-1]), "sms-code/", {"phone": numbers[5]})
    assert_answer(sixth, 429, "sms_rate_limited")
    elsewhere = "2001:db8:2::1" if ":" in addresses[0] else "198.51.100.8"
    other = post(APIClient(REMOTE_ADDR=elsewhere), "sms-code/", {"phone": numbers[5]})
    assert other.status_code == 202, other.content


# --- finding 6: the admin's password checks spend the budget -------------------------------------


@pytest.mark.usefixtures("local")
def test_the_admin_login_spends_the_password_budget() -> None:
    """Finding 6: ModelBackend checked a phone user's password (the username is the number)
    with no limit, so the admin's login form was an unlimited guessing oracle. Now a guess
    there spends the same budget as ``auth/phone/login/``, and once it is spent the right
    password is refused there too."""
    _local_user()
    attacker = APIClient(REMOTE_ADDR=ip(3))
    for _ in range(2):
        assert_answer(
            post(attacker, "login/", {"phone": PHONE, "password": WRONG}),
            401,
            "invalid_credentials",
        )
    request = RequestFactory().post("/admin/login/", REMOTE_ADDR=ip(3))
    for _ in range(3):
        assert authenticate(request, username=PHONE, password=WRONG) is None
    assert authenticate(request, username=PHONE, password=PASSWORD) is None  # spent
    assert_answer(
        post(attacker, "login/", {"phone": PHONE, "password": PASSWORD}), 429, "too_many_attempts"
    )
    page = attacker.post("/admin/login/", {"username": PHONE, "password": PASSWORD})
    assert page.status_code == 200  # the form again, not a redirect into the admin
    assert "_auth_user_id" not in attacker.session
    owner = RequestFactory().post("/admin/login/")  # from the address it signed up from
    assert authenticate(owner, username=PHONE, password=PASSWORD) is not None


# --- finding 8: nobody can keep an owner locked out ----------------------------------------------


@pytest.mark.usefixtures("local")
@pytest.mark.parametrize("credential", ["password", "code"])
def test_outsiders_failing_on_a_number_do_not_lock_its_owner_out(credential: str) -> None:
    """Finding 8: five wrong codes and five wrong passwords per window, from anyone, with no
    credentials, refused the owner's right code. Now outsiders spend budgets of their own,
    the number asks new clients for a CAPTCHA, and the owner's device signs in."""
    owner = _local_user()
    wrong = {"phone": PHONE, credential: WRONG if credential == "password" else "000000"}
    for n in range(12):
        post(APIClient(REMOTE_ADDR=ip(20 + n)), "login/", wrong)
    stranger = post(APIClient(REMOTE_ADDR=ip(40)), "login/", wrong)
    assert_answer(stranger, 400, "captcha_required")  # a new client: step up
    if credential == "password":
        signed = post(owner, "login/", {"phone": PHONE, "password": PASSWORD})
    else:
        assert post(owner, "login/sms-code/", {"phone": PHONE}).status_code == 202
        signed = post(owner, "login/", {"phone": PHONE, "code": SmsOutbox().last_code(PHONE)})
    assert signed.status_code == 200, signed.content


@pytest.mark.usefixtures("local")
def test_the_per_number_ceiling_refuses_everyone(settings: Any) -> None:
    """Finding 8: the per-number ceiling (NIST SP 800-63B-4: at most 100 consecutive failures,
    here 7 to keep the test short) refuses every client, the owner's too, once reached; a
    success before it starts the count again."""
    owner = _local_user()
    with lc_phone_settings(
        PROVIDER="local", SMS_GATEWAY=LOCMEM, FAILURES_PER_NUMBER=7, CAPTCHA_AFTER_FAILURES=None
    ):
        for n in range(6):
            post(APIClient(REMOTE_ADDR=ip(50 + n)), "login/", {"phone": PHONE, "password": WRONG})
        assert post(owner, "login/", {"phone": PHONE, "password": PASSWORD}).status_code == 200
        for n in range(7):  # the success reset the consecutive count: seven more
            failed = post(
                APIClient(REMOTE_ADDR=ip(60 + n)), "login/", {"phone": PHONE, "password": WRONG}
            )
            assert_answer(failed, 401, "invalid_credentials")
        refused = post(owner, "login/", {"phone": PHONE, "password": PASSWORD})
        assert_answer(refused, 429, "too_many_attempts")


# --- finding 13: a gateway outage stops sends, not logins ----------------------------------------


class FailingGateway(locmem.LocmemGateway):
    """A gateway whose every send is an outage."""

    def send(self, message: Any) -> None:
        from django_lc_phone.exceptions import ProviderUnavailable

        raise ProviderUnavailable()


@pytest.mark.usefixtures("local")
def test_a_failing_gateway_opens_its_breaker_and_logins_go_on() -> None:
    """Finding 13: under the local provider, five failed gateway sends opened the breaker for
    every provider call, so a password login (database work only) answered 503 for 60 s. Now
    the breaker is the gateway's own: sends answer 503 at once, logins are not touched."""
    client = _local_user()
    failing = "tests.security.test_h_lockout.FailingGateway"
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=failing):
        for n in range(5):
            sent = post(
                APIClient(REMOTE_ADDR=ip(70 + n)), "sms-code/", {"phone": f"+86139{n:04d}1111"}
            )
            assert_answer(sent, 503, "upstream_unavailable")
        opened = post(APIClient(REMOTE_ADDR=ip(80)), "sms-code/", {"phone": THIRD})
        assert_answer(opened, 503, "upstream_unavailable")
        assert opened["Retry-After"] == "60"  # the breaker answered, without calling it
        login = post(client, "login/", {"phone": PHONE, "password": PASSWORD})
        assert login.status_code == 200, login.content


class RecoveringGateway(locmem.LocmemGateway):
    """A gateway that is down (every send an outage) until a test brings it back."""

    down = True

    def send(self, message: Any) -> None:
        from django_lc_phone.exceptions import ProviderUnavailable

        if RecoveringGateway.down:
            raise ProviderUnavailable()
        super().send(message)


@pytest.mark.usefixtures("local")
def test_while_a_gateway_s_breaker_is_open_logins_answer_and_sends_wait_for_its_probe() -> None:
    """Step 9: the breaker wraps the gateway's send only. Once it has opened, a phone and
    password login answers 200 while every SMS request answers 503 without reaching the
    gateway, until the breaker's probe: then the gateway (back up) is asked again, and sends
    answer 202."""
    client = _local_user()
    sent_before = len(SmsOutbox())
    RecoveringGateway.down = True
    recovering = "tests.security.test_h_lockout.RecoveringGateway"
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=recovering, CIRCUIT_RESET_TIMEOUT=60):
        for n in range(5):
            sent = post(
                APIClient(REMOTE_ADDR=ip(90 + n)), "sms-code/", {"phone": f"+86137{n:04d}2222"}
            )
            assert_answer(sent, 503, "upstream_unavailable")
        RecoveringGateway.down = False  # back up, but the open breaker does not ask it yet
        for n in range(2):
            login = post(client, "login/", {"phone": PHONE, "password": PASSWORD})
            assert login.status_code == 200, login.content
            refused = post(APIClient(REMOTE_ADDR=ip(100 + n)), "sms-code/", {"phone": THIRD})
            assert_answer(refused, 503, "upstream_unavailable")
        assert len(SmsOutbox()) == sent_before  # the gateway was not asked while open
        upstream.advance_clocks(61)  # the breaker's reset timeout: the next send is its probe
        probe = post(APIClient(REMOTE_ADDR=ip(110)), "sms-code/", {"phone": THIRD})
        assert probe.status_code == 202, probe.content
        after = post(APIClient(REMOTE_ADDR=ip(111)), "sms-code/", {"phone": OTHER})
        assert after.status_code == 202, after.content
        assert [m.phone for m in SmsOutbox()[sent_before:]] == [THIRD, OTHER]
