"""The budgets of one attempt at a code or a password: per client, per client and number, the
number's CAPTCHA step-up and ceiling, and below a provider's own account lock; the same for a
password at an account a username or an email names; and those of a code sent without its
number. A verified code also starts the number's resend back-off again and counts for its
prefix's pumping guard (``sends.code_verified``), in the success's own round trip."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Literal

from django.http import HttpRequest

from ...conf import get_settings
from ...exceptions import (
    CaptchaRequired,
    InvalidCode,
    InvalidCredentials,
    TooManyAttempts,
    UnknownAccount,
)
from ..afterwards import after_answer
from ..identity import client_digest, digest
from ..plan import Reservation, Step, Take
from ..windows import Window, key
from .common import MINUTE, UNLIMITED, AccountLock, checks, take_all, validate_token_key, window
from .sends import code_verified

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


@dataclass(frozen=True)
class _AttemptLimits:
    """The windows one attempt at ``number`` from ``client`` spends."""

    number: str
    client: str
    per_client: Window | None
    per_pair: Window | None
    per_number: Window
    ceiling: Window | None
    lock: AccountLock | None
    # A success's writes for the number's sends (a verified code's: ``sends.code_verified``).
    verified: tuple[list[str], list[tuple[str, int]]] = ([], [])

    @property
    def known_key(self) -> str:
        """Set once this client signed in as the number: no step-up for it."""
        return key("known-client", digest("known", f"{self.number}:{self.client}"))

    def steps(self, validate_token: str | None) -> list[Step]:
        """The client's own windows first (refused, they write no key of the number), then
        the number's: its ceiling, the provider's lock, and the CAPTCHA step-up. Past
        ``CAPTCHA_AFTER_FAILURES`` recent failures a client that never signed in as the number
        needs a solved CAPTCHA (``CaptchaRequired``): the count is taken atomically with the
        threshold (no race lets more through), and the token is spent only when it is needed."""
        steps = checks(
            [
                (self.per_client, self.client),
                (self.per_pair, f"{self.number}:{self.client}"),
                (self.ceiling, self.number),
            ]
        )
        if self.lock is not None:
            steps.append(_lock_step(self.lock, self.number))
        threshold = get_settings().CAPTCHA_AFTER_FAILURES
        if threshold is None:
            steps.append(Take(self.per_number, self.number))
        else:
            stepped = Window(self.per_number.name, threshold, self.per_number.seconds)
            escape = validate_token_key(validate_token)
            steps.append(Take(stepped, self.number, CaptchaRequired, UNLIMITED, escape))
        return steps

    def signed_in(self, reservation: Reservation) -> None:
        """A success: its slots go back, this client's failures on the number and the
        consecutive count go, and the client is trusted for the number from now on (no
        step-up): one round trip, once the answer is sent."""
        forget: list[str] = []
        if self.per_pair is not None:
            forget += self.per_pair.keys(f"{self.number}:{self.client}")
        if self.ceiling is not None:
            forget += self.ceiling.keys(self.number)
        forget += self.verified[0]
        remember = [(self.known_key, 1, _KNOWN_CLIENT_TTL)]
        count = self.verified[1]
        after_answer(lambda: reservation.release(forget=forget, remember=remember, count=count))


def _attempt_limits(
    kind: AttemptKind, number: str, request: HttpRequest | None, lock: AccountLock | None
) -> _AttemptLimits:
    """The windows of one attempt at ``number``: the keyed digest of what the attempt names
    (a phone number, or an account's name)."""
    conf = get_settings()
    threshold, seconds = _kind_window(kind)
    return _AttemptLimits(
        number=number,
        client=client_digest(request),
        per_client=window("fail-ip", conf.ATTEMPTS_PER_IP_MINUTE, MINUTE),
        per_pair=window(f"fail-{kind}", threshold, seconds),
        per_number=Window(f"fail-{kind}-number", UNLIMITED, seconds),
        ceiling=window("fail-number", conf.FAILURES_PER_NUMBER, conf.FAILURES_PER_NUMBER_WINDOW),
        lock=lock,
    )


def _lock_step(lock: AccountLock, number: str) -> Take:
    """At most ``failures - 1`` failures reach the provider within its window, so its lock
    never trips; clients that never signed in as the number get all but the owner's reserve."""
    allowed = lock.failures - 1
    unknown = Window("upstream-lock", max(allowed - _OWNER_RESERVE, 1), lock.seconds)
    return Take(unknown, number, TooManyAttempts, limit_if_known=max(allowed, 1))


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
    if kind == "code":
        limits = replace(limits, verified=code_verified(phone))
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
    """Take the attempt's slots (one plan) around the attempt; a success gives them back and
    clears the client's failures on the number."""
    outcome = take_all(limits.steps(validate_token), known_key=limits.known_key)
    with _kept_if_failed(outcome.reservation):
        yield
    limits.signed_in(outcome.reservation)


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
    outcome = take_all(
        checks(
            [
                (window("fail-ip", conf.ATTEMPTS_PER_IP_MINUTE, MINUTE), client),
                (
                    window("fail-any", conf.CODE_ATTEMPTS, conf.CODE_ATTEMPTS_WINDOW),
                    f"{purpose}:{client}",
                ),
                (
                    window(
                        "fail-any-site", conf.FAILURES_PER_NUMBER, conf.FAILURES_PER_NUMBER_WINDOW
                    ),
                    purpose,
                ),
            ]
        )
    )
    with _kept_if_failed(outcome.reservation):
        yield
    after_answer(outcome.reservation.release)


@contextmanager
def _kept_if_failed(reservation: Reservation) -> Iterator[None]:
    """Run the attempt: its slots stay taken when the credential was wrong (it counts), and
    are given back when it failed otherwise (an outage, a bug); a success's caller gives them
    back with its own writes."""
    try:
        yield
    except _FAILURES:
        raise
    except BaseException:
        reservation.release()
        raise
