"""The app's limits: which budgets a code request or a code/password attempt spends.

Checked before the provider is called, in a cache every worker shares (``ratelimit.py``), and
keyed by keyed hashes of the number and the client IP (the cache holds no phone numbers). The
same limits apply to numbers with and without an account, so they reveal nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from django.http import HttpRequest
from django.utils.crypto import salted_hmac

from . import signals
from .conf import get_settings
from .exceptions import (
    CaptchaRequired,
    InvalidCode,
    InvalidCredentials,
    ProviderUnavailable,
    SendThrottled,
    SmsBudgetExhausted,
    TooManyAttempts,
    UnknownAccount,
)
from .phone import ensure_can_receive_codes
from .ratelimit import Cooldown, Reservation, Slot, Window, cache, retry_after

logger = logging.getLogger("django_lc_phone.security")

AttemptKind = Literal["code", "password"]

# Outcomes that spend an attempt: the credential was wrong (or the provider's lock answered).
_FAILURES = (InvalidCode, InvalidCredentials, UnknownAccount, TooManyAttempts)
_CAPTCHA_TOKEN_TTL = 10 * 60
# Counting only: the CAPTCHA threshold reads this window's count.
_SENDS_PER_IP = Window("sends-ip", 2**31, 3600)

_MINUTE, _HOUR, _DAY = 60, 3600, 86400


def digest(kind: str, value: str) -> str:
    """A keyed hash of a number or an address (SECRET_KEY-keyed: not reversible offline)."""
    return salted_hmac(f"django_lc_phone.limits.{kind}", value, algorithm="sha256").hexdigest()[:32]


def client_ip(request: HttpRequest | None) -> str:
    """The client's address: ``REMOTE_ADDR``, or, behind ``TRUSTED_PROXIES`` proxies, the
    address the outermost trusted proxy saw (as DRF's ``NUM_PROXIES``). Anything the client
    wrote into ``X-Forwarded-For`` itself is ignored."""
    if request is None:
        return "-"
    remote = str(request.META.get("REMOTE_ADDR") or "-")
    proxies = get_settings().TRUSTED_PROXIES
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    return hops[-min(proxies, len(hops))] if hops else remote


def _window(name: str, limit: int | None, seconds: int) -> Window | None:
    return Window(name, limit, seconds) if limit is not None else None


def _take(reservation: Reservation, taken: Slot | float) -> float | None:
    if isinstance(taken, Slot):
        reservation.slots.append(taken)
        return None
    reservation.release()
    return taken


# --- code requests ----------------------------------------------------------------------


def _captcha_needed(ip_digest: str) -> bool:
    conf = get_settings()
    if conf.CAPTCHA_REQUIRED:
        return True
    threshold = conf.CAPTCHA_AFTER_SENDS_PER_IP
    return threshold is not None and _SENDS_PER_IP.count(ip_digest) >= threshold


def remember_validate_token(token: str) -> None:
    """Record a ``validate_token`` this site obtained for a solved CAPTCHA (``captcha/verify/``)."""
    cache().set(f"lc_phone:captcha:{digest('captcha', token)}", 1, timeout=_CAPTCHA_TOKEN_TTL)


def _spend_validate_token(token: str | None) -> bool:
    # delete() reports whether the key was there: one atomic check-and-spend.
    return bool(token) and bool(cache().delete(f"lc_phone:captcha:{digest('captcha', str(token))}"))


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
    ip = digest("ip", client_ip(request))
    if not staff and _captcha_needed(ip) and not _spend_validate_token(validate_token):
        raise CaptchaRequired()
    number = digest("phone", phone)
    cooldown = conf.SMS_RESEND_COOLDOWN
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


def _attempt_windows(kind: AttemptKind) -> tuple[Window | None, Window | None]:
    conf = get_settings()
    if kind == "code":
        per_phone = _window("fail-code", conf.CODE_ATTEMPTS, conf.CODE_ATTEMPTS_WINDOW)
    else:
        per_phone = _window("fail-password", conf.PASSWORD_ATTEMPTS, conf.PASSWORD_ATTEMPTS_WINDOW)
    return per_phone, _window("fail-ip", conf.ATTEMPTS_PER_IP_MINUTE, _MINUTE)


@contextmanager
def attempt(kind: AttemptKind, phone: str, request: HttpRequest | None) -> Iterator[None]:
    """Spend one attempt at a code or password for ``phone`` around the ``with`` block.

    The slot is taken before the provider is called, so concurrent guesses cannot all slip
    under the limit; it is given back unless the attempt failed. Once the limit is reached
    every attempt is refused with :class:`TooManyAttempts`, the right code included, until
    the window passes; asking for a new code does not reset it.
    """
    per_phone, per_ip = _attempt_windows(kind)
    reservation = Reservation()
    for limit, ident in (
        (per_phone, digest("phone", phone)),
        (per_ip, digest("ip", client_ip(request))),
    ):
        if limit is not None and (wait := _take(reservation, limit.hit(ident))) is not None:
            raise TooManyAttempts(retry_after=retry_after(wait))
    try:
        yield
    except _FAILURES:
        raise
    except BaseException:
        reservation.release()
        raise
    reservation.release()
