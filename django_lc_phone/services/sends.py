"""Code sends that depend on whether a number has an account (a login or reset code, a phone
change, a verification asked for by number): handed to ``deliveries`` so they leave the
request, and the task that makes them, which never raises."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final

from django.contrib.auth import get_user_model
from django.utils import translation

from .. import deliveries, signals
from ..exceptions import LcPhoneError, PhoneUnavailable, SessionExpired, UnknownAccount
from ..models import PhoneProfile
from ..providers.testnumbers import ensure_usable, is_test_number
from ..redaction import mask_phone
from .provider import provider, session_token

logger = logging.getLogger("django_lc_phone.security")


def deliver(
    flow: str, phone: str, validate_token: str | None, *, user_id: str | None = None
) -> None:
    """Hand one account-dependent send to ``deliveries`` (the request's language goes along,
    for the local provider's message text). The caller refused an expired test number before
    it spent a budget (:func:`refuse_expired`)."""
    deliveries.submit(
        deliver_code,
        flow=flow,
        phone=phone,
        validate_token=validate_token,
        language=translation.get_language(),
        user_id=user_id,
    )


def refuse_expired(phone: str) -> None:
    """Refuse a code request to an expired test number, before any budget is spent."""
    ensure_usable(phone)


def _send_login(phone: str, validate_token: str | None, user_id: str | None) -> None:
    provider().send_login_code(phone, validate_token=validate_token)


def _send_reset(phone: str, validate_token: str | None, user_id: str | None) -> None:
    provider().send_password_reset_code(phone, validate_token=validate_token)


def _send_verification(phone: str, validate_token: str | None, user_id: str | None) -> None:
    profile = PhoneProfile.objects.filter(phone=phone).only("phone_verified").first()
    if profile is None or profile.phone_verified:
        return  # nobody to verify: nothing to send, and nothing to tell
    provider().send_verification_code(phone, validate_token=validate_token)


def _send_change(phone: str, validate_token: str | None, user_id: str | None) -> None:
    user = get_user_model()._default_manager.filter(pk=user_id).first() if user_id else None
    if user is None:
        return  # deleted since it asked
    token = session_token(user)
    try:
        provider().send_phone_change_code(phone, session_token=token, validate_token=validate_token)
    except PhoneUnavailable:
        return  # another account has it: no code, and the change is refused once proven
    except SessionExpired:
        # The provider no longer takes the stored session: forget it, so the user's next
        # request is told at once to sign in again.
        PhoneProfile.objects.filter(user_id=user.pk, lc_session_token=token).update(
            lc_session_token=""
        )
        raise


_SENDS: Final[dict[str, Callable[[str, str | None, str | None], None]]] = {
    "login": _send_login,
    "reset_password": _send_reset,
    "verify_phone": _send_verification,
    "change_phone": _send_change,
}


def deliver_code(
    flow: str,
    phone: str,
    validate_token: str | None = None,
    language: str | None = None,
    user_id: str | None = None,
) -> None:
    """Send one code of ``flow`` to ``phone`` (the task ``deliveries`` runs; never raises).

    A number without an account (``UnknownAccount``) gets nothing, quietly; any other failure
    is logged and signalled (``code_send_failed``): the client was answered already."""
    if is_test_number(phone):
        return  # no SMS, ever: its code is fixed (a sent one would not work either)
    try:
        with translation.override(language):
            _SENDS[flow](phone, validate_token, user_id)
    except UnknownAccount:
        return
    except Exception as error:
        kind = "refused" if isinstance(error, LcPhoneError) else "crashed"
        logger.error(
            "code send %s: flow=%s phone=%s error=%s",
            kind,
            flow,
            mask_phone(phone),
            type(error).__name__,
            exc_info=not isinstance(error, LcPhoneError),
        )
        signals.code_send_failed.send(sender=PhoneProfile, flow=flow, phone=phone, error=error)


# Where a worker finds it: the module attribute of the function's own name.
deliver_code = deliveries.as_task(deliver_code)
