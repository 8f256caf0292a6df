"""Passwords: the reset by SMS code (nobody is signed in by it; every session and token of the
user ends), and a change with the old password (compat's ``updatePassword``)."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from .. import signals
from ..exceptions import InvalidCredentials
from ..guards import limits
from ..models import PhoneProfile
from ..revocation import revoke_other_credentials
from .capture import capture_password
from .provider import profile_of, provider
from .sends import deliver


def send_password_reset_code(
    phone: str, *, request: HttpRequest | None = None, validate_token: str | None = None
) -> None:
    """Send a reset code, within the send limits and outside the request: nothing tells
    whether the number has an account."""
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
    """Change the password of the caller's own account (the old one checked as a login checks
    one, through ``authenticate()``: the same budget, and ``user_login_failed`` for lockout
    tools); every session and token of the user ends. The user's profile (touched, for its
    ``updated_at``). Call it inside the caller's transaction when it ends sessions of its own.

    ``InvalidCredentials`` for a wrong old password, or a user without a number (who cannot
    sign in with a password either)."""
    profile = profile_of(user)
    phone = profile.phone_e164 if profile is not None else ""
    checked = (
        authenticate(request, phone=phone, password=old, validate_token=validate_token)
        if phone
        else None
    )
    if profile is None or checked is None or checked.pk != user.pk:
        raise InvalidCredentials()
    with transaction.atomic():
        user.set_password(new)
        user.save(update_fields=["password"])
        revoke_other_credentials(user)  # DRF tokens, JWT refresh tokens, sessions
        profile.save(update_fields=["updated_at"])
    return profile


def on_commit_revoked(
    user: AbstractBaseUser, reason: str, request: HttpRequest | None = None
) -> None:
    """Send ``credentials_revoked`` once the transaction commits."""
    transaction.on_commit(
        lambda: signals.credentials_revoked.send(
            sender=PhoneProfile, user=user, reason=reason, request=request
        )
    )
