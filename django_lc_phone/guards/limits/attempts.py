"""The budgets of one attempt at a code or a password: per client, per client and number, the
number's CAPTCHA step-up and ceiling, and below a provider's own account lock; the same for a
password at an account a username or an email names; and those of a code sent without its
number."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, cast

from django.http import HttpRequest

from ...conf import get_settings
from ...exceptions import (
    CaptchaRequired,
    InvalidCode,
    InvalidCredentials,
    TooManyAttempts,
    UnknownAccount,
)
from ..identity import client_digest, digest
from ..windows import Reservation, Slot, Window, cache
from .common import MINUTE, UNLIMITED, AccountLock, spend_validate_token, take_all, window

AttemptKind = Literal["code", "password"]

# Outcomes that spend an attempt: the credential was wrong (or the provider's lock answered).
_FAILURES = (InvalidCode, InvalidCredentials, UnknownAccount, TooManyAttempts)
# How long a client that signed in as a number is trusted for it (no CAPTCHA step-up).
_KNOWN_CLIENT_TTL = 30 * 86400
# Of the failures a provider's lock allows, how many only clients that signed in as the number
# before may spend: whoever else fails there cannot use them all up and lock the owner out.
_OWNER_RESERVE = 2


def _kind_window(kind: AttemptKind) -> tuple[int | None, int]:
    """The per-client-and-number threshold of ``kind``, and its window in seconds."""
    conf = get_settings()
    if kind == "code":
        return conf.CODE_ATTEMPTS, conf.CODE_ATTEMPTS_WINDOW
    return conf.PASSWORD_ATTEMPTS, conf.PASSWORD_ATTEMPTS_WINDOW


def _known_key(number: str, client: str) -> str:
    return f"lc_phone:known-client:{digest('known', f'{number}:{client}')}"


@dataclass(frozen=True)
class _AttemptLimits:
    """The windows one attempt at ``number`` from ``client`` spends, and their keys."""

    number: str
    client: str
    known: bool
    per_client: Window | None
    per_pair: Window | None
    per_number: Window
    ceiling: Window | None
    lock: Window | None

    def client_checks(self) -> list[tuple[Window | None, str]]:
        """The client's own windows (taken first: refused, they write no key of the number)."""
        return [(self.per_client, self.client), (self.per_pair, f"{self.number}:{self.client}")]

    def signed_in(self) -> None:
        """A success: this client's failures on the number and the consecutive count go;
        the client is trusted for the number from now on (no step-up)."""
        if self.per_pair is not None:
            self.per_pair.clear(f"{self.number}:{self.client}")
        if self.ceiling is not None:
            self.ceiling.clear(self.number)
        cache().set(_known_key(self.number, self.client), 1, timeout=_KNOWN_CLIENT_TTL)


def _attempt_limits(
    kind: AttemptKind, number: str, request: HttpRequest | None, lock: AccountLock | None
) -> _AttemptLimits:
    """The windows of one attempt at ``number``: the keyed digest of what the attempt names
    (a phone number, or an account's name)."""
    conf = get_settings()
    threshold, seconds = _kind_window(kind)
    client = client_digest(request)
    known = bool(cache().get(_known_key(number, client)))
    return _AttemptLimits(
        number=number,
        client=client,
        known=known,
        per_client=window("fail-ip", conf.ATTEMPTS_PER_IP_MINUTE, MINUTE),
        per_pair=window(f"fail-{kind}", threshold, seconds),
        per_number=Window(f"fail-{kind}-number", UNLIMITED, seconds),
        ceiling=window("fail-number", conf.FAILURES_PER_NUMBER, conf.FAILURES_PER_NUMBER_WINDOW),
        lock=_lock_window(lock, known),
    )


def _lock_window(lock: AccountLock | None, known: bool) -> Window | None:
    """At most ``failures - 1`` failures reach the provider within its window, so its lock
    never trips; clients that never signed in as the number get all but the owner's reserve."""
    if lock is None:
        return None
    allowed = lock.failures - 1 - (0 if known else _OWNER_RESERVE)
    return Window("upstream-lock", max(allowed, 1), lock.seconds)


