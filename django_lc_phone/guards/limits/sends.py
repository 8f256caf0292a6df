"""The budgets of one code request: the CAPTCHA when due, per client, per prefix, per number,
and the site's SMS budget, which tells the operators once when it is spent."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.http import HttpRequest

from ... import signals
from ...conf import get_settings
from ...exceptions import CaptchaRequired, ProviderUnavailable, SendThrottled, SmsBudgetExhausted
from ...phone import ensure_can_receive_codes
from ..identity import client_digest, digest
from ..windows import Cooldown, Reservation, Window, cache, retry_after
from .common import DAY, HOUR, MINUTE, UNLIMITED, spend_validate_token, take, window

logger = logging.getLogger("django_lc_phone.security")

SENDS_PER_IP = Window("sends-ip", UNLIMITED, 3600)


def _captcha_needed(ip_digest: str) -> bool:
    conf = get_settings()
    if conf.CAPTCHA_REQUIRED:
        return True
    threshold = conf.CAPTCHA_AFTER_SENDS_PER_IP
    return threshold is not None and SENDS_PER_IP.count(ip_digest) >= threshold


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
    if not staff and _captcha_needed(ip) and not spend_validate_token(validate_token):
        raise CaptchaRequired()
    number = digest("phone", phone)
    cooldown = conf.SMS_RESEND_COOLDOWN
    # The client's own budgets come first: a request they refuse writes no per-number key.
    checks: list[tuple[Window | Cooldown | None, str]] = [
        (window("sms-ip", conf.SMS_PER_IP_MINUTE, MINUTE), ip),
        (window("sms-ip", conf.SMS_PER_IP_HOUR, HOUR), ip),
        (window("sms-prefix", conf.SMS_PER_PREFIX_HOUR, HOUR), digest("prefix", phone[:-4])),
        (Cooldown("sms-cooldown", cooldown) if cooldown else None, number),
        (window("sms-phone", conf.SMS_PER_PHONE_HOUR, HOUR), number),
        (window("sms-phone", conf.SMS_PER_PHONE_DAY, DAY), number),
    ]
    reservation = Reservation()
    for limit, ident in checks:
        if limit is not None and (wait := take(reservation, limit.hit(ident))) is not None:
            raise SendThrottled(retry_after=retry_after(wait))
    for budget in (
        window("sms-budget", conf.SMS_BUDGET_HOUR, HOUR),
        window("sms-budget", conf.SMS_BUDGET_DAY, DAY),
    ):
        if budget is not None and (wait := take(reservation, budget.hit("site"))) is not None:
            _alert_budget(budget)
            raise SmsBudgetExhausted(retry_after=retry_after(wait))
    if conf.CAPTCHA_AFTER_SENDS_PER_IP is not None:
        SENDS_PER_IP.hit(ip)
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
