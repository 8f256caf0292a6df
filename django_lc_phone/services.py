"""Use cases: the only code that calls a provider, writes the app's models and sends its signals.

Order in every mutating flow: the caller has validated input; the provider is called outside any
database transaction; then the local state changes in one short transaction. Code sends that
depend on whether a number has an account (login, reset, a phone change, a verification asked
for by number) leave the request through ``deliveries`` (:func:`deliver_code`), so neither the
answer nor its timing tells who has one.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac

from . import deliveries, signals
from .conf import RELOAD_ON, get_settings
from .exceptions import (
    AlreadyVerified,
    InvalidCode,
    LcPhoneError,
    NoPhone,
    NotAllowed,
    PhoneUnavailable,
    SamePhone,
    SessionExpired,
    UnknownAccount,
)
from .guards import windows as ratelimit
from .guards.limits import AccountLock
from .models import PhoneProfile
from .providers import load_provider
from .providers.base import (
    CaptchaChallenge,
    PhoneAuthProvider,
    RemoteUser,
    SmsType,
)
from .providers.local import codes
from .redaction import mask_phone
from .revocation import revoke_other_credentials
from .sync import link_remote_user
from .usernames import follow_phone

logger = logging.getLogger("django_lc_phone.security")

_lock = threading.Lock()
_provider: PhoneAuthProvider | None = None


def provider() -> PhoneAuthProvider:
    """The configured provider, built once per settings (one pooled client per process); its
    remote calls go through their circuit breakers (``breaker.py``)."""
    global _provider
    with _lock:
        if _provider is None:
            _provider = load_provider()
        return _provider


def login_lock() -> AccountLock | None:
    """The provider's own lock on failed logins (LeanCloud's), which the limits stay below."""
    lock = getattr(provider(), "login_lock", None)
    return lock if isinstance(lock, AccountLock) else None


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
    """Sign up (or in) with a generic code; links or creates the local user. A deactivated
    user is refused as a wrong code is (``InvalidCode``): no token, session or login signal."""
    remote, created = provider().signup_or_login(phone, code, username=username, password=password)
    user = link(remote, request)
    if not getattr(user, "is_active", True):
        raise InvalidCode()
    return SignupResult(user=user, created=created)


def login_with_code(phone: str, code: str, request: HttpRequest | None) -> AbstractBaseUser:
    """Sign in with a login code (used by the auth backend)."""
    return link(provider().login_with_code(phone, code), request)


def login_with_password(phone: str, password: str, request: HttpRequest | None) -> AbstractBaseUser:
    """Sign in with a password (used by the auth backend)."""
    return link(provider().login_with_password(phone, password), request)


def send_login_code(phone: str, *, validate_token: str | None = None) -> None:
    """Send a login code, outside the request: nothing tells whether the number has an
    account."""
    _deliver("login", phone, validate_token)


# --- password reset -----------------------------------------------------------------------


def send_password_reset_code(phone: str, *, validate_token: str | None = None) -> None:
    """Send a reset code, outside the request: nothing tells whether the number has an
    account."""
    _deliver("reset_password", phone, validate_token)


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


def phone_to_verify(user: AbstractBaseUser) -> str:
    """The user's phone, which still needs verifying (``AlreadyVerified`` when it does not)."""
    profile = _profile_with_phone(user)
    if profile.phone_verified:
        raise AlreadyVerified(phone=profile.phone_e164)
    return profile.phone_e164


def send_verification_code(phone: str, *, validate_token: str | None = None) -> None:
    """Send a verification code to ``phone``, a user's own number (see :func:`phone_to_verify`)."""
    # UnknownAccount: the provider has no such user; nothing was sent, and nothing to tell.
    with contextlib.suppress(UnknownAccount):
        provider().send_verification_code(phone, validate_token=validate_token)


def send_verification_code_to_number(phone: str, *, validate_token: str | None = None) -> None:
    """Send a verification code to ``phone`` if an account has it unverified (compat's
    ``requestMobilePhoneVerify``, which anybody may call), outside the request: nothing tells
    whether it has an account, or a verified one."""
    _deliver("verify_phone", phone, validate_token)


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


def prepare_phone_change(user: AbstractBaseUser, phone: str) -> None:
    """Refuse a change before any budget is spent: to the number the user has already
    (``SamePhone``), or without a stored provider session to act as the user with
    (``SessionExpired``)."""
    profile = profile_of(user)
    if profile is not None and profile.phone_e164 == phone:
        raise SamePhone()
    if profile is None or not profile.lc_session_token:
        raise SessionExpired()


def send_phone_change_code(
    user: AbstractBaseUser, phone: str, *, validate_token: str | None = None
) -> None:
    """Send a code to the new number (checked by :func:`prepare_phone_change`), outside the
    request: a number another account has gets none and is refused only once its code is
    proven, and nothing in the answer or its timing tells the two apart.

    The change is then pending for this user and this number: only they can confirm it."""
    ratelimit.cache().set(_pending_change_key(user, phone), 1, timeout=_PENDING_CHANGE_TTL)
    _deliver("change_phone", phone, validate_token, user_id=str(user.pk))


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
        follow_phone(user, old_phone, phone, str(profile.lc_object_id or user.pk))
        revoke_other_credentials(user, request)
        _on_commit_revoked(user, "phone_changed", request)
    _attach(profile, user)
    signals.phone_changed.send(sender=PhoneProfile, user=user, old_phone=old_phone, new_phone=phone)
    return profile


# --- sends outside the request -------------------------------------------------------------


def _deliver(
    flow: str, phone: str, validate_token: str | None, *, user_id: str | None = None
) -> None:
    """Hand one account-dependent send to ``deliveries`` (the request's language goes along,
    for the local provider's message text)."""
    deliveries.submit(
        deliver_code,
        flow=flow,
        phone=phone,
        validate_token=validate_token,
        language=translation.get_language(),
        user_id=user_id,
    )


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
    token = _session_token(user)
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
