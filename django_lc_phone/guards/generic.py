"""A plan step by step through the cache API: the path of every cache but Redis.

Each step is atomic on its own (``add``, ``incr`` and ``delete``, which says whether the key
was there), so concurrent plans never let more through than a limit; what one step took is
given back when a later one refuses. ``redis.py`` runs the same steps with the same meaning
in one script.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Sequence

from django.core.cache import BaseCache

from .plan import Gate, Outcome, Refused, Reservation, ShareGate, Slot, Step
from .windows import LADDER_TTL, Cooldown


def run_steps(
    store: BaseCache, steps: Sequence[Step], known_key: str | None, now: float
) -> Outcome:
    """Take every step in order, or give back what the steps before a refusal took."""
    known = bool(known_key and store.get(known_key))
    reservation = Reservation()
    spent: set[str] = set()
    try:
        for step in steps:
            taken = _step(store, step, known, now, spent)
            if isinstance(taken, float):
                reservation.release()
                return Outcome(Reservation(), Refused(step, taken), known)
            reservation.slots += taken
    except BaseException:  # a key that holds no count, say: give back what was taken, then fail
        reservation.release()
        raise
    return Outcome(reservation, None, known)


def settle(
    store: BaseCache,
    give_back: Sequence[Slot],
    forget: list[str],
    remember: list[tuple[str, int, int]],
    count: list[tuple[str, int]],
) -> None:
    """``plan.settle`` on this path: give back, delete, set, count."""
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
    for name, seconds in count:
        _increment(store, name, seconds)


def _spend(store: BaseCache, token_key: str | None, spent: set[str]) -> bool:
    """Whether ``token_key`` is unspent (and now spent), or was spent by this plan."""
    if not token_key:
        return False
    # delete() reports whether the key was there: one atomic check-and-spend.
    if token_key in spent or store.delete(token_key):
        spent.add(token_key)
        return True
    return False


def _total(store: BaseCache, keys: Iterable[str]) -> int:
    return sum(int(store.get(k, 0)) for k in keys)


def _increment(store: BaseCache, name: str, seconds: int) -> int:
    """Add one to the counter ``name`` (created for ``seconds``); its new value."""
    store.add(name, 0, timeout=seconds)
    try:
        return store.incr(name)
    except ValueError:  # expired between add and incr: the counter is new
        store.add(name, 0, timeout=seconds)
        return store.incr(name)


def _step(
    store: BaseCache, step: Step, known: bool, now: float, spent: set[str]
) -> list[Slot] | float:
    """Take one step: its slots (none: passed, nothing to give back), or the wait."""
    if isinstance(step, Gate):
        if _total(store, step.window.keys(step.ident, now)) < step.threshold:
            return []
        return [] if _spend(store, step.token_key, spent) else 0.0
    if isinstance(step, ShareGate):
        sent = _total(store, step.sent.keys(step.ident, now))
        verified = _total(store, step.verified.keys(step.ident, now))
        if sent < step.minimum or verified >= step.ratio * sent:
            return []
        return [] if _spend(store, step.token_key, spent) else 0.0
    if isinstance(step.limit, Cooldown):
        return _cooldown(store, step.limit, step.ident, now)
    window = step.limit
    limit = step.limit_if_known if known and step.limit_if_known is not None else window.limit
    current, previous = window.keys(step.ident, now)
    count = _increment(store, current, window.ttl)
    if count + int(store.get(previous, 0)) > limit and not _spend(store, step.escape_key, spent):
        with contextlib.suppress(ValueError):
            store.decr(current)
        return window.wait(now, count, limit)
    return [Slot(current)] if step.reserve else []


def _cooldown(store: BaseCache, cooldown: Cooldown, ident: str, now: float) -> list[Slot] | float:
    ladder = cooldown.ladder_keys(ident, now) if cooldown.steps else None
    if ladder is not None and (grown := _ladder_wait(store, cooldown, ladder, now)) is not None:
        return grown
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
    if ladder is None:
        return [Slot(current, delete=True)]
    hits = _increment(store, ladder[0], LADDER_TTL)
    store.set(ladder[1 + hits % 2], now_ms, timeout=LADDER_TTL)
    return [Slot(current, delete=True), Slot(ladder[0])]


def _ladder_wait(
    store: BaseCache, cooldown: Cooldown, ladder: tuple[str, str, str], now: float
) -> float | None:
    """The back-off's wait after the day's last hit, when it is longer than the first and
    not over; else None (the first is the cooldown's own keys' to check)."""
    hits = int(store.get(ladder[0], 0))
    if hits < 2:
        return None
    last = store.get(ladder[1 + hits % 2])
    grown = cooldown.period(hits)
    if last is None or now * 1000 - int(last) >= grown * 1000:
        return None
    return cooldown.wait(int(last), now, grown)
