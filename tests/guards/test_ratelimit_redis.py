"""The limiter's plans as one script on Django's Redis cache (``guards/redis.py``).

``bench/`` showed the limiter's Redis round trips as the largest part of a login's own cost
(12 of the login's 14 commands, before plans). These tests pin the round trips (all the checks
of a request and the breakers' state in one, a success's release in one more, none for a
failure) and show that the script keeps the generic path's meaning: the same counts, an expiry
on every key, and no counter created by giving a slot back after its key expired. The rest of
the limiter's tests (``test_ratelimit.py``, ``tests/security/``) run on this path too whenever
the suite runs on Redis, and on a Redis Cluster in ``test_cluster.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.cache import caches
from redis.connection import AbstractConnection

from django_lc_phone.exceptions import InvalidCredentials
from django_lc_phone.guards import breaker, identity, limits, plan
from django_lc_phone.guards import redis as ratelimit_redis
from django_lc_phone.guards.limits import AccountLock, sends
from django_lc_phone.guards.plan import Slot
from django_lc_phone.guards.windows import Window, cache
from tests.app._api import PHONE, lc_phone_settings
from tests.limiter import FakeClock
from tests.settings import USE_SERVICES

pytestmark = pytest.mark.skipif(
    not USE_SERVICES, reason="needs Redis on 127.0.0.1 (see tests/settings.py)"
)

START = 1_800_000_000.0  # a multiple of 60


@pytest.fixture
def clock(limiter_clock: FakeClock) -> FakeClock:
    limiter_clock.now = START
    return limiter_clock


@pytest.fixture
def round_trips(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the writes to Redis: one per command, one per pipeline or script."""
    sent = [0]
    original = AbstractConnection.send_packed_command

    def counting(self: AbstractConnection, *args: object, **kwargs: object) -> None:
        sent[0] += 1
        original(self, *args, **kwargs)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", counting)
    return sent


def _raw(key: str) -> tuple[object, int]:
    """The stored value and the TTL of a limiter key, read past Django's API."""
    store = cache()
    assert ratelimit_redis.supports(store)
    full = store.make_and_validate_key(key)
    client = store._cache.get_client(full, write=True)
    return client.get(full), client.ttl(full)


def test_the_suites_cache_takes_the_fast_path() -> None:
    assert ratelimit_redis.supports(caches["default"])


@pytest.fixture
def loaded(clock: FakeClock) -> None:
    """The scripts are on the server (a first run loads them: two more round trips, once)."""
    plan.settle([], forget=["warm-up"])
    Window("warm-up", 1, 60).hit("someone")


def test_a_hit_is_one_round_trip_and_giving_it_back_another(
    loaded: None, round_trips: list[int]
) -> None:
    window = Window("bench", 5, 60)
    slot = window.hit("someone")
    assert isinstance(slot, Slot)
    assert round_trips[0] == 1
    slot.release()
    assert round_trips[0] == 2


def test_a_script_the_server_forgot_is_loaded_again(clock: FakeClock) -> None:
    Window("bench", 5, 60).hit("someone")
    store = cache()
    assert ratelimit_redis.supports(store)
    store._cache.get_client(write=True).script_flush()
    assert isinstance(Window("bench", 5, 60).hit("someone"), Slot)
    assert Window("bench", 5, 60).count("someone") == 2


@lc_phone_settings(CAPTCHA_AFTER_FAILURES=3)
def test_every_check_of_an_attempt_is_one_round_trip(loaded: None, round_trips: list[int]) -> None:
    """Per client, per pair, the number's ceiling, the provider's lock, the step-up, the
    known-client flag and the breaker's state: one script. A failure keeps its slots (no more
    round trips); a success gives them back with its own writes in one."""
    breaker.call(lambda: None, "leancloud")  # the breaker is in use: its state is read too
    round_trips[0] = 0
    lock = AccountLock(failures=6, seconds=900)
    with pytest.raises(InvalidCredentials), limits.attempt("password", PHONE, None, lock=lock):
        raise InvalidCredentials()
    assert round_trips[0] == 1
    with limits.attempt("password", PHONE, None, lock=lock):
        assert breaker.call(lambda: "answer", "leancloud") == "answer"  # prefetched: no read
        assert round_trips[0] == 2
    assert round_trips[0] == 3  # the release, with the success's clears and known flag


@pytest.fixture
def programs(monkeypatch: pytest.MonkeyPatch) -> list[ratelimit_redis.Program]:
    """The programs the plans send to Redis."""
    sent: list[ratelimit_redis.Program] = []
    run = ratelimit_redis.run

    def recording(store: Any, program: ratelimit_redis.Program) -> ratelimit_redis.Result:
        sent.append(program)
        return run(store, program)

    monkeypatch.setattr(ratelimit_redis, "run", recording)
    return sent


