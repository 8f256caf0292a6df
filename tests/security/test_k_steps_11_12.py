"""Reference §5, steps 11 and 12 attacked: the limiter as one plan (one Lua script on Redis,
step by step elsewhere), a success's release after the answer, the breakers' prefetched
state, test numbers, the phone-change notice and the pumping guard.

Each test is named for the attack; a hole it showed failed before its fix. On Redis the
one-script path runs, with ``LC_PHONE_TEST_SERVICES=off`` the generic one.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import responses
from django.core.signals import request_finished, request_started
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from django_lc_phone.conf import get_settings
from django_lc_phone.exceptions import (
    CaptchaUnavailable,
    InvalidCaptcha,
    InvalidCode,
    ProviderUnavailable,
    TooManyAttempts,
)
from django_lc_phone.guards import breaker, limits
from django_lc_phone.guards.cluster import RedisClusterCache
from django_lc_phone.guards.identity import client_digest, digest
from django_lc_phone.guards.limits.common import remember_validate_token, validate_token_key
from django_lc_phone.guards.plan import Gate, ShareGate, Step, Take, run
from django_lc_phone.guards.windows import Window, cache, clock
from django_lc_phone.models import PhoneProfile
from django_lc_phone.providers.local.captcha import RecaptchaV3, TencentCaptcha, Turnstile
from django_lc_phone.sms import locmem
from django_lc_phone.sms.webhook import WebhookGateway
from tests import upstream
from tests.app._api import OTHER, PASSWORD, PHONE, cool_down, lc_phone_settings, post
from tests.compat.conftest import LC
from tests.guards.test_cluster import cluster_url
from tests.security._util import ip
from tests.security.test_d_backoff_pumping import FEW, LOCMEM, Site, pumped, site
from tests.sms.conftest import code_message

__all__ = ["cluster_url", "site"]

# A store-review number inside the pumped prefix (+8613800), and its fixed code.
TEST_NUMBER = pumped(99)
FIXED = "246810"
NUMBERS = {TEST_NUMBER: {"code": FIXED, "expires": None}}
GARBAGE = "written by another app"


def _in_threads(count: int, work: Callable[[int], None]) -> None:
    """Run ``work(i)`` for ``count`` threads released together."""
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def one(i: int) -> None:
        start.wait()
        try:
            work(i)
        except BaseException as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


# --- 1. the plan: concurrency, give-backs, garbage, tokens, breakers --------------------------


def test_forty_concurrent_plans_never_exceed_a_window(db: None) -> None:
    """40 threads at once on a window of 7 (and a second of 30 in the same plan): exactly 7
    pass, and the refused ones give back the second window's slot they took."""
    first, second = Window("k-first", 7, 600), Window("k-second", 30, 600)
    passed: list[int] = []

    def work(i: int) -> None:
        outcome = run([Take(second, "who"), Take(first, "who")])
        if outcome.refused is None:
            passed.append(i)

    _in_threads(40, work)
    assert len(passed) == 7
    assert first.count("who") == 7
    assert second.count("who") == 7  # the 33 refused gave theirs back


def test_concurrent_successes_give_each_slot_back_exactly_once(db: None) -> None:
    """30 right codes at once for one number (outside a request: each release runs at once):
    every slot goes back once, none twice, so the counts end at 0, never below (a count
    below 0 would be attempts beyond the limit later)."""
    number = digest("phone", PHONE)

    def work(i: int) -> None:
        # In flight at once, past ATTEMPTS_PER_IP_MINUTE some are refused: that is the limit.
        with contextlib.suppress(TooManyAttempts), limits.attempt("code", PHONE, None):
            pass  # the provider accepted the code

    _in_threads(30, work)
    per_number = Window("fail-code-number", 1, get_settings_value("CODE_ATTEMPTS_WINDOW"))
    assert per_number.count(number) == 0
    assert Window("fail-ip", 1, 60).count(digest_client()) == 0


def get_settings_value(name: str) -> Any:
    """A setting's value now."""
    return getattr(get_settings(), name)


def digest_client(address: str | None = None) -> str:
    """The limits' name for the client at ``address`` (None: a call outside a request)."""
    if address is None:
        return client_digest(None)
    return client_digest(RequestFactory().post("/", REMOTE_ADDR=address))


