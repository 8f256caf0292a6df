"""The app's limits: which budgets a code request, a code or password attempt, a CAPTCHA answer
and a rename spend.

Checked before the provider is called, in a cache every worker shares (``ratelimit.py``), and
keyed by keyed digests of the number and the client (``identity.py``: the cache holds no phone
numbers or addresses). The same limits apply to numbers with and without an account, so they
reveal nothing. Per-client budgets are taken first: a request they refuse writes no key for the
number it names, so no client can fill the cache with keys of numbers it makes up.

Failed attempts are counted so that no outsider can lock an owner out (docs/security.md):

- per client, and per client and number, at small thresholds: a guesser stops itself;
- per number, from every client: once a number has a few recent failures, clients that never
  signed in as that number need a solved CAPTCHA (a step-up, not a refusal), and a ceiling far
  above (NIST SP 800-63B-4: at most 100 consecutive failures) refuses everyone;
- below a provider's own account lock (LeanCloud locks a number after more than six failed
  logins in 15 minutes), so that lock is never set off through the app.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, cast

from django.http import HttpRequest

from .. import signals
from ..conf import get_settings
from ..exceptions import (
    CaptchaRequired,
    InvalidCode,
    InvalidCredentials,
    ProviderUnavailable,
    SendThrottled,
    SmsBudgetExhausted,
    Throttled,
    TooManyAttempts,
    UnknownAccount,
)
from ..phone import ensure_can_receive_codes
from .identity import client_digest, digest
from .windows import Cooldown, Reservation, Slot, Window, cache, retry_after

logger = logging.getLogger("django_lc_phone.security")

AttemptKind = Literal["code", "password"]

# Outcomes that spend an attempt: the credential was wrong (or the provider's lock answered).
_FAILURES = (InvalidCode, InvalidCredentials, UnknownAccount, TooManyAttempts)
_CAPTCHA_TOKEN_TTL = 10 * 60
# A window that only counts (it never refuses): what the CAPTCHA thresholds read.
_UNLIMITED = 2**31
_SENDS_PER_IP = Window("sends-ip", _UNLIMITED, 3600)
# How long a client that signed in as a number is trusted for it (no CAPTCHA step-up).
_KNOWN_CLIENT_TTL = 30 * 86400
# Of the failures a provider's lock allows, how many only clients that signed in as the number
# before may spend: whoever else fails there cannot use them all up and lock the owner out.
_OWNER_RESERVE = 2

_MINUTE, _HOUR, _DAY = 60, 3600, 86400


@dataclass(frozen=True)
class AccountLock:
    """A provider's own lock on failed logins: more than ``failures`` of them within
    ``seconds`` lock the account. A provider that has one says so as ``login_lock``; the app
    then lets fewer failures through, so the lock is never set off through it."""

    failures: int
    seconds: int


def _window(name: str, limit: int | None, seconds: int) -> Window | None:
    return Window(name, limit, seconds) if limit is not None else None


def _take(reservation: Reservation, taken: Slot | float) -> float | None:
    if isinstance(taken, Slot):
        reservation.slots.append(taken)
        return None
    reservation.release()
    return taken


def _take_all(
    reservation: Reservation,
    checks: list[tuple[Window | None, str]],
    refusal: type[Throttled] = TooManyAttempts,
) -> None:
    """Take a slot of each limit in turn, or give them all back and raise ``refusal``."""
    for limit, ident in checks:
        if limit is not None and (wait := _take(reservation, limit.hit(ident))) is not None:
            raise refusal(retry_after=retry_after(wait))


# --- CAPTCHA tokens -----------------------------------------------------------------------


def remember_validate_token(token: str) -> None:
    """Record a ``validate_token`` this site obtained for a solved CAPTCHA (``captcha/verify/``)."""
    cache().set(f"lc_phone:captcha:{digest('captcha', token)}", 1, timeout=_CAPTCHA_TOKEN_TTL)


def _spend_validate_token(token: str | None) -> bool:
    # delete() reports whether the key was there: one atomic check-and-spend.
    return bool(token) and bool(cache().delete(f"lc_phone:captcha:{digest('captcha', str(token))}"))


def captcha_answer(request: HttpRequest | None) -> None:
    """Spend one CAPTCHA answer of the client's budget (``TooManyAttempts`` when spent).

    Every answer is kept, right or wrong: each one leaves a record that its challenge is
    spent, and this budget is what bounds how many records a client can make."""
    limit = _window("captcha-ip", get_settings().CAPTCHA_ATTEMPTS_PER_IP_MINUTE, _MINUTE)
    _take_all(Reservation(), [(limit, client_digest(request))])


# --- code requests ----------------------------------------------------------------------


def _captcha_needed(ip_digest: str) -> bool:
    conf = get_settings()
    if conf.CAPTCHA_REQUIRED:
        return True
    threshold = conf.CAPTCHA_AFTER_SENDS_PER_IP
    return threshold is not None and _SENDS_PER_IP.count(ip_digest) >= threshold


def reserve_send(
    phone: str,
    request: HttpRequest | None,
    *,
    validate_token: str | None = None,
    staff: bool = False,
) -> Reservation:
    """Take every send budget for one code to ``phone``, or raise.

    :class:`PhoneNotAllowed` for blocked numbers, :class:`CaptchaRequired` when a CAPTCHA is
    due and no unspent ``validate_token`` came with the request, :class:`SendThrottled` when a
    per-IP, per-prefix or per-number limit is reached, :class:`SmsBudgetExhausted` when the
    site's budget is spent. Nothing is taken when any of them is raised. ``staff`` (an admin
    action) skips the CAPTCHA; every other limit still applies.
    """
    conf = get_settings()
    ensure_can_receive_codes(phone)
    ip = client_digest(request)
    if not staff and _captcha_needed(ip) and not _spend_validate_token(validate_token):
        raise CaptchaRequired()
    number = digest("phone", phone)
    cooldown = conf.SMS_RESEND_COOLDOWN
    # The client's own budgets come first: a request they refuse writes no per-number key.
    checks: list[tuple[Window | Cooldown | None, str]] = [
        (_window("sms-ip", conf.SMS_PER_IP_MINUTE, _MINUTE), ip),
        (_window("sms-ip", conf.SMS_PER_IP_HOUR, _HOUR), ip),
        (_window("sms-prefix", conf.SMS_PER_PREFIX_HOUR, _HOUR), digest("prefix", phone[:-4])),
        (Cooldown("sms-cooldown", cooldown) if cooldown else None, number),
        (_window("sms-phone", conf.SMS_PER_PHONE_HOUR, _HOUR), number),
        (_window("sms-phone", conf.SMS_PER_PHONE_DAY, _DAY), number),
    ]
    reservation = Reservation()
    for limit, ident in checks:
        if limit is not None and (wait := _take(reservation, limit.hit(ident))) is not None:
            raise SendThrottled(retry_after=retry_after(wait))
    for budget in (
        _window("sms-budget", conf.SMS_BUDGET_HOUR, _HOUR),
        _window("sms-budget", conf.SMS_BUDGET_DAY, _DAY),
    ):
        if budget is not None and (wait := _take(reservation, budget.hit("site"))) is not None:
            _alert_budget(budget)
            raise SmsBudgetExhausted(retry_after=retry_after(wait))
    if conf.CAPTCHA_AFTER_SENDS_PER_IP is not None:
        _SENDS_PER_IP.hit(ip)
    return reservation


def _alert_budget(budget: Window) -> None:
    """Tell the operators once per window: codes are refused until the budget renews."""
    if cache().add(f"lc_phone:alert:{budget.name}:{budget.seconds}", 1, timeout=budget.seconds):
        logger.error(
            "SMS budget exhausted: limit=%s per %ss; code requests answer 503",
            budget.limit,
            budget.seconds,
        )
        signals.sms_budget_exhausted.send(sender=Window, limit=budget.limit, seconds=budget.seconds)


@contextmanager
def sending(
    phone: str,
    request: HttpRequest | None,
    *,
    validate_token: str | None = None,
    staff: bool = False,
) -> Iterator[None]:
    """Reserve the budgets for one code, then send it in the ``with`` block.

    The budgets are given back only when the provider was certainly not reached (an outage
    before sending; not a connection that died after the request went out). A timeout may
    have sent the SMS, so the cooldown stands; an unknown number keeps its slot too, so it is
    limited exactly like a known one.
    """
    reservation = reserve_send(phone, request, validate_token=validate_token, staff=staff)
    try:
        yield
    except ProviderUnavailable as exc:
        if not exc.maybe_sent:
            reservation.release()
        raise


# --- attempts ---------------------------------------------------------------------------


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
    kind: AttemptKind, phone: str, request: HttpRequest | None, lock: AccountLock | None
) -> _AttemptLimits:
    conf = get_settings()
    threshold, seconds = _kind_window(kind)
    number, client = digest("phone", phone), client_digest(request)
    known = bool(cache().get(_known_key(number, client)))
    return _AttemptLimits(
        number=number,
        client=client,
        known=known,
        per_client=_window("fail-ip", conf.ATTEMPTS_PER_IP_MINUTE, _MINUTE),
        per_pair=_window(f"fail-{kind}", threshold, seconds),
        per_number=Window(f"fail-{kind}-number", _UNLIMITED, seconds),
        ceiling=_window("fail-number", conf.FAILURES_PER_NUMBER, conf.FAILURES_PER_NUMBER_WINDOW),
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
    _take_all(reservation, [(limits.ceiling, limits.number), (limits.lock, limits.number)])
    threshold = get_settings().CAPTCHA_AFTER_FAILURES
    unlimited = limits.per_number
    if threshold is None or limits.known:
        reservation.slots.append(cast(Slot, unlimited.hit(limits.number)))
        return
    stepped = Window(unlimited.name, threshold, unlimited.seconds)  # the same keys
    taken = stepped.hit(limits.number)
    if isinstance(taken, Slot):
        reservation.slots.append(taken)
    elif _spend_validate_token(validate_token):
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
    limits = _attempt_limits(kind, phone, request, lock)
    reservation = Reservation()
    _take_all(reservation, limits.client_checks())
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
    _take_all(
        reservation,
        [
            (_window("fail-ip", conf.ATTEMPTS_PER_IP_MINUTE, _MINUTE), client),
            (
                _window("fail-any", conf.CODE_ATTEMPTS, conf.CODE_ATTEMPTS_WINDOW),
                f"{purpose}:{client}",
            ),
            (
                _window("fail-any-site", conf.FAILURES_PER_NUMBER, conf.FAILURES_PER_NUMBER_WINDOW),
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


# --- renames ------------------------------------------------------------------------------


def rename(user_pk: object, request: HttpRequest | None) -> None:
    """Spend one username or email change of the user's and the client's hourly budget
    (``RENAMES_PER_HOUR``; :class:`Throttled` when spent), successful or not."""
    limit = _window("renames", get_settings().RENAMES_PER_HOUR, _HOUR)
    checks = [(limit, digest("user", str(user_pk))), (limit, client_digest(request))]
    _take_all(Reservation(), checks, refusal=Throttled)
