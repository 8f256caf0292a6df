"""A request's limit checks as one plan: every slot taken together, or none.

A plan is a list of steps: take a slot of a window or a cooldown, or pass a CAPTCHA gate. Run
on Django's Redis cache it is one script (``redis.py``: one round trip, atomic, with the state
of the circuit breakers read in the same trip); on any other cache it runs step by step through
the cache API, each step atomic on its own (``add`` and ``incr``). Either way a refused step
gives back what the steps before it took, and the caller learns which step refused and for how
long. What the caller keeps is a :class:`Reservation`, given back (with the success's own
writes) by :meth:`Reservation.release` in one more round trip, and never on paths that keep it.
A success's release may wait for the answer (:func:`after_answer`): the slots it gives back
only count for longer, never less.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import BaseCache
from django.core.cache.backends.redis import RedisCache
from django.core.signals import request_finished, request_started

from . import breaker
from . import redis as redis_path
from .windows import Cooldown, Window, cache, clock

logger = logging.getLogger("django_lc_phone.security")


@dataclass(frozen=True)
class Take:
    """Take a slot of ``limit`` for ``ident``.

    ``limit_if_known`` replaces a window's limit when the plan's ``known`` key exists (a
    client that signed in as the number before); ``escape_key`` names a CAPTCHA token that, if
    unspent, lets a refused hit through (and is spent); ``reserve=False`` counts the hit for
    good (it is not given back with the reservation). ``refusal`` is the caller's own tag.
    """

    limit: Window | Cooldown
    ident: str
    refusal: object = None
    limit_if_known: int | None = None
    escape_key: str | None = None
    reserve: bool = True


@dataclass(frozen=True)
class Gate:
    """Refuse unless an unspent ``token_key`` comes along, once ``window`` holds
    ``threshold`` hits for ``ident`` (a threshold of 0: always)."""

    window: Window
    ident: str
    threshold: int
    token_key: str | None
    refusal: object = None


Step = Take | Gate


@dataclass(frozen=True)
class Slot:
    """A taken slot that can be given back (the request was not carried out after all)."""

    key: str
    delete: bool = False

    def release(self) -> None:
        """Give the slot back."""
        settle([self])


@dataclass
class Reservation:
    """Slots taken together: all are kept, or all given back."""

    slots: list[Slot] = field(default_factory=list)

    def release(
        self, *, forget: Iterable[str] = (), remember: Iterable[tuple[str, int, int]] = ()
    ) -> None:
        """Give every slot back; also delete the keys in ``forget`` and set each
        ``(key, value, seconds)`` of ``remember`` (a success's own writes): one round trip."""
        settle(list(reversed(self.slots)), forget=forget, remember=remember)
        self.slots.clear()


@dataclass(frozen=True)
class Refused:
    """The step that refused, and the seconds to wait before it would allow the request."""

    step: Step
    wait: float


@dataclass(frozen=True)
class Outcome:
    """A run's result: the slots taken (none when refused), or what refused."""

    reservation: Reservation
    refused: Refused | None
    known: bool


def run(steps: Sequence[Step], *, known_key: str | None = None) -> Outcome:
    """Take every step's slot in order, or none: the first refusal gives back the rest."""
    store = cache()
    now = clock()
    if redis_path.supports(store):
        return _run_script(store, steps, known_key, now)
    return _run_steps(store, steps, known_key, now)


def take_one(limit: Window | Cooldown, ident: str) -> Slot | float:
    """One slot of ``limit``, or the seconds to wait."""
    outcome = run([Take(limit, ident)])
    if outcome.refused is not None:
        return outcome.refused.wait
    return outcome.reservation.slots[0]


def settle(
    give_back: Sequence[Slot],
    *,
    forget: Iterable[str] = (),
    remember: Iterable[tuple[str, int, int]] = (),
) -> None:
    """Give ``give_back`` back (a counter that expired meanwhile stays gone), delete
    ``forget``, set ``remember``: one round trip on Redis."""
    forget, remember = list(forget), list(remember)
    if not (give_back or forget or remember):
        return
    store = cache()
    if redis_path.supports(store):
        redis_path.settle(store, [(s.key, s.delete) for s in give_back], forget, remember)
        return
    for slot in give_back:
        if slot.delete:
            store.delete(slot.key)
        else:
            with contextlib.suppress(ValueError):  # expired meanwhile: nothing to give back
                store.decr(slot.key)
    if forget:
        store.delete_many(forget)
    for name, value, seconds in remember:
        store.set(name, value, timeout=seconds)


# --- on Redis: one script ---------------------------------------------------------------------


def _run_script(
    store: RedisCache, steps: Sequence[Step], known_key: str | None, now: float
) -> Outcome:
    program = redis_path.Program(known_key)
    for step in steps:
        if isinstance(step, Gate):
            current, previous = step.window.keys(step.ident, now)
            program.gate(current, previous, step.threshold, step.token_key)
        elif isinstance(step.limit, Window):
            current, previous = step.limit.keys(step.ident, now)
            if_known = step.limit.limit if step.limit_if_known is None else step.limit_if_known
            program.window(
                current,
                previous,
                step.limit.limit,
                if_known,
                step.limit.ttl,
                step.escape_key,
                step.reserve,
            )
        else:
            program.cooldown(
                step.limit.keys(step.ident, now), now, step.limit.seconds, step.limit.ttl
            )
    names = breaker.names_in_use()
    for name in names:
        program.read(*breaker.state_keys(name))
    result = redis_path.run(store, program)
    if result.refused is None:
        breaker.prefetched(dict(zip(names, _pairs(result.reads), strict=True)))
        return Outcome(Reservation(_slots(steps, now)), None, result.known)
    step = steps[result.refused]
    refused = Refused(step, _wait(step, now, result.value, result.known))
    return Outcome(Reservation(), refused, result.known)


def _pairs(values: list[object]) -> list[tuple[object, object]]:
    return list(zip(values[::2], values[1::2], strict=True))


def _slots(steps: Sequence[Step], now: float) -> list[Slot]:
    slots = []
    for step in steps:
        if isinstance(step, Take) and step.reserve:
            if isinstance(step.limit, Window):
                slots.append(Slot(step.limit.keys(step.ident, now)[0]))
            else:
                slots.append(Slot(step.limit.keys(step.ident, now)[1], delete=True))
    return slots


def _wait(step: Step, now: float, value: int | None, known: bool) -> float:
    """How long the refusing step keeps refusing: ``value`` is the window's count, or the
    cooldown's last hit (milliseconds)."""
    if isinstance(step, Gate):
        return 0.0
    if isinstance(step.limit, Cooldown):
        return step.limit.wait(value, now)
    limit = step.limit_if_known if known and step.limit_if_known is not None else step.limit.limit
    return step.limit.wait(now, value or 0, limit)


# --- on any other cache: step by step ---------------------------------------------------------


def _run_steps(
    store: BaseCache, steps: Sequence[Step], known_key: str | None, now: float
) -> Outcome:
    known = bool(known_key and store.get(known_key))
    reservation = Reservation()
    for step in steps:
        taken = _step(store, step, known, now)
        if isinstance(taken, float):
            reservation.release()
            return Outcome(Reservation(), Refused(step, taken), known)
        if taken is not None:
            reservation.slots.append(taken)
    return Outcome(reservation, None, known)


def _spend(store: BaseCache, token_key: str | None) -> bool:
    # delete() reports whether the key was there: one atomic check-and-spend.
    return bool(token_key) and bool(store.delete(str(token_key)))


def _step(store: BaseCache, step: Step, known: bool, now: float) -> Slot | float | None:
    """Take one step: its slot, None (passed, nothing to give back), or the wait."""
    if isinstance(step, Gate):
        if sum(int(store.get(k, 0)) for k in step.window.keys(step.ident, now)) < step.threshold:
            return None
        return None if _spend(store, step.token_key) else 0.0
    if isinstance(step.limit, Cooldown):
        return _cooldown(store, step.limit, step.ident, now)
    window = step.limit
    limit = step.limit_if_known if known and step.limit_if_known is not None else window.limit
    current, previous = window.keys(step.ident, now)
    store.add(current, 0, timeout=window.ttl)
    try:
        count = store.incr(current)
    except ValueError:  # expired between add and incr: the window is new
        store.add(current, 0, timeout=window.ttl)
        count = store.incr(current)
    if count + int(store.get(previous, 0)) > limit and not _spend(store, step.escape_key):
        with contextlib.suppress(ValueError):
            store.decr(current)
        return window.wait(now, count, limit)
    return Slot(current) if step.reserve else None


def _cooldown(store: BaseCache, cooldown: Cooldown, ident: str, now: float) -> Slot | float:
    previous, current, following = cooldown.keys(ident, now)
    now_ms = int(now * 1000)
    if not store.add(current, now_ms, timeout=cooldown.ttl):
        return cooldown.wait(store.get(current), now)
    for neighbour in (previous, following):
        # A hit in the next window can only be a racing request; it checks this window in
        # turn, so at most one of the two goes ahead.
        other = store.get(neighbour)
        recent = neighbour == following or now_ms - int(other or 0) < cooldown.seconds * 1000
        if other is not None and recent:
            store.delete(current)
            return cooldown.wait(other, now)
    return Slot(current, delete=True)


# --- after the answer -------------------------------------------------------------------------

# What waits for this request's answer (None outside a request: it then runs at once).
_after_answer: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "lc_phone_after_answer", default=None
)


def after_answer(action: Callable[[], None]) -> None:
    """Run ``action`` once this request's answer is sent (Django's ``request_finished``, which
    the server sends when the response is closed), or now outside a request."""
    waiting = _after_answer.get()
    if waiting is None:
        action()
    else:
        waiting.append(action)


def _run_waiting(**_: Any) -> None:
    waiting = _after_answer.get()
    _after_answer.set(None)
    for action in waiting or ():
        try:
            action()
        except Exception:  # the answer is gone: log, never raise into the server
            logger.exception("a limit release after the answer failed")


def _request_started(**kwargs: Any) -> None:
    _run_waiting(**kwargs)  # a request that never finished leaves nothing behind
    _after_answer.set([])


request_started.connect(_request_started, dispatch_uid="django_lc_phone.guards.plan.started")
request_finished.connect(_run_waiting, dispatch_uid="django_lc_phone.guards.plan.finished")