def test_a_code_request_is_one_round_trip(
    loaded: None, round_trips: list[int], programs: list[ratelimit_redis.Program]
) -> None:
    """Every check, the back-off's and the pumping guard's too, in the one script."""
    with lc_phone_settings(
        CAPTCHA_AFTER_SENDS_PER_IP=3, SMS_BUDGET_HOUR=100, SMS_RESEND_BACKOFF=[60, 120, 300]
    ):
        limits.reserve_send(PHONE, None)
        backoff = sends.resend_cooldown()
    assert round_trips[0] == 1
    (program,) = programs
    assert {"W", "C", "G", "V"} <= {op for op in program.argv if isinstance(op, str)}
    assert backoff is not None
    prefix = identity.digest("prefix", sends.pumping_prefix(PHONE))
    for name in [
        *backoff.ladder_keys(identity.digest("phone", PHONE)),  # the day's count, its times
        *sends.PUMPING_SENT.keys(prefix),
        *sends.PUMPING_VERIFIED.keys(prefix),
    ]:
        assert name in program.keys


@lc_phone_settings(SMS_RESEND_BACKOFF=[60, 120, 300])
def test_a_verified_code_restarts_the_back_off_and_counts_in_its_one_release(
    loaded: None, clock: FakeClock, round_trips: list[int]
) -> None:
    """A right code's release forgets the number's resend count and counts a verified code
    for its prefix: still one round trip after the plan's."""
    backoff = sends.resend_cooldown()
    assert backoff is not None
    count = backoff.ladder_keys(identity.digest("phone", PHONE))[0]
    prefix = identity.digest("prefix", sends.pumping_prefix(PHONE))
    verified = sends.PUMPING_VERIFIED.keys(prefix)[0]
    for _ in range(2):
        limits.reserve_send(PHONE, None)
        clock.advance(61)
    assert cache().get(count) == 2
    round_trips[0] = 0
    with limits.attempt("code", PHONE, None):
        assert round_trips[0] == 1
    assert round_trips[0] == 2
    assert cache().get(count) is None
    assert cache().get(verified) == 1
    assert _raw(verified)[1] > 0  # with its expiry


def test_a_refused_plan_gives_back_what_it_took_in_the_same_round_trip(
    loaded: None, round_trips: list[int]
) -> None:
    first, full = Window("first", 5, 60), Window("full", 1, 60)
    assert isinstance(full.hit("someone"), Slot)
    round_trips[0] = 0
    outcome = plan.run([plan.Take(first, "someone"), plan.Take(full, "someone")])
    assert outcome.refused is not None
    assert outcome.refused.step.limit is full  # type: ignore[union-attr]
    assert round_trips[0] == 1
    assert first.count("someone") == 0


def test_counts_as_the_generic_path_does(clock: FakeClock) -> None:
    window = Window("bench", 3, 60)
    slots = [window.hit("someone") for _ in range(3)]
    assert all(isinstance(s, Slot) for s in slots)
    refused = window.hit("someone")
    assert isinstance(refused, float)
    assert refused == pytest.approx(120.0)  # this window alone is full: wait past the next
    assert window.count("someone") == 3  # read through Django's get(): same encoding
    first = slots[0]
    assert isinstance(first, Slot)
    first.release()
    assert window.count("someone") == 2
    assert isinstance(window.hit("someone"), Slot)


def test_the_previous_window_counts_too(clock: FakeClock) -> None:
    window = Window("bench", 3, 60)
    for _ in range(2):
        window.hit("someone")
    clock.now += 60
    assert isinstance(window.hit("someone"), Slot)
    assert isinstance(window.hit("someone"), float)  # 2 before + 1 now fill the limit


def test_every_key_gets_its_expiry(clock: FakeClock) -> None:
    window = Window("bench", 3, 60)
    slot = window.hit("someone")
    assert isinstance(slot, Slot)
    value, ttl = _raw(slot.key)
    assert value == b"1"
    assert 0 < ttl <= 121


def test_giving_back_after_expiry_creates_no_counter(clock: FakeClock) -> None:
    window = Window("bench", 3, 60)
    slot = window.hit("someone")
    assert isinstance(slot, Slot)
    cache().delete(slot.key)  # as if it expired before the slot was given back
    slot.release()
    assert _raw(slot.key) == (None, -2)  # -2: no such key
