"""Reference §5 D, continued: the resend back-off (``SMS_RESEND_BACKOFF``) and the SMS-pumping
guard (``PUMPING_MIN_SENDS``, ``PUMPING_MIN_VERIFIED_RATIO``), end to end.

Every test runs on both providers (LeanCloud, played by the in-process emulator, and the local
provider with the locmem gateway) behind the phone API, and on compat's ``/1.1/`` (which serves
only with the local provider: ``compat.require_local_provider``), since every code request of
either surface goes through ``limits.reserve_send`` and every code check through
``limits.attempt``. On Redis they run the one-script path, with
``LC_PHONE_TEST_SERVICES=off`` the generic one, and ``tests/guards/test_cluster.py`` runs them
again on a Redis Cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from django_lc_phone import signals
from django_lc_phone.leancloud.wire import Code
from django_lc_phone.sms import locmem
from django_lc_phone.testing import SmsOutbox
from tests import upstream
from tests.app._api import lc_phone_settings, post, received, url
from tests.compat.conftest import LC
from tests.security._util import ip, solved_captcha

LOCMEM = "django_lc_phone.sms.locmem.LocmemGateway"
BACKOFF = [60, 120, 300]
# A guard that trips sooner than the default's 20 codes (settings given inside each test: a
# decorator's override would replace the fixture's provider).
FEW: dict[str, Any] = {"PUMPING_MIN_SENDS": 4, "PUMPING_MIN_VERIFIED_RATIO": 0.5}


def pumped(i: int) -> str:
    """Numbers of one pumping prefix (``+8613800``, six digits dropped), each in a prefix of
    its own for ``SMS_PER_PREFIX_HOUR`` (four dropped), so that cap never stops the flood."""
    return f"+8613800{i:02d}0000"


def elsewhere(i: int) -> str:
    """Numbers of another pumping prefix (``+8613700``)."""
    return f"+8613700{i:02d}0000"


def entered(i: int) -> str:
    """Numbers of a third prefix (``+8613600``), whose codes people enter."""
    return f"+8613600{i:02d}0000"


@dataclass
class Site:
    """One provider behind one surface: send a code, check it, solve a CAPTCHA."""

    provider: str
    surface: str
    captcha_answers: dict[str, str] = field(repr=False)

    def send(self, phone: str, n: int, *, token: str | None = None, login: bool = False) -> Any:
        """Ask for a code (a login code with ``login``) from the ``n``-th address: the answer
        as ``(outcome, Retry-After)``, outcome ``sent``, ``throttled`` or ``captcha``."""
        if self.surface == "api":
            body: dict[str, Any] = {"phone": phone}
            if token is not None:
                body["validate_token"] = token
            path = "login/sms-code/" if login else "sms-code/"
            response = post(APIClient(REMOTE_ADDR=ip(n)), path, body)
            outcomes = {202: "sent", 429: "throttled", 400: "captcha"}
            outcome = outcomes.get(response.status_code, response.content)
            if outcome == "captcha":
                assert response.json()["code"] == "captcha_required", response.content
        else:
            body = {"mobilePhoneNumber": phone}
            if token is not None:
                body["validate_token"] = token
            path = "requestLoginSmsCode" if login else "requestSmsCode"
            response = LC(Client(REMOTE_ADDR=ip(n))).post(path, body)
            codes = {Code.SMS_TOO_FREQUENT: "throttled", Code.CAPTCHA_TOKEN_MISSING: "captcha"}
            sent = response.status_code == 200
            outcome = "sent" if sent else codes.get(response.json()["code"], response.content)
        retry = response.get("Retry-After")
        return outcome, int(retry) if retry is not None else None

    def last_code(self, phone: str) -> str:
        if self.provider == "leancloud":
            return upstream.EMULATOR.last_code(phone)
        return SmsOutbox().last_code(phone)

    def verify(self, phone: str, n: int) -> None:
        """Check the newest code sent to ``phone`` (right: a successful verification)."""
        code = self.last_code(phone)
        if self.surface == "api":
            body = {"phone": phone, "code": code}
            response = post(APIClient(REMOTE_ADDR=ip(n)), "sms-code/verify/", body)
        else:
            call = LC(Client(REMOTE_ADDR=ip(n)))
            response = call.post(f"verifySmsCode/{code}", {"mobilePhoneNumber": phone})
        assert response.status_code == 200, response.content

    def solve(self, n: int) -> str:
        """A ``validate_token`` from the site's ``captcha/`` and ``captcha/verify/``."""
        client = APIClient(REMOTE_ADDR=ip(n))
        if self.provider == "leancloud":
            return solved_captcha(client)
        challenge = client.get(url("captcha/"))
        assert challenge.status_code == 200, challenge.content
        token = challenge.json()["captcha_token"]
        body = {"captcha_token": token, "captcha_code": self.captcha_answers[token]}
        verified = post(client, "captcha/verify/", body)
        assert verified.status_code == 200, verified.content
        return str(verified.json()["validate_token"])


@pytest.fixture(
    params=[
        ("leancloud", "api"),
        ("local", "api"),
        ("local", "compat"),
    ],
    ids=lambda p: "-".join(p),
)
def site(
    request: pytest.FixtureRequest,
    settings: Any,
    lc: upstream.CountingApp,
    captcha_answers: dict[str, str],
) -> Iterator[Site]:
    provider, surface = request.param
    if surface == "compat":
        settings.ROOT_URLCONF = "tests.compat.urls"
    locmem.outbox.clear()
    local = {"PROVIDER": "local", "SMS_GATEWAY": LOCMEM} if provider == "local" else {}
    with lc_phone_settings(**local):
        yield Site(provider, surface, captcha_answers)
    locmem.outbox.clear()


