"""The budgets of one code request: the CAPTCHA when due, per client, per prefix, the pumping
guard, the resend cooldown (or back-off), per number, and the site's SMS budget; the
operators hear once when the budget is spent or a prefix looks pumped. And what a verified
code writes for them (:func:`code_verified`)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.http import HttpRequest

from ... import signals
from ...conf import get_settings
from ...exceptions import CaptchaRequired, ProviderUnavailable, SendThrottled, SmsBudgetExhausted
from ...phone import ensure_can_receive_codes
from ..identity import client_digest, digest
from ..plan import Gate, Reservation, ShareGate, Step, Take, run
from ..windows import Cooldown, Window, cache, clock, key, retry_after
from .common import DAY, HOUR, MINUTE, UNLIMITED, refusal_of, validate_token_key, window

logger = logging.getLogger("django_lc_phone.security")

SENDS_PER_IP = Window("sends-ip", UNLIMITED, 3600)
# What the pumping guard counts per prefix: codes sent, and codes verified (windows that only
# count, read as this hour and the last).
PUMPING_SENT = Window("pump-sent", UNLIMITED, HOUR)
PUMPING_VERIFIED = Window("pump-verified", UNLIMITED, HOUR)


def resend_cooldown() -> Cooldown | None:
    """The number's resend cooldown: the back-off ``SMS_RESEND_BACKOFF`` when set (its first
    wait replaces ``SMS_RESEND_COOLDOWN``), else the flat cooldown; None when both are off."""
    conf = get_settings()
    ladder = conf.SMS_RESEND_BACKOFF
    if ladder:
        return Cooldown("sms-cooldown", ladder[0], tuple(ladder[1:]))
    seconds = conf.SMS_RESEND_COOLDOWN
    return Cooldown("sms-cooldown", seconds) if seconds else None


def pumping_prefix(phone: str) -> str:
    """The prefix the pumping guard counts ``phone`` under: the number without its last
    ``PUMPING_PREFIX_DROP_DIGITS`` digits."""
    return phone[: -get_settings().PUMPING_PREFIX_DROP_DIGITS]


def _pumping_gate(phone: str, validate_token: str | None) -> ShareGate | None:
    """Past ``PUMPING_MIN_SENDS`` sends to the number's prefix this hour and the last with
    fewer than ``PUMPING_MIN_VERIFIED_RATIO`` of them verified, a CAPTCHA; None when off."""
    conf = get_settings()
    if conf.PUMPING_MIN_SENDS is None:
        return None
    return ShareGate(
        PUMPING_SENT,
        PUMPING_VERIFIED,
        digest("prefix", pumping_prefix(phone)),
        conf.PUMPING_MIN_SENDS,
        conf.PUMPING_MIN_VERIFIED_RATIO,
        validate_token_key(validate_token),
        CaptchaRequired,
    )


def _test_number(phone: str) -> bool:
    """Whether ``phone`` is listed in ``TEST_NUMBERS`` (``providers.testnumbers``, a layer
    above this one, says the same): it gets no SMS and its fixed code verifies again and
    again, so it counts for its prefix's pumping guard neither as sent nor as verified."""
    listed = get_settings().TEST_NUMBERS
    return isinstance(listed, Mapping) and phone in listed


