"""Use cases: the only code that calls a provider, writes the app's models and sends its signals.

Order in every mutating flow: the caller has validated input; the provider is called outside any
database transaction; then the local state changes in one short transaction.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac

from . import codes, ratelimit, signals
from .breaker import GuardedProvider
from .conf import RELOAD_ON, get_settings
from .exceptions import (
    InvalidCode,
    NoPhone,
    NotAllowed,
    PhoneUnavailable,
    SessionExpired,
    UnknownAccount,
)
from .models import PhoneProfile
from .providers import load_provider
from .providers.base import CaptchaChallenge, PhoneAuthProvider, RemoteUser, SmsType
from .revocation import revoke_other_credentials
from .sync import link_remote_user

_lock = threading.Lock()
_provider: PhoneAuthProvider | None = None


def provider() -> PhoneAuthProvider:
    """The configured provider, built once per settings (one pooled client per process), behind
    the circuit breaker every worker shares."""
    global _provider
    with _lock:
        if _provider is None:
            _provider = cast(PhoneAuthProvider, GuardedProvider(load_provider()))
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


def phone_of_code(purpose: str, code: str) -> str:
    """The number whose live ``purpose`` code is ``code`` (the local provider's code store),
    for clients that send a code without its number; ``InvalidCode`` when none or several."""
    return codes.match_any(purpose, code)


@dataclass(frozen=True)
class SignupResult:
    """The local user, and whether the provider created the account just now."""

    user: AbstractBaseUser
    created: bool


def link(remote: RemoteUser, request: HttpRequest | None = None) -> AbstractBaseUser:
    """Announce a successful upstream authentication; the sync receiver returns the local user."""
    responses = signals.remote_user_authenticated.send(
        sender=PhoneAuthProvider, remote_user=remote, request=request
    )
    for handler, user in responses:
        if handler is link_remote_user:
            return cast(AbstractBaseUser, user)
    raise RuntimeError("django_lc_phone.sync.link_remote_user is not connected")


def profile_of(user: AbstractBaseUser) -> PhoneProfile | None:
    """The user's phone profile, if any (read now, and cached as ``user.lc_phone_profile``)."""
    profile = PhoneProfile.objects.filter(user_id=user.pk).first()
    if profile is not None:
        _attach(profile, user)
    return profile


def _attach(profile: PhoneProfile, user: AbstractBaseUser) -> None:
    """Cache ``profile`` on ``user`` (both ends of the one-to-one), so callers see it as is."""
    profile.user = user  # type: ignore[assignment]


# --- generic codes ------------------------------------------------------------------------


def ensure_send_allowed(sms_type: SmsType, template: str | None) -> None:
    """Refuse (``NotAllowed``) a template or a voice call the site does not offer."""
    conf = get_settings()
    if template is not None and template not in conf.SMS_TEMPLATES:
        raise NotAllowed()
    if sms_type == "voice" and not conf.ALLOW_VOICE:
        raise NotAllowed()


def send_code(
    phone: str,
    *,
    sms_type: SmsType = "sms",
    template: str | None = None,
    variables: Mapping[str, str] | None = None,
    validate_token: str | None = None,
) -> None:
    """Send a code, or a message from an allowlisted template."""
    ensure_send_allowed(sms_type, template)
    provider().send_code(
        phone,
        sms_type=sms_type,
        template=template,
        variables=variables,
        validate_token=validate_token,
    )


def check_code(phone: str, code: str) -> None:
    """Check and spend a generic code."""
    provider().check_code(phone, code)


# --- sign-up and login --------------------------------------------------------------------


def signup(
    phone: str,
    code: str,
    *,
    username: str | None = None,
    password: str | None = None,
    request: HttpRequest | None = None,
) -> SignupResult:
    """Sign up (or in) with a generic code; links or creates the local user."""
    remote, created = provider().signup_or_login(phone, code, username=username, password=password)
    return SignupResult(user=link(remote, request), created=created)


def login_with_code(phone: str, code: str, request: HttpRequest | None) -> AbstractBaseUser:
    """Sign in with a login code (used by the auth backend)."""
    return link(provider().login_with_code(phone, code), request)


def login_with_password(phone: str, password: str, request: HttpRequest | None) -> AbstractBaseUser:
    """Sign in with a password (used by the auth backend)."""
    return link(provider().login_with_password(phone, password), request)


def send_login_code(phone: str, *, validate_token: str | None = None) -> None:
    """Send a login code; says nothing about whether the number has an account."""
    with contextlib.suppress(UnknownAccount):
        provider().send_login_code(phone, validate_token=validate_token)


# --- password reset -----------------------------------------------------------------------


def send_password_reset_code(phone: str, *, validate_token: str | None = None) -> None:
    """Send a reset code; says nothing about whether the number has an account."""
    with contextlib.suppress(UnknownAccount):
        provider().send_password_reset_code(phone, validate_token=validate_token)


def reset_password(phone: str, code: str, password: str) -> None:
    """Set a new password; every session and token of the local user ends (nobody is signed
    in by a reset), and ``password_reset`` is sent once that is committed."""
    provider().reset_password(phone, code, password)
    with transaction.atomic():
        profile = PhoneProfile.objects.select_related("user").filter(phone=phone).first()
        user = profile.user if profile is not None else None
        if profile is not None:
            # The stored session died with the reset; the next login stores the new one.
            PhoneProfile.objects.filter(pk=profile.pk).update(lc_session_token="")
        if user is not None:
            revoke_other_credentials(user)
            _on_commit_revoked(user, "password_reset")
        transaction.on_commit(
            lambda: signals.password_reset.send(sender=PhoneProfile, user=user, phone=phone)
        )


def _on_commit_revoked(
    user: AbstractBaseUser, reason: str, request: HttpRequest | None = None
) -> None:
    transaction.on_commit(
        lambda: signals.credentials_revoked.send(
            sender=PhoneProfile, user=user, reason=reason, request=request
        )
    )


# --- phone verification and change --------------------------------------------------------


def _profile_with_phone(user: AbstractBaseUser) -> PhoneProfile:
    profile = profile_of(user)
    if profile is None or not profile.phone:
        raise NoPhone()
    return profile


def own_phone(user: AbstractBaseUser) -> str:
    """The user's phone number (``NoPhone`` when there is none)."""
    return _profile_with_phone(user).phone_e164


def phone_to_verify(user: AbstractBaseUser) -> str | None:
    """The user's phone when it still needs verifying; None when it is verified already."""
    profile = _profile_with_phone(user)
    return None if profile.phone_verified else profile.phone_e164


def own_session(user: AbstractBaseUser) -> None:
    """Refuse (``SessionExpired``) a user without a stored provider session."""
    _session_token(user)


def send_verification_code(phone: str, *, validate_token: str | None = None) -> None:
    """Send a verification code to ``phone``, a user's own number (see :func:`phone_to_verify`)."""
    # UnknownAccount: the provider has no such user; nothing was sent, and nothing to tell.
    with contextlib.suppress(UnknownAccount):
        provider().send_verification_code(phone, validate_token=validate_token)


def verify_phone(user: AbstractBaseUser, code: str) -> PhoneProfile:
    """Verify the user's phone with its code."""
    profile = _profile_with_phone(user)
    provider().verify_phone(profile.phone_e164, code)
    now = timezone.now()
    profile.phone_verified, profile.phone_verified_at, profile.last_synced_at = True, now, now
    profile.save(
        update_fields=["phone_verified", "phone_verified_at", "last_synced_at", "updated_at"]
    )
    signals.phone_verified.send(sender=PhoneProfile, user=user, phone=profile.phone_e164)
    return profile


def _session_token(user: AbstractBaseUser) -> str:
    profile = profile_of(user)
    if profile is None or not profile.lc_session_token:
        raise SessionExpired()
    return profile.lc_session_token


# How long a requested phone change stays pending (LeanCloud's change codes live 6 minutes).
_PENDING_CHANGE_TTL = 10 * 60


def _pending_change_key(user: AbstractBaseUser, phone: str) -> str:
    pair = salted_hmac(
        "django_lc_phone.pending_change", f"{user.pk}:{phone}", algorithm="sha256"
    ).hexdigest()
    return f"lc_phone:pending-change:{pair[:32]}"


def send_phone_change_code(
    user: AbstractBaseUser, phone: str, *, validate_token: str | None = None
) -> None:
    """Send a code to the new number; a taken number is only refused once the code is proven.

    The change is then pending for this user and this number: only they can confirm it."""
    token = _session_token(user)
    with contextlib.suppress(PhoneUnavailable):
        provider().send_phone_change_code(phone, session_token=token, validate_token=validate_token)
    # Also when the number is taken, so that nothing tells the two cases apart.
    ratelimit.cache().set(_pending_change_key(user, phone), 1, timeout=_PENDING_CHANGE_TTL)


def change_phone(
    user: AbstractBaseUser, phone: str, code: str, request: HttpRequest | None = None
) -> PhoneProfile:
    """Bind the new number; the old holder of a recycled number loses it locally, and the
    user's other sessions and tokens end (``request``'s own stay).

    Without a change pending for this user and number (a code asked for by someone else, or
    for another purpose), the code is refused here: the provider is not asked."""
    token = _session_token(user)
    if not ratelimit.cache().get(_pending_change_key(user, phone)):
        raise InvalidCode()
    provider().change_phone(phone, code, session_token=token)
    with transaction.atomic():
        profile = PhoneProfile.objects.select_for_update().get(user_id=user.pk)
        old_phone = profile.phone_e164 or None
        PhoneProfile.objects.filter(phone=phone).exclude(pk=profile.pk).update(
            phone=None, phone_verified=False, phone_verified_at=None
        )
        now = timezone.now()
        profile.phone = phone
        profile.phone_verified, profile.phone_verified_at = True, now
        profile.last_synced_at = now
        profile.save()
        revoke_other_credentials(user, request)
        _on_commit_revoked(user, "phone_changed", request)
    _attach(profile, user)
    signals.phone_changed.send(sender=PhoneProfile, user=user, old_phone=old_phone, new_phone=phone)
    return profile


# --- CAPTCHA and re-sync ------------------------------------------------------------------


def request_captcha() -> CaptchaChallenge:
    """A new CAPTCHA challenge."""
    return provider().request_captcha()


def verify_captcha(token: str, answer: str) -> str:
    """The ``validate_token`` for a solved challenge."""
    return provider().verify_captcha(token, answer)


def resync(profile: PhoneProfile) -> PhoneProfile:
    """Re-read the remote user and update the local profile (admin action)."""
    if not profile.lc_object_id:
        raise UnknownAccount()
    remote = provider().fetch_user(profile.lc_object_id)
    link_remote_user(sender=PhoneProfile, remote_user=remote)
    profile.refresh_from_db()
    return profile


def send_code_kwargs(data: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`send_code` from validated request data."""
    return {
        "sms_type": data.get("sms_type", "sms"),
        "template": data.get("template") or None,
        "variables": data.get("variables") or None,
        "validate_token": data.get("validate_token") or None,
    }