def test_an_owners_concurrent_successes_never_free_an_attackers_guesses(db: None) -> None:
    """20 wrong codes from an attacker and 20 right ones from the owner, at once, on one
    number: the owner's give-backs and forgotten failures are the owner's own, so at most
    CODE_ATTEMPTS of the attacker's guesses reach the provider."""
    attacker, owner = RequestFactory().post("/", REMOTE_ADDR=ip(1)), None
    reached: list[int] = []

    def work(i: int) -> None:
        try:
            with limits.attempt("code", PHONE, attacker if i % 2 else owner):
                if i % 2:
                    reached.append(i)
                    raise InvalidCode()
        except (InvalidCode, TooManyAttempts):
            pass

    with lc_phone_settings(CAPTCHA_AFTER_FAILURES=None):
        _in_threads(40, work)
    assert 0 < len(reached) <= get_settings_value("CODE_ATTEMPTS")


def test_a_release_given_twice_gives_back_once(db: None) -> None:
    """A reservation released twice (a caller's bug, or a retried signal) frees its slot once."""
    limit = Window("k-twice", 2, 600)
    one, two = run([Take(limit, "who")]), run([Take(limit, "who")])
    assert one.refused is None
    assert two.refused is None
    one.reservation.release()
    one.reservation.release()
    assert limit.count("who") == 1


def test_a_request_whose_answer_never_closes_still_gives_back(db: None) -> None:
    """A success inside a request whose answer is never closed (no ``request_finished``):
    its release runs when the thread's next request starts, so the owner's slots come back."""
    request_started.send(sender=None)
    with limits.attempt("code", PHONE, None):
        pass
    per_ip = Window("fail-ip", 1, 60)
    assert per_ip.count(digest_client()) == 1  # held until the answer is sent
    request_started.send(sender=None)  # the next request on this thread
    assert per_ip.count(digest_client()) == 0
    request_finished.send(sender=None)


def test_a_repeated_request_finished_gives_a_success_back_once(db: None) -> None:
    """Two right codes, the first one's answer sent twice over (``request_finished`` twice, a
    server's retry or a middleware's own close): its slots go back once, the second's stay
    until its own answer."""
    per_ip = Window("fail-ip", 1, 60)
    with limits.attempt("code", PHONE, None):
        pass  # outside a request: given back at once
    request_started.send(sender=None)
    with limits.attempt("code", PHONE, None):
        pass
    assert per_ip.count(digest_client()) == 1
    request_finished.send(sender=None)
    request_finished.send(sender=None)
    assert per_ip.count(digest_client()) == 0


def test_a_limit_key_overwritten_with_garbage_fails_closed_not_500(
    lc: upstream.CountingApp,
) -> None:
    """Another app sharing the cache wrote a string over the site's SMS budget count: a code
    request is refused with a 503 and a stable code (no 500, nothing sent), and the per-client
    slots the plan took before that step are given back."""
    budget = Window("sms-budget", get_settings_value("SMS_BUDGET_HOUR"), 3600)
    cache().set(budget.keys("site", clock())[0], GARBAGE, timeout=600)
    client = APIClient(REMOTE_ADDR=ip(1))
    answer = post(client, "sms-code/", {"phone": PHONE})
    assert answer.status_code == 503, answer.content
    assert answer.json()["code"] == "upstream_unavailable"
    assert GARBAGE not in answer.content.decode()
    assert upstream.EMULATOR.messages(PHONE) == []
    assert Window("sms-ip", 1, 60).count(digest_client(ip(1))) == 0  # given back


def test_garbage_in_a_window_key_raises_a_clear_error_at_the_plan(db: None) -> None:
    """At the plan itself: a window whose previous count is garbage refuses with
    ``ProviderUnavailable`` (the limits cannot be read), and the earlier step's slot is gone."""
    earlier, broken = Window("k-earlier", 5, 600), Window("k-broken", 5, 600)
    cache().set(broken.keys("who", clock())[1], GARBAGE, timeout=600)
    with pytest.raises(ProviderUnavailable):
        run([Take(earlier, "who"), Take(broken, "who")])
    assert earlier.count("who") == 0