# --- the resend back-off ------------------------------------------------------------------------


def test_the_resend_wait_grows_and_a_verified_code_starts_it_again(site: Site) -> None:
    """60 s after a number's first code, 120 s after the second, 300 s after each later one,
    each in ``Retry-After``; the login code request spends the same back-off; a right code
    starts it again from 60 s."""
    with lc_phone_settings(SMS_RESEND_BACKOFF=BACKOFF, SMS_PER_PHONE_HOUR=None):  # it alone
        _grows_and_starts_again(site)


def _grows_and_starts_again(site: Site) -> None:
    phone = "+8613500135000"
    assert site.send(phone, 1) == ("sent", None)
    upstream.advance_clocks(10)
    assert site.send(phone, 2) == ("throttled", 50)
    upstream.advance_clocks(50)
    assert site.send(phone, 3, login=True) == ("sent", None)  # the login surface, the same count
    upstream.advance_clocks(10)
    assert site.send(phone, 4) == ("throttled", 110)
    upstream.advance_clocks(60)
    assert site.send(phone, 5, login=True) == ("throttled", 50)  # 60 s is not enough now
    upstream.advance_clocks(50)
    assert site.send(phone, 6) == ("sent", None)
    upstream.advance_clocks(10)
    assert site.send(phone, 7) == ("throttled", 290)
    upstream.advance_clocks(290)
    assert site.send(phone, 8) == ("sent", None)
    upstream.advance_clocks(10)
    assert site.send(phone, 9) == ("throttled", 290)  # the last wait repeats
    site.verify(phone, 10)
    assert site.send(phone, 11) == ("throttled", 50)  # the first wait again, from the last code
    upstream.advance_clocks(50)
    assert site.send(phone, 12) == ("sent", None)
    upstream.advance_clocks(10)
    assert site.send(phone, 13) == ("throttled", 50)
    upstream.advance_clocks(50)
    assert site.send(phone, 14, login=True) == ("sent", None)
    upstream.advance_clocks(10)
    assert site.send(phone, 15) == ("throttled", 110)


def test_without_a_back_off_the_cooldown_stays_flat(site: Site) -> None:
    """The default: ``SMS_RESEND_COOLDOWN`` after every code, however many."""
    phone = "+8613500135000"
    for n in range(3):
        assert site.send(phone, 2 * n) == ("sent", None)
        upstream.advance_clocks(10)
        assert site.send(phone, 2 * n + 1) == ("throttled", 50)
        upstream.advance_clocks(50)


# --- the pumping guard --------------------------------------------------------------------------


def test_a_flood_of_codes_nobody_enters_needs_a_captcha(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    """Four codes to one prefix, none entered: the next ones need a CAPTCHA (one signal, one
    WARNING, no whole number in it); another prefix is not affected; a solved CAPTCHA lets a
    code through."""
    caplog.set_level(logging.INFO, logger="django_lc_phone.security")
    with received(signals.sms_pumping_suspected) as alerts, lc_phone_settings(**FEW):
        for i in range(4):
            assert site.send(pumped(i), i) == ("sent", None)
        for i in range(4, 8):
            assert site.send(pumped(i), i) == ("captcha", None)
        assert site.send(pumped(8), 8, login=True) == ("captcha", None)
        assert site.send(elsewhere(0), 20) == ("sent", None)
        token = site.solve(21)
        assert site.send(pumped(9), 22, token=token) == ("sent", None)
        assert site.send(pumped(10), 23, token=token) == ("captcha", None)  # spent
    assert [(a["prefix"], a["sends"], a["verified"]) for a in alerts] == [("+8613800******", 4, 0)]
    assert alerts[0]["prefix_digest"] not in ("", None)
    warnings = [
        r
        for r in caplog.records
        if r.name == "django_lc_phone.security" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    message = warnings[0].getMessage()
    assert "pumping" in message
    assert "+8613800******" in message
    for record in caplog.records:
        for i in range(11):
            assert pumped(i).lstrip("+") not in record.getMessage()


def test_a_prefix_whose_codes_are_entered_is_not_asked(site: Site) -> None:
    """Codes people enter (any of the surface's checks) keep the prefix's share up."""
    with lc_phone_settings(**FEW):
        for i in range(8):
            assert site.send(entered(i), i) == ("sent", None)
            if i % 2 == 0:
                site.verify(entered(i), 30 + i)
        assert site.send(entered(8), 8) == ("sent", None)  # 4 of 8 verified: the share holds
        assert site.send(entered(9), 9) == ("captcha", None)  # 4 of 9: it no longer does
        site.verify(entered(8), 38)  # 5 of 9: it holds again
        assert site.send(entered(9), 9) == ("sent", None)


def test_the_guard_is_on_by_default_at_twenty_codes(site: Site) -> None:
    """The defaults: 20 codes to a prefix this hour and the last, under 0.2 of them entered."""
    for i in range(20):
        assert site.send(pumped(i), i) == ("sent", None)
    assert site.send(pumped(20), 20) == ("captcha", None)
