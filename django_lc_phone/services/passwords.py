"""Passwords: the reset by SMS code (nobody is signed in by it; every session and token of the
user ends), and a change with the old password (``auth/phone/password/change/``, compat's
``updatePassword``)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from .. import signals
from ..conf import get_settings
from ..exceptions import InvalidCredentials, SessionExpired
from ..guards import limits
from ..models import PhoneProfile
from ..providers.base import ChangesPasswords
from ..revocation import revoke_other_credentials
from .capture import capture_password
from .provider import known_profile, login_lock, provider
from .sends import deliver, refuse_expired


def send_password_reset_code(
    phone: str, *, request: HttpRequest | None = None, validate_token: str | None = None
) -> None:
    """Send a reset code, within the send limits and outside the request: nothing tells
    whether the number has an account."""
    refuse_expired(phone)
    limits.reserve_send(phone, request, validate_token=validate_token)
    deliver("reset_password", phone, validate_token)


def reset_password(
    phone: str,
    code: str,
    password: str,
    *,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
) -> AbstractBaseUser | None:
    """Set a new password, within the attempt budgets; every session and token of the local
    user ends (nobody is signed in by a reset), and ``password_reset`` is sent once that is
    committed. The local user, if the number has one."""
    with limits.attempt("code", phone, request, validate_token=validate_token):
        provider().reset_password(phone, code, password)
    with transaction.atomic():
        profile = PhoneProfile.objects.select_related("user").filter(phone=phone).first()
        user = profile.user if profile is not None else None
        if profile is not None:
            # The stored session died with the reset; the next login stores the new one.
            PhoneProfile.objects.filter(pk=profile.pk).update(lc_session_token="")
        if user is not None:
            revoke_other_credentials(user)
            on_commit_revoked(user, "password_reset")
            capture_password(user, password, fresh=True)
        transaction.on_commit(
            lambda: signals.password_reset.send(sender=PhoneProfile, user=user, phone=phone)
        )
    return user


def change_password(
    user: AbstractBaseUser,
    old: str,
    new: str,
    *,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
) -> PhoneProfile:
    """Change the password of the caller's own account; every other session and token of the
    user ends (``request``'s own session stays, under a new key). The user's profile (touched,
    for its ``updated_at``). Call it inside the caller's transaction when it ends sessions of
    its own.

    With a provider that holds the passwords (LeanCloud, ``ChangesPasswords``) the provider
    checks the old one and keeps the new one, within the password attempt budget, and the new
    one is captured (``capture``); else the old one is checked as a login checks one, through
    ``authenticate()`` (the same budget, and ``user_login_failed`` for lockout tools), by the
    number or, for a user without one, by the username.

    ``InvalidCredentials`` for a wrong old password; ``SessionExpired`` when LeanCloud's
    session for the user is not stored."""
    profile = known_profile(user)  # the surface has read it already (its session's owner)
    if profile is None:
        raise InvalidCredentials()
    keeper = provider()
    if isinstance(keeper, ChangesPasswords):
        _change_upstream(keeper, user, profile, old, new, request, validate_token)
        return profile
    credentials = (
        {"phone": profile.phone_e164} if profile.phone else {"lc_username": user.get_username()}
    )
    checked = authenticate(request, password=old, validate_token=validate_token, **credentials)
    if checked is None or checked.pk != user.pk:
        raise InvalidCredentials()
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        revoke_other_credentials(user, request)  # DRF tokens, JWT refresh tokens, sessions
        profile.save(update_fields=["updated_at"])
    return profile


def _change_upstream(
    keeper: ChangesPasswords,
    user: AbstractBaseUser,
    profile: PhoneProfile,
    old: str,
    new: str,
    request: HttpRequest | None,
    validate_token: str | None,
) -> None:
    """LeanCloud's ``updatePassword``; its new session is stored as a sign-in's is."""
    if not profile.phone or not profile.lc_object_id:
        raise InvalidCredentials()  # a password is checked by number with LeanCloud
    token = profile.lc_session_token  # the profile read above: no second read
    if not token:
        raise SessionExpired()
    with limits.attempt(
        "password", profile.phone_e164, request, validate_token=validate_token, lock=login_lock()
    ):
        fresh = keeper.change_password(str(profile.lc_object_id), old, new, session_token=token)
    now = timezone.now()
    stored = fresh if get_settings().STORE_SESSION_TOKEN else ""
    with transaction.atomic():
        PhoneProfile.objects.filter(pk=profile.pk).update(
            lc_session_token=stored, lc_session_token_at=now, updated_at=now
        )
        profile.lc_session_token, profile.lc_session_token_at = stored, now
        profile.updated_at = now
        revoke_other_credentials(user, request)
        on_commit_revoked(user, "password_changed", request)
        capture_password(user, new, fresh=True)


def on_commit_revoked(
    user: AbstractBaseUser, reason: str, request: HttpRequest | None = None
) -> None:
    """Send ``credentials_revoked`` once the transaction commits."""
    transaction.on_commit(
        lambda: signals.credentials_revoked.send(
            sender=PhoneProfile, user=user, reason=reason, request=request
        )
    )