def test_one_captcha_token_answers_a_plans_gates_once_and_never_again(db: None) -> None:
    """An IP gate and a pumping gate naming one token in one plan: it lets both through and is
    spent; the same token on the next plan is refused."""
    remember_validate_token("k-token")
    key = validate_token_key("k-token")
    sent, verified = Window("k-sent", 1000, 3600), Window("k-verified", 1000, 3600)
    steps: list[Step] = [
        Gate(Window("k-ip", 1000, 3600), "who", 0, key),
        ShareGate(sent, verified, "prefix", 0, 0.5, key),
    ]
    assert run(steps).refused is None
    again = run(steps).refused
    assert again is not None
    assert isinstance(again.step, Gate)


def test_a_stale_prefetched_breaker_state_does_not_outlive_its_request(db: None) -> None:
    """Request 1's plan read breaker "k" closed; the breaker then opens (another worker). The
    next request on the same thread, within the prefetch's second and without a plan of its
    own, must not call through the open breaker on request 1's stale read."""
    breaker.call(lambda: None, "k")  # the process knows breaker "k": plans read its state
    request_started.send(sender=None)
    assert run([Take(Window("k-any", 5, 600), "who")]).refused is None
    request_finished.send(sender=None)
    opened_key, _ = breaker.state_keys("k")
    cache().set(opened_key, clock(), timeout=600)  # opened elsewhere, just now
    request_started.send(sender=None)
    try:
        with pytest.raises(ProviderUnavailable):
            breaker.call(lambda: "called through an open breaker", "k")
    finally:
        request_finished.send(sender=None)
        breaker.reset("k")


# --- 3. test numbers ---------------------------------------------------------------------------


def _verify(site: Site, phone: str, code: str, n: int) -> int:
    """Check ``code`` for ``phone`` on the site's surface: the answer's status."""
    if site.surface == "api":
        body = {"phone": phone, "code": code}
        return int(post(APIClient(REMOTE_ADDR=ip(n)), "sms-code/verify/", body).status_code)
    answer = LC(Client(REMOTE_ADDR=ip(n))).post(
        f"verifySmsCode/{code}", {"mobilePhoneNumber": phone}
    )
    return int(answer.status_code)


def test_a_test_numbers_reusable_code_cannot_blind_the_pumping_guard(site: Site) -> None:
    """The fixed code of a test number verifies again and again with no code sent: were each
    counted as a verified code of its prefix, anyone who knows it could pump that prefix
    without a CAPTCHA. Six verifications, then a flood to the prefix: the guard still trips."""
    with lc_phone_settings(TEST_NUMBERS=NUMBERS, **FEW):
        for n in range(6):
            assert _verify(site, TEST_NUMBER, FIXED, 50 + n) == 200
        outcomes = [site.send(pumped(i), i)[0] for i in range(6)]
    assert outcomes == ["sent"] * 4 + ["captcha"] * 2


def test_a_test_numbers_code_is_refused_on_its_neighbour_and_spellings(site: Site) -> None:
    """The fixed code works for the listed number only: not its neighbour, and another
    spelling of the same number is the same number (its budgets too)."""
    with lc_phone_settings(TEST_NUMBERS=NUMBERS):
        assert _verify(site, pumped(98), FIXED, 1) == 400
        assert _verify(site, TEST_NUMBER, "135791", 2) == 400
        assert _verify(site, TEST_NUMBER, FIXED, 3) == 200


def test_a_test_numbers_code_cannot_be_brute_forced_past_the_attempt_limit(
    site: Site,
) -> None:
    """Wrong guesses at a test number's code spend the attempt budget as any number's do:
    after CODE_ATTEMPTS wrong ones, the right code is refused too."""
    with lc_phone_settings(TEST_NUMBERS=NUMBERS, CAPTCHA_AFTER_FAILURES=None):
        for guess in range(get_settings_value("CODE_ATTEMPTS")):
            assert _verify(site, TEST_NUMBER, f"{guess:06d}", 7) == 400
        status = _verify(site, TEST_NUMBER, FIXED, 7)
    assert status in (429, 400)  # too many attempts (or, on compat, its code for it)


