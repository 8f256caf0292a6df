"""The provider the use cases call, and what they share: linking a remote user to its local
one, and a user's phone profile and stored provider session."""

from __future__ import annotations

import threading
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest

from .. import signals
from ..conf import RELOAD_ON
from ..exceptions import SessionExpired
from ..guards.limits import AccountLock
from ..models import PhoneProfile
from ..providers import load_provider
from ..providers.base import PhoneAuthProvider, RemoteUser
from ..sync import link_remote_user

_lock = threading.Lock()
_provider: PhoneAuthProvider | None = None


def provider() -> PhoneAuthProvider:
    """The configured provider, built once per settings (one pooled client per process); its
    remote calls go through their circuit breakers (``guards/breaker.py``)."""
    global _provider
    with _lock:
        if _provider is None:
            _provider = load_provider()
        return _provider


def reset_provider() -> None:
    """Forget the provider (the settings changed)."""
    global _provider
    with _lock:
        _provider = None


@receiver(setting_changed, dispatch_uid="django_lc_phone.services.reset_provider")
def _settings_changed(*, setting: str, **kwargs: Any) -> None:
    if setting in RELOAD_ON:
        reset_provider()


def login_lock() -> AccountLock | None:
    """The provider's own lock on failed logins (LeanCloud's), which the limits stay below."""
    lock = getattr(provider(), "login_lock", None)
    return lock if isinstance(lock, AccountLock) else None


def link(remote: RemoteUser, request: HttpRequest | None = None) -> AbstractBaseUser:
    """The local user of a remote user that just authenticated (linked or created by
    ``sync``), then announced: ``remote_user_authenticated`` is a notice for other apps."""
    user = link_remote_user(remote)
    signals.remote_user_authenticated.send(
        sender=PhoneAuthProvider, remote_user=remote, request=request, user=user
    )
    return user


def profile_of(user: AbstractBaseUser) -> PhoneProfile | None:
    """The user's phone profile, if any (read now, and cached as ``user.lc_phone_profile``)."""
    profile = PhoneProfile.objects.filter(user_id=user.pk).first()
    if profile is not None:
        attach(profile, user)
    return profile


def known_profile(user: AbstractBaseUser) -> PhoneProfile | None:
    """The user's phone profile as this request has it already (a sign-in just read it), else
    read now."""
    state = getattr(user, "_state", None)
    cached = state.fields_cache.get("lc_phone_profile") if state is not None else None
    return cached if isinstance(cached, PhoneProfile) else profile_of(user)


def attach(profile: PhoneProfile, user: AbstractBaseUser) -> None:
    """Cache ``profile`` on ``user`` (both ends of the one-to-one), so callers see it as is."""
    profile.user = user  # type: ignore[assignment]


def session_token(user: AbstractBaseUser) -> str:
    """The provider session stored for ``user`` (``SessionExpired`` when there is none)."""
    profile = profile_of(user)
    if profile is None or not profile.lc_session_token:
        raise SessionExpired()
    return profile.lc_session_token
