"""The user's number: verifying it, and changing it. A change is pending for one user and one
number until its code is proven; it ends every other session and token of the user."""

from __future__ import annotations

import contextlib

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .. import signals
from ..exceptions import (
    AlreadyVerified,
    InvalidCode,
    NoPhone,
    SamePhone,
    SessionExpired,
    UnknownAccount,
)
from ..guards import limits
from ..guards.windows import cache
from ..models import PhoneProfile
from ..providers.testnumbers import is_test_number
from ..revocation import revoke_other_credentials
from ..usernames import follow_phone
from .notices import notify_phone_change
from .passwords import on_commit_revoked
from .provider import attach, profile_of, provider, session_token
from .sends import deliver, refuse_expired

# How long a requested phone change stays pending (LeanCloud's change codes live 6 minutes).
_PENDING_CHANGE_TTL = 10 * 60


def _profile_with_phone(user: AbstractBaseUser) -> PhoneProfile:
    profile = profile_of(user)
    if profile is None or not profile.phone:
        raise NoPhone()
    return profile


def own_phone(user: AbstractBaseUser) -> str:
    """The user's phone number (``NoPhone`` when there is none)."""
    return _profile_with_phone(user).phone_e164


def phone_to_verify(user: AbstractBaseUser) -> str:
    """The user's phone, which still needs verifying (``AlreadyVerified`` when it does not)."""
    profile = _profile_with_phone(user)
    if profile.phone_verified:
        raise AlreadyVerified(phone=profile.phone_e164)
    return profile.phone_e164


def send_verification_code(
    phone: str,
    *,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
    staff: bool = False,
) -> None:
    """Send a verification code to ``phone``, a user's own number (:func:`phone_to_verify`),
    within the send limits (``staff``: an admin action, asked for no CAPTCHA)."""
    # UnknownAccount: the provider has no such user; nothing was sent, and nothing to tell.
    refuse_expired(phone)
    with (
        limits.sending(phone, request, validate_token=validate_token, staff=staff),
        contextlib.suppress(UnknownAccount),
    ):
        if not is_test_number(phone):  # its budgets are spent; it gets no SMS
            provider().send_verification_code(phone, validate_token=validate_token)


def send_verification_code_to_number(
    phone: str, *, request: HttpRequest | None = None, validate_token: str | None = None
) -> None:
    """Send a verification code to ``phone`` if an account has it unverified (compat's
    ``requestMobilePhoneVerify``, which anybody may call), within the send limits and outside
    the request: nothing tells whether it has an account, or a verified one."""
    refuse_expired(phone)
    limits.reserve_send(phone, request, validate_token=validate_token)
    deliver("verify_phone", phone, validate_token)


def verify_phone(
    user: AbstractBaseUser,
    code: str,
    *,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
) -> PhoneProfile:
    """Verify the user's phone with its code, within the attempt budgets."""
    profile = _profile_with_phone(user)
    phone = profile.phone_e164
    with limits.attempt("code", phone, request, validate_token=validate_token):
        provider().verify_phone(phone, code)
    now = timezone.now()
    profile.phone_verified, profile.phone_verified_at, profile.last_synced_at = True, now, now
    profile.save(
        update_fields=["phone_verified", "phone_verified_at", "last_synced_at", "updated_at"]
    )
    signals.phone_verified.send(sender=PhoneProfile, user=user, phone=phone)
    return profile


def verify_number(
    phone: str,
    code: str,
    *,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
) -> PhoneProfile:
    """Verify the number of the account that has it (compat's ``verifyMobilePhone``, which
    names the number, not the user), within the attempt budgets of the number."""
    with limits.attempt("code", phone, request, validate_token=validate_token):
        profile = PhoneProfile.objects.select_related("user").filter(phone=phone).first()
        if profile is None:
            raise InvalidCode()
        provider().verify_phone(phone, code)
    now = timezone.now()
    profile.phone_verified, profile.phone_verified_at, profile.last_synced_at = True, now, now
    profile.save(
        update_fields=["phone_verified", "phone_verified_at", "last_synced_at", "updated_at"]
    )
    signals.phone_verified.send(sender=PhoneProfile, user=profile.user, phone=phone)
    return profile


def _pending_change_key(user: AbstractBaseUser, phone: str) -> str:
    pair = salted_hmac(
        "django_lc_phone.pending_change", f"{user.pk}:{phone}", algorithm="sha256"
    ).hexdigest()
    return f"lc_phone:pending-change:{pair[:32]}"


def _ensure_changeable(user: AbstractBaseUser, phone: str) -> None:
    """Refuse a change before any budget is spent: to the number the user has already
    (``SamePhone``), or without a stored provider session to act as the user with
    (``SessionExpired``)."""
    profile = profile_of(user)
    if profile is not None and profile.phone_e164 == phone:
        raise SamePhone()
    if profile is None or not profile.lc_session_token:
        raise SessionExpired()


def send_phone_change_code(
    user: AbstractBaseUser,
    phone: str,
    *,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
) -> None:
    """Send a code to the new number, within the send limits and outside the request: a number
    another account has gets none and is refused only once its code is proven, and nothing in
    the answer or its timing tells the two apart.

    The change is then pending for this user and this number: only they can confirm it."""
    _ensure_changeable(user, phone)
    refuse_expired(phone)
    limits.reserve_send(phone, request, validate_token=validate_token)
    cache().set(_pending_change_key(user, phone), 1, timeout=_PENDING_CHANGE_TTL)
    deliver("change_phone", phone, validate_token, user_id=str(user.pk))


def change_phone(
    user: AbstractBaseUser,
    phone: str,
    code: str,
    *,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
) -> PhoneProfile:
    """Bind the new number, within the attempt budgets; the old holder of a recycled number
    loses it locally, a username that was the old number follows, and every other session and
    token of the user ends (``request``'s own session stays, under a new key); the old number is
    told, when notices are on (``notices``).

    Without a change pending for this user and number (a code asked for by someone else, or
    for another purpose), the code is refused here: the provider is not asked."""
    with limits.attempt("code", phone, request, validate_token=validate_token):
        token = session_token(user)
        if not cache().get(_pending_change_key(user, phone)):
            raise InvalidCode()
        provider().change_phone(phone, code, session_token=token)
    with transaction.atomic():
        profile = PhoneProfile.objects.select_for_update().get(user_id=user.pk)
        old_phone, old_verified = profile.phone_e164 or None, profile.phone_verified
        PhoneProfile.objects.filter(phone=phone).exclude(pk=profile.pk).update(
            phone=None, phone_verified=False, phone_verified_at=None
        )
        now = timezone.now()
        profile.phone = phone
        profile.phone_verified, profile.phone_verified_at = True, now
        profile.last_synced_at = now
        profile.save()
        follow_phone(user, old_phone, phone, str(profile.lc_object_id or user.pk))
        revoke_other_credentials(user, request)
        on_commit_revoked(user, "phone_changed", request)
    attach(profile, user)
    signals.phone_changed.send(sender=PhoneProfile, user=user, old_phone=old_phone, new_phone=phone)
    notify_phone_change(
        user, old_phone, phone, old_verified=old_verified
    )  # after the answer: a failure undoes nothing
    return profile