def test_one_real_code_verified_twice_counts_once_for_the_pumping_guard(site: Site) -> None:
    """A real code is spent by its first check: checked again it is refused, so it cannot
    inflate its prefix's verified count (which would hide pumping)."""
    with lc_phone_settings(**FEW):
        assert site.send(pumped(0), 0) == ("sent", None)
        code = site.last_code(pumped(0))
        assert _verify(site, pumped(0), code, 1) == 200
        assert _verify(site, pumped(0), code, 2) == 400
        outcomes = [site.send(pumped(i), i)[0] for i in range(1, 6)]
    # 1 of 4 verified (under 0.5): the fifth code to the prefix needs a CAPTCHA.
    assert outcomes == ["sent"] * 3 + ["captcha"] * 2


# --- 4. the phone-change notice ----------------------------------------------------------------


def test_a_phone_change_never_notifies_an_unproven_old_number(
    lc: upstream.CountingApp, django_capture_on_commit_callbacks: Any
) -> None:
    """An account holding a number it never verified (anybody can sign up with any number and
    a password) changes to its own number: the stranger whose number it held must not get
    "your number was changed" (repeated, that would spam any number at the site's cost)."""
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        client = APIClient()
        post(client, "sms-code/", {"phone": PHONE})
        code = next(m.code for m in reversed(locmem.outbox) if m.phone == PHONE and m.code)
        signup = post(client, "signup/", {"phone": PHONE, "code": code, "password": PASSWORD})
        PhoneProfile.objects.filter(phone=PHONE).update(phone_verified=False)
        cool_down()
        client.credentials(HTTP_AUTHORIZATION=f"Token {signup.json()['token']}")
        assert post(client, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
        new = next(m.code for m in reversed(locmem.outbox) if m.phone == OTHER and m.code)
        with django_capture_on_commit_callbacks(execute=True):
            answer = post(client, "phone/change/", {"phone": OTHER, "code": new})
        assert answer.status_code == 200, answer.content
        notices = [m for m in locmem.outbox if m.phone == PHONE and m.code is None]
    locmem.outbox.clear()
    assert notices == []


# --- 7. CAPTCHA vendors ------------------------------------------------------------------------

VENDOR_URL = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
V3_URL = "https://www.google.com/recaptcha/api/siteverify"
TENCENT_URL = "https://captcha.tencentcloudapi.com/"
VENDOR_TOKEN = "XXXX.DUMMY.TOKEN.XXXX-0123456789_abcdefghijklmnop"


@pytest.fixture
def vendor() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mocked:
        yield mocked


def _turnstile(**options: Any) -> Turnstile:
    return Turnstile(site_key="the-site-key", secret_key="the-secret", **options)


@pytest.mark.parametrize("success", ["true", "false", 1, "1", None])
def test_a_vendor_success_that_is_not_the_json_true_is_refused(
    vendor: responses.RequestsMock, success: object
) -> None:
    """``"success": "false"`` is a truthy string; only JSON ``true`` passes."""
    vendor.add(responses.POST, VENDOR_URL, json={"success": success, "hostname": "example.com"})
    with pytest.raises(InvalidCaptcha):
        _turnstile().verify("", VENDOR_TOKEN)


def test_a_token_length_bomb_is_refused_without_asking_the_vendor(
    vendor: responses.RequestsMock,
) -> None:
    with pytest.raises(InvalidCaptcha):
        _turnstile().verify("", "x" * 1_000_000)
    assert len(vendor.calls) == 0


@pytest.mark.parametrize("hostname", ["example.com.evil.test", "evil.test", None, "", "none"])
def test_a_hostname_check_cannot_be_bypassed(
    vendor: responses.RequestsMock, hostname: object
) -> None:
    """A widget solved elsewhere (a suffix, missing, empty, the string of a missing one) is
    refused when ``hostnames`` is set; another case of the right one passes."""
    vendor.add(responses.POST, VENDOR_URL, json={"success": True, "hostname": hostname})
    with pytest.raises(InvalidCaptcha):
        _turnstile(hostnames=["example.com"]).verify("", VENDOR_TOKEN)


def test_a_recaptcha_v3_score_that_is_not_a_number_is_refused(
    vendor: responses.RequestsMock,
) -> None:
    """``NaN`` (JSON that Python's parser takes) compares below nothing: it must not pass a
    ``min_score``."""
    body = '{"success": true, "score": NaN, "action": "lc_phone", "hostname": "example.com"}'
    vendor.add(responses.POST, V3_URL, body=body, content_type="application/json")
    verifier = RecaptchaV3(site_key="the-site-key", secret_key="the-secret")
    with pytest.raises(InvalidCaptcha):
        verifier.verify("", VENDOR_TOKEN)


@pytest.mark.parametrize("code", [True, "1", 1.0])
def test_a_tencent_captcha_code_that_only_equals_one_is_refused(
    vendor: responses.RequestsMock, code: object
) -> None:
    """Tencent answers ``CaptchaCode`` as the integer 1: ``true`` (``== 1`` in Python) or a
    string is no pass."""
    answer = {"Response": {"CaptchaCode": code, "EvilLevel": 0, "RequestId": "r-1"}}
    vendor.add(responses.POST, TENCENT_URL, json=answer)
    verifier = TencentCaptcha(
        captcha_app_id=190000001, app_secret_key="a", secret_id="b", secret_key="c"
    )
    with pytest.raises(InvalidCaptcha):
        verifier.verify("@KVN", "ticket-" + str(code))


def test_a_vendor_that_times_out_fails_closed(vendor: responses.RequestsMock) -> None:
    vendor.add(responses.POST, VENDOR_URL, body=requests.ReadTimeout("slow"))
    with pytest.raises(CaptchaUnavailable):
        _turnstile().verify("", VENDOR_TOKEN)


# --- 2. Redis Cluster --------------------------------------------------------------------------


def test_cluster_set_many_with_a_zero_timeout_expires_as_djangos_does(cluster_url: str) -> None:
    """Django's ``set_many(..., timeout=0)`` (and ``set``) expire the keys at once; across slots
    on the cluster the same, not a Redis error (``SET ... EX 0`` is invalid)."""
    store = RedisClusterCache(cluster_url, {"KEY_PREFIX": "lc_phone_k_tests"})
    data = {f"key-{n}": n for n in range(10)}
    store.set_many(data, timeout=60)
    assert store.get_many(list(data)) == data
    store.set_many(data, timeout=0)
    assert store.get_many(list(data)) == {}
    store.set_many({}, timeout=60)  # nothing to set is no error either
    assert store.get_many([]) == {}


# --- 6. the webhook gateway --------------------------------------------------------------------


def test_a_webhook_receivers_error_body_and_our_secret_never_reach_the_logs(
    vendor: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    """A receiver that answers 500 echoing the code, the number and a secret in its error:
    one POST only (an answer is never retried: the code may have gone out), and the logs
    keep the masked number and a sanitised error code only."""
    secret = "whsec_" + base64.b64encode(b"k" * 32).decode()  # letters and digits only
    message = code_message()
    echoed = {"error": f"{secret} {message.code} {message.phone}"}
    vendor.add(responses.POST, "https://sms.example.test/hook", status=500, json=echoed)
    gateway = WebhookGateway(url="https://sms.example.test/hook", secret=secret)
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderUnavailable) as failed:
        gateway.send(message)
    assert len(vendor.calls) == 1
    assert failed.value.maybe_sent
    for text in [r.getMessage() for r in caplog.records] + [str(failed.value)]:
        for secret_part in (secret, secret[6:16], str(message.code), message.phone.lstrip("+")):
            assert secret_part not in text, text


@pytest.mark.parametrize("garbage", [b"\x80not-a-pickle", "a string", True])
def test_garbage_in_a_breaker_key_reads_as_closed_not_500(garbage: object) -> None:
    """Another app writes over the breaker's opening time: the call goes through (a breaker
    guards availability; its next failures build the state again), no 500 either way the
    state is read (prefetched by a plan on Redis, or read by the breaker itself)."""
    from django_lc_phone.guards import breaker as circuit
    from django_lc_phone.guards.windows import Window, cache

    circuit.call(lambda: None, "leancloud")
    opened_key = circuit.state_keys("leancloud")[0]
    store = cache()
    client: Any = getattr(store, "_cache", None)
    if isinstance(garbage, bytes) and hasattr(client, "get_client"):  # past Django's encoding
        client.get_client(write=True).set(store.make_and_validate_key(opened_key), garbage)
    else:
        store.set(opened_key, garbage)
    assert circuit.call(lambda: "answer", "leancloud") == "answer"
    Window("prefetch", 5, 60).hit("someone")  # a plan that reads the breakers' state
    assert circuit.call(lambda: "answer", "leancloud") == "answer"
