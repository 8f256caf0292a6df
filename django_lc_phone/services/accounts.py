"""The account itself: its username, email and password as compat's ``PUT users/<id>`` sets
them, a re-sync from the provider (the admin's), and the number a code was sent to (for
clients that send a code without its number)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.http import HttpRequest

from ..exceptions import InvalidCode, UnknownAccount
from ..guards import limits
from ..models import PhoneProfile
from ..providers.base import KeepsCodes
from ..revocation import revoke_other_credentials
from ..sync import link_remote_user
from .provider import known_profile, provider


@dataclass(frozen=True)
class AccountChanges:
    """What a ``PUT users/<id>`` sets, each checked already; None leaves it as it is."""

    username: str | None = None
    email_field: str | None = None
    email: str | None = None
    password: str | None = None


def update_account(
    user: AbstractBaseUser,
    read_changes: Callable[[], AccountChanges],
    *,
    renaming: bool,
    request: HttpRequest | None = None,
    limited: bool = True,
) -> tuple[AccountChanges, PhoneProfile | None]:
    """Set what ``read_changes`` checks and returns, in one transaction; a new password ends
    every session and token of the user (the caller keeps its own: call this inside the
    caller's transaction when it ends sessions of its own). The changes, and the user's
    profile, touched for its ``updated_at``.

    A rename (``renaming``: a username or an email is asked for) spends one of the user's and
    the client's ``RENAMES_PER_HOUR`` before anything is checked, whatever the checks find: a
    name refused as taken costs what a free one does, so names cannot be probed for free.
    ``limited`` off (the master key) spends nothing."""
    if limited and renaming:
        limits.rename(user.pk, request)
    changes = read_changes()
    profile = known_profile(user)
    with transaction.atomic():
        if changes.username is not None:
            setattr(user, type(user).USERNAME_FIELD, changes.username)  # type: ignore[attr-defined]
        if changes.email is not None and changes.email_field is not None:
            setattr(user, changes.email_field, changes.email)
        if changes.password is not None:
            user.set_password(changes.password)
        user.save()
        if changes.password is not None:
            revoke_other_credentials(user)
        if profile is not None:
            profile.save(update_fields=["updated_at"])
    return changes, profile


def resync(profile: PhoneProfile) -> PhoneProfile:
    """Re-read the remote user and update the local profile (admin action)."""
    if not profile.lc_object_id:
        raise UnknownAccount()
    link_remote_user(provider().fetch_user(profile.lc_object_id))
    profile.refresh_from_db()
    return profile


def phone_of_code(purpose: str, code: str, request: HttpRequest | None = None) -> str:
    """The number whose live ``purpose`` code is ``code`` (``InvalidCode`` when none or
    several), for clients that send a code without its number; the guess spends a budget of
    the client's own (``limits.attempt_without_number``). Only a provider that keeps its codes
    (``KeepsCodes``: the local one) can tell; with any other every such code is invalid."""
    with limits.attempt_without_number(purpose, request):
        keeper = provider()
        if not isinstance(keeper, KeepsCodes):
            raise InvalidCode()
        return keeper.number_of_code(purpose, code)
