"""The limit primitives: windows, cooldowns, reservations, the client address, the breaker.

Run on the suite's cache: Redis when the services are up (as in CI), else LocMemCache.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.test import RequestFactory

from django_lc_phone.exceptions import InvalidCode, ProviderTimeout, ProviderUnavailable
from django_lc_phone.guards import breaker, identity, plan
from django_lc_phone.guards.plan import Reservation, Slot
from django_lc_phone.guards.windows import Cooldown, Window, cache, retry_after
from tests.app._api import lc_phone_settings
from tests.limiter import FakeClock

WINDOW_START = 1_800_000_000.0  # a multiple of 60, 600 and 3600


@pytest.fixture
def clock(limiter_clock: FakeClock) -> FakeClock:
    """The limiter clock at the start of an hour."""
    limiter_clock.now = WINDOW_START
    return limiter_clock


def _concurrently(action: Callable[[], Any], times: int) -> list[Any]:
    start = threading.Barrier(times)

    def run() -> Any:
        start.wait()
        return action()

    with ThreadPoolExecutor(times) as pool:
        return [future.result() for future in [pool.submit(run) for _ in range(times)]]


# --- Window -----------------------------------------------------------------------------------


def test_a_window_allows_its_limit_then_says_how_long_to_wait(clock: FakeClock) -> None:
    window = Window("test", 3, 60)
    assert all(isinstance(window.hit("a"), Slot) for _ in range(3))
    clock.advance(15)
    wait = window.hit("a")
    # The three hits are in this window: the next one is allowed once the window after ends.
    assert wait == pytest.approx(45 + 60)
    assert window.count("a") == 3  # the refused hit was given back
    assert isinstance(window.hit("b"), Slot)  # per identity


def test_no_span_of_the_window_ever_holds_more_than_the_limit(clock: FakeClock) -> None:
    """A plain fixed window lets 2 x limit through around a boundary; this one does not."""
    window = Window("test", 5, 900)
    clock.advance(899)
    assert all(isinstance(window.hit("a"), Slot) for _ in range(5))
    clock.advance(2)  # the next window has begun, two seconds after the five hits
    assert not isinstance(window.hit("a"), Slot)
    clock.advance(896)  # still that window: the five hits, 898 s ago, still count
    assert not isinstance(window.hit("a"), Slot)
    clock.advance(3)  # the window after: the five hits are 901 s old and forgotten
    assert isinstance(window.hit("a"), Slot)


def test_a_released_slot_is_free_again(clock: FakeClock) -> None:
    window = Window("test", 1, 60)
    slot = window.hit("a")
    assert isinstance(slot, Slot)
    assert not isinstance(window.hit("a"), Slot)
    slot.release()
    assert isinstance(window.hit("a"), Slot)


def test_concurrent_hits_never_exceed_the_limit(clock: FakeClock) -> None:
    window = Window("test", 5, 60)
    results = _concurrently(lambda: window.hit("a"), 40)
    assert sum(isinstance(r, Slot) for r in results) == 5
    assert window.count("a") == 5


# --- Cooldown ---------------------------------------------------------------------------------


def test_a_cooldown_counts_from_the_hit_not_from_a_boundary(clock: FakeClock) -> None:
    cooldown = Cooldown("test", 60)
    clock.advance(59)
    assert isinstance(cooldown.hit("a"), Slot)
    clock.advance(2)  # a new window, one second... two seconds after the hit
    assert cooldown.hit("a") == pytest.approx(58)
    clock.advance(58)
    assert isinstance(cooldown.hit("a"), Slot)


def test_concurrent_cooldown_hits_let_exactly_one_through(clock: FakeClock) -> None:
    cooldown = Cooldown("test", 60)
    results = _concurrently(lambda: cooldown.hit("a"), 30)
    assert sum(isinstance(r, Slot) for r in results) == 1


def test_a_hit_seen_in_the_next_window_refuses_this_one(clock: FakeClock) -> None:
    """Two hits racing across a boundary: the later one registered first, the earlier one
    (its clock read before the boundary) must not also go ahead."""
    cooldown = Cooldown("test", 60)
    clock.advance(60)
    assert isinstance(cooldown.hit("a"), Slot)
    clock.now -= 0.5  # the racing request read its clock just before the boundary
    assert not isinstance(cooldown.hit("a"), Slot)


def test_a_back_off_grows_its_wait_with_each_hit_of_the_day(clock: FakeClock) -> None:
    backoff = Cooldown("test", 60, (120, 300))
    for wait in (60, 120, 300, 300):
        assert isinstance(backoff.hit("a"), Slot)
        clock.advance(10)
        assert backoff.hit("a") == pytest.approx(wait - 10)  # the grown wait, in one answer
        clock.advance(wait - 10)
    assert isinstance(backoff.hit("b"), Slot)  # per identity
    clock.advance(86400)  # another day: the count starts again
    assert isinstance(backoff.hit("a"), Slot)
    clock.advance(61)
    assert isinstance(backoff.hit("a"), Slot)


def test_a_back_off_hit_given_back_leaves_the_one_before(clock: FakeClock) -> None:
    backoff = Cooldown("test", 60, (120, 300))
    assert isinstance(backoff.hit("a"), Slot)
    clock.advance(60)
    outcome = plan.run([plan.Take(backoff, "a")])  # the second hit, not sent after all
    assert outcome.refused is None
    outcome.reservation.release()
    assert isinstance(backoff.hit("a"), Slot)  # still the second: 60 s was enough
    clock.advance(60)
    assert backoff.hit("a") == pytest.approx(60)  # after the second, 120 s


def test_forgetting_the_count_starts_the_back_off_again(clock: FakeClock) -> None:
    backoff = Cooldown("test", 60, (120, 300))
    for _ in range(3):
        assert isinstance(backoff.hit("a"), Slot)
        clock.advance(300)
    clock.now -= 290
    assert backoff.hit("a") == pytest.approx(290)
    plan.settle([], forget=[backoff.ladder_keys("a")[0]])  # what a verified code forgets
    assert backoff.hit("a") == pytest.approx(50)  # the first wait again, from the last hit
    clock.advance(50)
    assert isinstance(backoff.hit("a"), Slot)
    clock.advance(60)
    assert isinstance(backoff.hit("a"), Slot)
    clock.advance(60)
    assert backoff.hit("a") == pytest.approx(60)  # after the second hit since: 120 s


def test_concurrent_back_off_hits_let_exactly_one_through(clock: FakeClock) -> None:
    backoff = Cooldown("test", 60, (120, 300))
    for _ in range(2):
        assert isinstance(backoff.hit("a"), Slot)
        clock.advance(121)
    results = _concurrently(lambda: plan.run([plan.Take(backoff, "a")]), 30)
    assert sum(r.refused is None for r in results) == 1
    clock.advance(120)
    assert backoff.hit("a") == pytest.approx(180)  # the third hit counted once: 300 s


def test_a_share_gate_asks_only_while_few_hits_are_verified(clock: FakeClock) -> None:
    sent, verified = Window("sent", 1000, 3600), Window("verified", 1000, 3600)
    gate = plan.ShareGate(sent, verified, "p", 4, 0.5, None)
    for _ in range(4):
        assert plan.run([gate]).refused is None
        sent.hit("p")
    assert plan.run([gate]).refused is not None  # 4 sent, none verified
    for _ in range(2):
        verified.hit("p")
    assert plan.run([gate]).refused is None  # 2 of 4
    assert plan.run([plan.ShareGate(sent, verified, "q", 4, 0.5, None)]).refused is None


def test_one_token_answers_every_gate_of_a_plan(clock: FakeClock) -> None:
    sent, verified = Window("sent", 1000, 3600), Window("verified", 1000, 3600)
    token = "{lc_phone}:token"
    cache().set(token, 1, timeout=60)
    steps: list[plan.Step] = [
        plan.Gate(sent, "p", 0, token),
        plan.ShareGate(sent, verified, "p", 0, 0.5, token),
        plan.Take(Window("after", 1, 60), "p"),
    ]
    assert plan.run(steps).refused is None
    assert cache().get(token) is None  # spent, once
    refused = plan.run(steps).refused
    assert refused is not None
    assert refused.step is steps[0]


def test_a_reservation_gives_every_slot_back(clock: FakeClock) -> None:
    one, two = Window("one", 1, 60), Cooldown("two", 60)
    reservation = Reservation([s for s in (one.hit("a"), two.hit("a")) if isinstance(s, Slot)])
    assert len(reservation.slots) == 2
    reservation.release()
    assert isinstance(one.hit("a"), Slot)
    assert isinstance(two.hit("a"), Slot)


@pytest.mark.parametrize(("seconds", "header"), [(0.2, 1), (1.0, 1), (49.01, 50), (60, 60)])
def test_retry_after_is_whole_seconds_rounded_up(seconds: float, header: int) -> None:
    assert retry_after(seconds) == header


# --- the client address -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "client"),
    [
        (0, "", "10.0.0.1"),
        (0, "6.6.6.6", "10.0.0.1"),  # nobody is trusted to say who the client is
        (1, "", "10.0.0.1"),
        (1, "203.0.113.9", "203.0.113.9"),  # what our one proxy saw
        (1, "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # the client's own entry is ignored
        (2, "6.6.6.6, 203.0.113.9, 10.0.0.2", "203.0.113.9"),
        (2, "203.0.113.9", "203.0.113.9"),  # fewer hops than proxies: the farthest one
    ],
)
def test_the_client_address_trusts_only_the_configured_proxies(
    proxies: int, forwarded: str, client: str
) -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
    with lc_phone_settings(TRUSTED_PROXIES=proxies):
        assert identity.client_address(request) == client
        assert identity.client_key(request) == client


def test_the_cache_holds_no_phone_number_or_address() -> None:
    digest = identity.digest("phone", "+8613800138000")
    assert "13800138000" not in digest
    assert digest == identity.digest("phone", "+8613800138000")
    assert digest != identity.digest("ip", "+8613800138000")


# --- the circuit breaker ----------------------------------------------------------------------


def _fail(error: Exception) -> Callable[[], None]:
    def action() -> None:
        raise error

    return action


@lc_phone_settings(CIRCUIT_FAILURES=3, CIRCUIT_RESET_TIMEOUT=60)
def test_the_breaker_opens_after_consecutive_failures_and_probes_later(clock: FakeClock) -> None:
    calls: list[str] = []

    def ok() -> str:
        calls.append("ok")
        return "answer"

    for _ in range(3):
        with pytest.raises(ProviderUnavailable):
            breaker.call(_fail(ProviderUnavailable()))
    with pytest.raises(ProviderUnavailable) as opened:
        breaker.call(ok)
    assert calls == []  # open: the provider is not asked
    assert opened.value.retry_after == 60
    clock.advance(61)
    assert breaker.call(ok) == "answer"  # the probe closes it
    assert breaker.call(ok) == "answer"
    assert calls == ["ok", "ok"]


@lc_phone_settings(CIRCUIT_FAILURES=2, CIRCUIT_RESET_TIMEOUT=60)
def test_a_failed_probe_opens_the_circuit_again(clock: FakeClock) -> None:
    for _ in range(2):
        with pytest.raises(ProviderTimeout):
            breaker.call(_fail(ProviderTimeout()))
    clock.advance(61)
    with pytest.raises(ProviderTimeout):
        breaker.call(_fail(ProviderTimeout()))  # the probe
    with pytest.raises(ProviderUnavailable) as opened:
        breaker.call(lambda: None)
    assert opened.value.retry_after == 60


@lc_phone_settings(CIRCUIT_FAILURES=2)
def test_business_errors_never_trip_the_breaker_and_reset_the_count(clock: FakeClock) -> None:
    for _ in range(5):
        with pytest.raises(ProviderUnavailable):
            breaker.call(_fail(ProviderUnavailable()))
        with pytest.raises(InvalidCode):
            breaker.call(_fail(InvalidCode()))  # the provider answered: it is up
    assert breaker.call(lambda: "up") == "up"


@lc_phone_settings(CIRCUIT_FAILURES=2, CIRCUIT_RESET_TIMEOUT=60)
def test_only_one_probe_at_a_time(clock: FakeClock) -> None:
    for _ in range(2):
        with pytest.raises(ProviderUnavailable):
            breaker.call(_fail(ProviderUnavailable()))
    clock.advance(61)
    probe_started, release = threading.Event(), threading.Event()

    def slow_probe() -> str:
        probe_started.set()
        release.wait(5)
        return "probe"

    with ThreadPoolExecutor(1) as pool:
        probe = pool.submit(breaker.call, slow_probe)
        assert probe_started.wait(5)
        with pytest.raises(ProviderUnavailable):
            breaker.call(lambda: "second")  # the circuit is half open, its probe is out
        release.set()
        assert probe.result() == "probe"
    assert breaker.call(lambda: "closed") == "closed"


@lc_phone_settings(CIRCUIT_FAILURES=None)
def test_the_breaker_can_be_switched_off(clock: FakeClock) -> None:
    for _ in range(10):
        with pytest.raises(ProviderUnavailable):
            breaker.call(_fail(ProviderUnavailable()))
    assert breaker.call(lambda: "through") == "through"