def code_verified(phone: str) -> tuple[list[str], list[tuple[str, int]]]:
    """What a verified code for ``phone`` writes, in the success's own round trip: the keys
    to forget (the number's resend count: its back-off starts again) and the counters to add
    one to (its prefix's verified sends, which the pumping guard reads)."""
    now = clock()
    forget: list[str] = []
    cooldown = resend_cooldown()
    if cooldown is not None and cooldown.steps:
        forget.append(cooldown.ladder_keys(digest("phone", phone), now)[0])
    count: list[tuple[str, int]] = []
    if get_settings().PUMPING_MIN_SENDS is not None and not _test_number(phone):
        current, _ = PUMPING_VERIFIED.keys(digest("prefix", pumping_prefix(phone)), now)
        count.append((current, PUMPING_VERIFIED.ttl))
    return forget, count


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
    action) skips the CAPTCHAs (the pumping guard's too); every other limit still applies.
    One solved CAPTCHA (one ``validate_token``) answers every CAPTCHA the request needs.
    """
    conf = get_settings()
    ensure_can_receive_codes(phone)
    ip = client_digest(request)
    number = digest("phone", phone)
    steps: list[Step] = []
    gate = None if staff else _captcha_gate(ip, validate_token)
    if gate is not None:
        steps.append(gate)
    # The client's own budgets come first: a request they refuse writes no per-number key.
    steps += _throttles(
        [
            (window("sms-ip", conf.SMS_PER_IP_MINUTE, MINUTE), ip),
            (window("sms-ip", conf.SMS_PER_IP_HOUR, HOUR), ip),
            (window("sms-prefix", conf.SMS_PER_PREFIX_HOUR, HOUR), digest("prefix", phone[:-4])),
        ]
    )
    pumping = None if _test_number(phone) else _pumping_gate(phone, validate_token)
    if pumping is not None and not staff:
        steps.append(pumping)
    steps += _throttles(
        [
            (resend_cooldown(), number),
            (window("sms-phone", conf.SMS_PER_PHONE_HOUR, HOUR), number),
            (window("sms-phone", conf.SMS_PER_PHONE_DAY, DAY), number),
        ]
    )
    for budget in (
        window("sms-budget", conf.SMS_BUDGET_HOUR, HOUR),
        window("sms-budget", conf.SMS_BUDGET_DAY, DAY),
    ):
        if budget is not None:
            steps.append(Take(budget, "site", SmsBudgetExhausted))
    if conf.CAPTCHA_AFTER_SENDS_PER_IP is not None:
        steps.append(Take(SENDS_PER_IP, ip, reserve=False))  # counted for good
    if pumping is not None:
        steps.append(Take(PUMPING_SENT, pumping.ident))  # given back if nothing was sent
    outcome = run(steps)
    if outcome.refused is None:
        return outcome.reservation
    step = outcome.refused.step
    if isinstance(step, ShareGate):
        _alert_pumping(step, phone)
    if step.refusal is SmsBudgetExhausted and isinstance(step, Take):
        assert isinstance(step.limit, Window)  # noqa: S101 - budgets are windows
        _alert_budget(step.limit)
        raise SmsBudgetExhausted(retry_after=retry_after(outcome.refused.wait))
    raise refusal_of(outcome.refused)


def _throttles(limits: list[tuple[Window | Cooldown | None, str]]) -> list[Step]:
    """A step per limit that is on, each refused with :class:`SendThrottled`."""
    return [Take(limit, ident, SendThrottled) for limit, ident in limits if limit is not None]


def _alert_budget(budget: Window) -> None:
    """Tell the operators once per window: codes are refused until the budget renews."""
    if cache().add(key("alert", budget.name, str(budget.seconds)), 1, timeout=budget.seconds):
        logger.error(
            "SMS budget exhausted: limit=%s per %ss; code requests answer 503",
            budget.limit,
            budget.seconds,
        )
        signals.sms_budget_exhausted.send(sender=Window, limit=budget.limit, seconds=budget.seconds)


def _alert_pumping(gate: ShareGate, phone: str) -> None:
    """Tell the operators once per prefix per hour that its code requests need a CAPTCHA (the
    log names the prefix with its last digits hidden, never a whole number)."""
    if not cache().add(key("alert", "pumping", gate.ident), 1, timeout=HOUR):
        return
    now, store = clock(), cache()
    names = [*gate.sent.keys(gate.ident, now), *gate.verified.keys(gate.ident, now)]
    values = store.get_many(names)
    sent = sum(int(values.get(name, 0)) for name in names[:2])
    verified = sum(int(values.get(name, 0)) for name in names[2:])
    prefix = pumping_prefix(phone)
    masked = prefix + "*" * (len(phone) - len(prefix))
    logger.warning(
        "SMS pumping suspected: prefix %s (digest %s) had %s code sends and %s verified this "
        "hour and the last; its code requests need a CAPTCHA",
        masked,
        gate.ident,
        sent,
        verified,
    )
    signals.sms_pumping_suspected.send(
        sender=ShareGate, prefix=masked, prefix_digest=gate.ident, sends=sent, verified=verified
    )


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
