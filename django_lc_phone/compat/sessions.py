"""LeanCloud-style session tokens for the compat endpoints: issued, checked, revoked, rotated.

A token looks like LeanCloud's (25 characters of ``[a-z0-9]``) and is shown once; the site
keeps only its SHA-256 (``CompatSession``). Each login issues a new token (LeanCloud reuses
one per user; a hash cannot be shown again). ``refreshSessionToken``, ``updatePassword`` and a
password reset end every session of the user; so does any ``credentials_revoked`` (a reset or a
phone change made through ``auth/phone/``), except the session that made a phone change through
compat.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.dispatch import receiver
from django.utils import timezone

from ..conf import get_settings
from ..leancloud.wire import SESSION_TOKEN_RE, new_session_token
from ..models import CompatSession
from ..signals import credentials_revoked
from . import LOCAL_PROVIDERS


def token_hash(token: str) -> str:
    """What is stored of a token: its SHA-256, hex (tokens are random: no salt is needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user: AbstractBaseUser) -> str:
    """A new session for ``user``; the token is returned once and never stored."""
    token = new_session_token()
    CompatSession.objects.create(user_id=user.pk, token_hash=token_hash(token))
    return token


def user_for(token: str | None) -> AbstractBaseUser | None:
    """The active user of a live session, or None; marks the session used."""
    if not token or not SESSION_TOKEN_RE.fullmatch(token):
        return None
    session = (
        CompatSession.objects.filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .only("pk", "user_id")
        .first()
    )
    if session is None:
        return None
    user: Any = get_user_model()._default_manager.filter(pk=session.user_id).first()
    if user is None or not getattr(user, "is_active", True):
        return None
    CompatSession.objects.filter(pk=session.pk).update(last_used_at=timezone.now())
    found: AbstractBaseUser = user
    return found


# The request attribute naming the compat session that survives a revocation it made.
_KEEP = "lc_compat_keep_session"


def revoke_all(user: AbstractBaseUser | Any, *, keep: str | None = None) -> int:
    """End every live session of ``user`` (but the one whose hash is ``keep``); how many ended."""
    live = CompatSession.objects.filter(user_id=user.pk, revoked_at__isnull=True)
    if keep is not None:
        live = live.exclude(token_hash=keep)
    return live.update(revoked_at=timezone.now())


def keep_on_revoke(request: Any, token: str | None) -> None:
    """Let ``token``'s session survive the ``credentials_revoked`` that ``request`` causes
    (a phone change keeps the caller's own session, as ``auth/phone/`` keeps its own)."""
    if token:
        setattr(request, _KEEP, token_hash(token))


def rotate(user: AbstractBaseUser) -> str:
    """End every session of ``user`` and issue a new one (``refreshSessionToken``)."""
    with transaction.atomic():
        revoke_all(user)
        return issue(user)


@receiver(credentials_revoked, dispatch_uid="django_lc_phone.compat.sessions.revoke")
def revoke_on_credentials_revoked(
    sender: Any, user: Any = None, request: Any = None, **kwargs: Any
) -> None:
    """A password reset or a phone change elsewhere ends the compat sessions too; the session
    that ``request`` made a phone change with (:func:`keep_on_revoke`) stays.

    Only with the local provider: compat sessions are issued and honoured with no other (every
    compat request checks it), so other sites pay no query for them."""
    if user is not None and get_settings().PROVIDER in LOCAL_PROVIDERS:
        revoke_all(user, keep=getattr(request, _KEEP, None))
