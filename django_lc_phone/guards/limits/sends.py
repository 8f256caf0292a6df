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
from ..plan import Gate, Reservation, Step, Take, run
from ..windows import Cooldown, Window, cache, key, retry_after
from .common import DAY, HOUR, MINUTE, UNLIMITED, refusal_of, validate_token_key, window

logger = logging.getLogger("django_lc_phone.security")

SENDS_PER_IP = Window("sends-ip", UNLIMITED, 3600)


def _captcha_gate(ip: str, validate_token: str | None) -> Gate | None:
    """The CAPTCHA a code request needs: always (``CAPTCHA_REQUIRED``), or once the client
    sent ``CAPTCHA_AFTER_SENDS_PER_IP`` codes this hour; None when neither is set."""
    conf = get_settings()
    threshold = 0 if conf.CAPTCHA_REQUIRED else conf.CAPTCHA_AFTER_SENDS_PER_IP
    if threshold is None:
        return None
    return Gate(SENDS_PER_IP, ip, threshold, validate_token_key(validate_token), CaptchaRequired)


def reserve_send(
    phone: str,
    request: HttpRequest | None,
    *,
    validate_token: str | None = None,
    staff: bool = False,
) -> Reservation:
    """Take every send budget for one code to ``phone`` (one plan), or raise.

    :class:`PhoneNotAllowed` for blocked numbers, :class:`CaptchaRequired` when a CAPTCHA is
    due and no unspent ``validate_token`` came with the request, :class:`SendThrottled` when a
    per-IP, per-prefix or per-number limit is reached, :class:`SmsBudgetExhausted` when the
    site's budget is spent. Nothing is taken when any of them is raised. ``staff`` (an admin
    action) skips the CAPTCHA; every other limit still applies.
    """
    conf = get_settings()
    ensure_can_receive_codes(phone)
    ip = client_digest(request)
    number = digest("phone", phone)
    cooldown = conf.SMS_RESEND_COOLDOWN
    steps: list[Step] = []
    gate = None if staff else _captcha_gate(ip, validate_token)
    if gate is not None:
        steps.append(gate)
    # The client's own budgets come first: a request they refuse writes no per-number key.
    for limit, ident in [
        (window("sms-ip", conf.SMS_PER_IP_MINUTE, MINUTE), ip),
        (window("sms-ip", conf.SMS_PER_IP_HOUR, HOUR), ip),
        (window("sms-prefix", conf.SMS_PER_PREFIX_HOUR, HOUR), digest("prefix", phone[:-4])),
        (Cooldown("sms-cooldown", cooldown) if cooldown else None, number),
        (window("sms-phone", conf.SMS_PER_PHONE_HOUR, HOUR), number),
        (window("sms-phone", conf.SMS_PER_PHONE_DAY, DAY), number),
    ]:
        if limit is not None:
            steps.append(Take(limit, ident, SendThrottled))
    for budget in (
        window("sms-budget", conf.SMS_BUDGET_HOUR, HOUR),
        window("sms-budget", conf.SMS_BUDGET_DAY, DAY),
    ):
        if budget is not None:
            steps.append(Take(budget, "site", SmsBudgetExhausted))
    if conf.CAPTCHA_AFTER_SENDS_PER_IP is not None:
        steps.append(Take(SENDS_PER_IP, ip, reserve=False))  # counted for good
    outcome = run(steps)
    if outcome.refused is None:
        return outcome.reservation
    step = outcome.refused.step
    if step.refusal is SmsBudgetExhausted and isinstance(step, Take):
        assert isinstance(step.limit, Window)  # noqa: S101 - budgets are windows
        _alert_budget(step.limit)
        raise SmsBudgetExhausted(retry_after=retry_after(outcome.refused.wait))
    raise refusal_of(outcome.refused)


def _alert_budget(budget: Window) -> None:
    """Tell the operators once per window: codes are refused until the budget renews."""
    if cache().add(key("alert", budget.name, str(budget.seconds)), 1, timeout=budget.seconds):
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
