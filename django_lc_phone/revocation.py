"""Ending a user's other sessions and tokens after a password reset or a phone change."""

from __future__ import annotations

from django.apps import apps
from django.contrib.auth import SESSION_KEY, update_session_auth_hash
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest


def revoke_other_credentials(user: AbstractBaseUser, request: HttpRequest | None = None) -> None:
    """End every session and token of ``user`` except those ``request`` itself signed in with.

    - DRF tokens (``rest_framework.authtoken``) are deleted;
    - SimpleJWT refresh tokens are blacklisted when its ``token_blacklist`` app is installed
      (access tokens live out their short lifetime);
    - Django sessions: Django ties each session to a hash of the user's password field, so a
      phone user (no usable local password) gets a fresh unusable one, which ends every
      session at once; the current request's session is carried over. Users with a usable
      local password keep it, and with it their sessions: the provider's password changed,
      not theirs.
    """
    current = request is not None and getattr(request, "user", None) is not None
    current = current and getattr(request.user, "pk", None) == user.pk  # type: ignore[union-attr]
    if apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authtoken.models import Token

        tokens = Token.objects.filter(user_id=user.pk)
        key = getattr(getattr(request, "auth", None), "key", None) if current else None
        (tokens.exclude(key=key) if key else tokens).delete()
    if apps.is_installed("rest_framework_simplejwt.token_blacklist"):
        _blacklist_refresh_tokens(user)
    if not user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
        if current and _session_user(request) == str(user.pk):
            update_session_auth_hash(request, user)  # type: ignore[arg-type]


def _blacklist_refresh_tokens(user: AbstractBaseUser) -> None:
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    # The stubs do not see these models' managers.
    outstanding = OutstandingToken._default_manager.filter(user_id=user.pk)
    for token in outstanding:
        BlacklistedToken._default_manager.get_or_create(token=token)


def _session_user(request: HttpRequest | None) -> str | None:
    """The user id the request's session is signed in as (None for token requests)."""
    session = getattr(request, "session", None)
    return None if session is None else str(session.get(SESSION_KEY, "")) or None
