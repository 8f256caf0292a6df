"""Ending a user's sessions and tokens after a password reset or a phone change.

- DRF tokens (``rest_framework.authtoken``) are deleted, all of them: the one user token is
  shared by every device, so keeping the caller's would keep everyone's; the caller of a phone
  change gets a new one from its token issuer (``tokens.py``, ``rotate()``).
- SimpleJWT refresh tokens are blacklisted when its ``token_blacklist`` app is installed
  (access tokens live out their short lifetime); the caller gets a new pair.
- Django sessions: each session a user signs in with is recorded (``SignedInSession``, from
  ``user_logged_in``) and ended by key through the session engine; the caller's own session
  stays, under a new key. A phone user with no usable local password also gets a fresh
  unusable one, which ends the sessions Django ties to the old hash, recorded or not (those
  of signed-cookie sessions, say).
"""

from __future__ import annotations

from datetime import timedelta
from importlib import import_module
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth import SESSION_KEY, update_session_auth_hash, user_logged_in
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from .models import SignedInSession


def revoke_other_credentials(user: AbstractBaseUser, request: HttpRequest | None = None) -> None:
    """End every session and token of ``user``; the session ``request`` is signed in with as
    that user stays, under a new key (its DRF token does not: ask the issuer for a new one)."""
    if apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=user.pk).delete()
    if apps.is_installed("rest_framework_simplejwt.token_blacklist"):
        _blacklist_refresh_tokens(user)
    current = _session_key(request, user)
    _end_sessions(user, keep=current)
    if not user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if current is not None and request is not None:
        update_session_auth_hash(request, user)  # type: ignore[arg-type]  # a new key, the new hash
        _record(user, request.session.session_key)
        SignedInSession.objects.filter(session_key=current).delete()


def _end_sessions(user: AbstractBaseUser, *, keep: str | None) -> None:
    """End the recorded sessions of ``user`` but ``keep``, in whichever engine holds them."""
    recorded = SignedInSession.objects.filter(user_id=user.pk)
    if keep is not None:
        recorded = recorded.exclude(session_key=keep)
    keys = list(recorded.values_list("session_key", flat=True))
    if not keys:
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()
    SignedInSession.objects.filter(session_key__in=keys).delete()


def _blacklist_refresh_tokens(user: AbstractBaseUser) -> None:
    from rest_framework_simplejwt.token_blacklist.models import (
        BlacklistedToken,
        OutstandingToken,
    )

    # The stubs do not see these models' managers.
    outstanding = OutstandingToken._default_manager.filter(user_id=user.pk)
    for token in outstanding:
        BlacklistedToken._default_manager.get_or_create(token=token)


def _session_key(request: HttpRequest | None, user: Any) -> str | None:
    """The key of the session ``request`` is signed in with as ``user`` (None for token
    requests, anonymous sessions and signed-cookie sessions)."""
    session = getattr(request, "session", None)
    if session is None or str(session.get(SESSION_KEY, "")) != str(user.pk):
        return None
    key = session.session_key
    return str(key) if key else None


def _record(user: AbstractBaseUser, key: str | None) -> None:
    if not key:
        return
    SignedInSession.objects.get_or_create(session_key=key, defaults={"user_id": user.pk})
    # Sessions older than any session can live have expired on their own: forget them.
    oldest = timezone.now() - timedelta(seconds=settings.SESSION_COOKIE_AGE)
    SignedInSession.objects.filter(user_id=user.pk, created_at__lt=oldest).delete()


@receiver(user_logged_in, dispatch_uid="django_lc_phone.revocation.record_session")
def record_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Record the session a user signed in with (not a token sign-in's anonymous session)."""
    # A session sign-in has written the session (login()); a token sign-in has not touched
    # it, and reading it now would cost a query for any session cookie the client sends.
    if user is not None and getattr(getattr(request, "session", None), "accessed", False):
        _record(user, _session_key(request, user))


@receiver(user_logged_out, dispatch_uid="django_lc_phone.revocation.forget_session")
def forget_session(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Forget a session its user signed out of (Django flushes it)."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    if key:
        SignedInSession.objects.filter(session_key=key).delete()
