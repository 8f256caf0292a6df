"""A request's limit checks as one plan: every slot taken together, or none.

A plan is a list of steps: take a slot of a window or a cooldown (a back-off too), or pass a
CAPTCHA gate (on a window's count, or on the verified share of what was sent). Run on Django's
Redis cache it is one script (``redis.py``: one round trip, atomic, with the state of the
circuit breakers read in the same trip); on any other cache it runs step by step through the
cache API (``generic.py``), each step atomic on its own (``add`` and ``incr``). Either way a
refused step gives back what the steps before it took, and the caller learns which step
refused and for how long. What the caller keeps is a :class:`Reservation`, given back (with
the success's own writes) by :meth:`Reservation.release` in one more round trip, and never on
paths that keep it. A success's release may wait for the answer (``afterwards.after_answer``).

A CAPTCHA token spent by one step of a plan lets every later step that names it through: one
solved CAPTCHA answers every gate of the request.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.core.cache.backends.redis import RedisCache

from ..exceptions import ProviderUnavailable
from . import breaker
from . import redis as redis_path
from .windows import LADDER_TTL, Cooldown, Window, cache, clock

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


@dataclass(frozen=True)
class ShareGate:
    """Refuse unless an unspent ``token_key`` comes along, once ``sent`` holds at least
    ``minimum`` hits for ``ident`` and ``verified`` fewer than ``ratio`` of them (a window
    counts this window and the previous one, as :class:`Gate` reads it)."""

    sent: Window
    verified: Window
    ident: str
    minimum: int
    ratio: float
    token_key: str | None
    refusal: object = None


Step = Take | Gate | ShareGate


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
        self,
        *,
        forget: Iterable[str] = (),
        remember: Iterable[tuple[str, int, int]] = (),
        count: Iterable[tuple[str, int]] = (),
    ) -> None:
        """Give every slot back; also delete the keys in ``forget``, set each
        ``(key, value, seconds)`` of ``remember`` and add one to each ``(key, seconds)`` of
        ``count`` (a success's own writes): one round trip."""
        settle(list(reversed(self.slots)), forget=forget, remember=remember, count=count)
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
    try:
        if redis_path.supports(store):
            return _run_script(store, steps, known_key, now)
        from .generic import run_steps  # generic.py builds on this module

        return run_steps(store, steps, known_key, now)
    except (ValueError, TypeError) as error:
        raise _unreadable(error) from None


def _unreadable(error: Exception) -> ProviderUnavailable:
    """A limit's key holds what is not a count (another app wrote over it), or the store refused
    the plan: the request is refused (fail closed, 503), never a 500, and the operators hear."""
    # The type only: the message may quote the foreign value.
    logger.error("the limits could not be checked (%s): refused", type(error).__name__)
    return ProviderUnavailable()


def take_one(limit: Window | Cooldown, ident: str) -> Slot | float:
    """One slot of ``limit`` (a back-off's first: its day's count stays), or the seconds to
    wait."""
    outcome = run([Take(limit, ident)])
    if outcome.refused is not None:
        return outcome.refused.wait
    return outcome.reservation.slots[0]


def settle(
    give_back: Sequence[Slot],
    *,
    forget: Iterable[str] = (),
    remember: Iterable[tuple[str, int, int]] = (),
    count: Iterable[tuple[str, int]] = (),
) -> None:
    """Give ``give_back`` back (a counter that expired meanwhile stays gone), delete
    ``forget``, set ``remember``, count ``count``: one round trip on Redis."""
    forget, remember, count = list(forget), list(remember), list(count)
    if not (give_back or forget or remember or count):
        return
    store = cache()
    try:
        if redis_path.supports(store):
            slots = [(s.key, s.delete) for s in give_back]
            redis_path.settle(store, slots, forget, remember, count)
            return
        from .generic import settle as settle_steps  # generic.py builds on this module

        settle_steps(store, give_back, forget, remember, count)
    except (ValueError, TypeError) as error:
        raise _unreadable(error) from None


# --- on Redis: one script ---------------------------------------------------------------------


def _run_script(
    store: RedisCache, steps: Sequence[Step], known_key: str | None, now: float
) -> Outcome:
    program = redis_path.Program(known_key)
    for step in steps:
        if isinstance(step, Gate):
            current, previous = step.window.keys(step.ident, now)
            program.gate(current, previous, step.threshold, step.token_key)
        elif isinstance(step, ShareGate):
            sent = step.sent.keys(step.ident, now)
            verified = step.verified.keys(step.ident, now)
            program.share(sent, verified, step.minimum, step.ratio, step.token_key)
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
            cooldown = step.limit
            ladder = cooldown.ladder_keys(step.ident, now) if cooldown.steps else None
            periods = [cooldown.seconds, *cooldown.steps]
            keys = cooldown.keys(step.ident, now)
            program.cooldown(keys, now, cooldown.seconds, cooldown.ttl, ladder, periods, LADDER_TTL)
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
                if step.limit.steps:  # the day's count goes back; the hit times need not
                    slots.append(Slot(step.limit.ladder_keys(step.ident, now)[0]))
    return slots


def _wait(step: Step, now: float, value: int | None, known: bool) -> float:
    """How long the refusing step keeps refusing: ``value`` is the window's count, or when
    the cooldown ends (milliseconds)."""
    if not isinstance(step, Take):
        return 0.0
    if isinstance(step.limit, Cooldown):
        return 1.0 if value is None else max(value / 1000 - now, 1.0)
    limit = step.limit_if_known if known and step.limit_if_known is not None else step.limit.limit
    return step.limit.wait(now, value or 0, limit)