def _take_number_slots(
    limits: _AttemptLimits, reservation: Reservation, validate_token: str | None
) -> None:
    """Take the number's slots. Past ``CAPTCHA_AFTER_FAILURES`` recent failures a client that
    never signed in as the number needs a solved CAPTCHA (``CaptchaRequired``): the count is
    taken atomically with the threshold (no race lets more through), and the token is spent
    only when it is needed."""
    take_all(reservation, [(limits.ceiling, limits.number), (limits.lock, limits.number)])
    threshold = get_settings().CAPTCHA_AFTER_FAILURES
    unlimited = limits.per_number
    if threshold is None or limits.known:
        reservation.slots.append(cast(Slot, unlimited.hit(limits.number)))
        return
    stepped = Window(unlimited.name, threshold, unlimited.seconds)  # the same keys
    taken = stepped.hit(limits.number)
    if isinstance(taken, Slot):
        reservation.slots.append(taken)
    elif spend_validate_token(validate_token):
        reservation.slots.append(cast(Slot, unlimited.hit(limits.number)))
    else:
        reservation.release()
        raise CaptchaRequired()


@contextmanager
def attempt(
    kind: AttemptKind,
    phone: str,
    request: HttpRequest | None,
    *,
    validate_token: str | None = None,
    lock: AccountLock | None = None,
) -> Iterator[None]:
    """Spend one attempt at a code or password for ``phone`` around the ``with`` block.

    The slots are taken before the provider is called, so concurrent guesses cannot all slip
    under a limit; they are given back unless the attempt failed. A client that reaches its
    threshold for the number (or its own per-minute one) is refused with
    :class:`TooManyAttempts`, the right code included, until the window passes, and asking for
    a new code does not reset it; other clients, the owner's among them, are not. Once the
    number has ``CAPTCHA_AFTER_FAILURES`` recent failures, clients that never signed in as it
    must bring a ``validate_token`` (:class:`CaptchaRequired`); at ``FAILURES_PER_NUMBER``
    consecutive failures everyone is refused. ``lock`` is the provider's own account lock,
    for attempts the provider counts toward it (LeanCloud's logins): fewer reach it.
    """
    limits = _attempt_limits(kind, digest("phone", phone), request, lock)
    with _spent(limits, validate_token):
        yield


@contextmanager
def account_attempt(
    account: str, request: HttpRequest | None, *, validate_token: str | None = None
) -> Iterator[None]:
    """Spend one password attempt at the account ``account`` names (a username or an email,
    normalised by the caller, so spellings share one budget) around the ``with`` block:
    exactly the budgets :func:`attempt` spends for a number (``PASSWORD_ATTEMPTS`` per client,
    ``ATTEMPTS_PER_IP_MINUTE``, the CAPTCHA step-up, ``FAILURES_PER_NUMBER``), whether or not
    such an account exists. No provider lock: these accounts are the site's own."""
    limits = _attempt_limits("password", digest("account", account), request, None)
    with _spent(limits, validate_token):
        yield


@contextmanager
def _spent(limits: _AttemptLimits, validate_token: str | None) -> Iterator[None]:
    """Take the client's slots, then the number's, around the attempt; a success clears the
    client's failures on the number."""
    reservation = Reservation()
    take_all(reservation, limits.client_checks())
    _take_number_slots(limits, reservation, validate_token)
    with _kept_if_failed(reservation):
        yield
    limits.signed_in()


@contextmanager
def attempt_without_number(purpose: str, request: HttpRequest | None) -> Iterator[None]:
    """Spend one attempt at a code sent without its number (the code names the number: the
    JS SDK before 4.15.3 does this), around the ``with`` block.

    A guess is not aimed at one number but at every live code of ``purpose``, so it gets no
    budget per number: each client has ``CODE_ATTEMPTS`` per ``CODE_ATTEMPTS_WINDOW`` (and
    its per-minute budget), and the whole site ``FAILURES_PER_NUMBER`` per
    ``FAILURES_PER_NUMBER_WINDOW``, the exposure one number has to guessing. A client that
    spends its budget stops itself; calls that name their number are not affected."""
    conf = get_settings()
    client = client_digest(request)
    reservation = Reservation()
    take_all(
        reservation,
        [
            (window("fail-ip", conf.ATTEMPTS_PER_IP_MINUTE, MINUTE), client),
            (
                window("fail-any", conf.CODE_ATTEMPTS, conf.CODE_ATTEMPTS_WINDOW),
                f"{purpose}:{client}",
            ),
            (
                window("fail-any-site", conf.FAILURES_PER_NUMBER, conf.FAILURES_PER_NUMBER_WINDOW),
                purpose,
            ),
        ],
    )
    with _kept_if_failed(reservation):
        yield


@contextmanager
def _kept_if_failed(reservation: Reservation) -> Iterator[None]:
    """Run the attempt: its slots stay taken when the credential was wrong (it counts), and
    are given back otherwise (a success, an outage, a bug)."""
    try:
        yield
    except _FAILURES:
        raise
    except BaseException:
        reservation.release()
        raise
    reservation.release()
