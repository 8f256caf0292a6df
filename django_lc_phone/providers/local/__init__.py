"""The local provider: every flow of the protocol with no LeanCloud at all.

Users are the site's own users and their PhoneProfiles; passwords use Django's hashers (so
imported LeanCloud hashes keep working through ``hashers.py``); codes come from ``codes.py``
and go out through the configured SMS gateway, behind that gateway's own circuit breaker (the
only remote call: a gateway outage never stops a password login); CAPTCHAs through the
configured verifier. New
users get an objectId-shaped id and a session token, so the identity the app and its signals
see has the same shape as with LeanCloud. ``LC_PHONE["PROVIDER"] = "local"`` selects it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import ngettext_lazy

from ... import signals
from ...conf import get_settings
from ...exceptions import (
    InvalidCode,
    InvalidCredentials,
    NotAllowed,
    PhoneUnavailable,
    SessionExpired,
    UnknownAccount,
    UsernameTaken,
)
from ...guards import breaker
from ...leancloud.wire import new_object_id, new_session_token
from ...models import PhoneProfile, profiles_with_user
from ...queries import OneRow
from ...sms import SmsMessage, get_gateway
from ...sms.base import Purpose
from ...usernames import local_username
from ..base import CaptchaChallenge, RemoteUser, SmsType, takes_keyword
from . import codes
from .captcha import get_verifier

if TYPE_CHECKING:
    from typing import Self

    from django.utils.functional import _StrPromise

# The texts of the codes, in the active language when the message is sent: the request's (with
# LocaleMiddleware), else LANGUAGE_CODE. Plural by ``ttl``.
_TEXTS: Mapping[Purpose, _StrPromise] = {
    "generic": ngettext_lazy(
        "Your verification code is %(code)s. It expires in %(ttl)d minute.",
        "Your verification code is %(code)s. It expires in %(ttl)d minutes.",
        "ttl",
    ),
    "login": ngettext_lazy(
        "Your login code is %(code)s. It expires in %(ttl)d minute.",
        "Your login code is %(code)s. It expires in %(ttl)d minutes.",
        "ttl",
    ),
    "verify_phone": ngettext_lazy(
        "Your code to verify this number is %(code)s. It expires in %(ttl)d minute.",
        "Your code to verify this number is %(code)s. It expires in %(ttl)d minutes.",
        "ttl",
    ),
    "reset_password": ngettext_lazy(
        "Your password reset code is %(code)s. It expires in %(ttl)d minute.",
        "Your password reset code is %(code)s. It expires in %(ttl)d minutes.",
        "ttl",
    ),
    "change_phone": ngettext_lazy(
        "Your code to use this number is %(code)s. It expires in %(ttl)d minute.",
        "Your code to use this number is %(code)s. It expires in %(ttl)d minutes.",
        "ttl",
    ),
}


def gateway_breaker() -> str:
    """The name of the configured SMS gateway's circuit breaker."""
    return f"sms:{get_settings().SMS_GATEWAY}"


def _remote(profile: PhoneProfile) -> RemoteUser:
    user = profile.user
    return RemoteUser(
        object_id=str(profile.lc_object_id),
        username=str(user.get_username()),
        phone=profile.phone_e164 or None,
        phone_verified=profile.phone_verified,
        session_token=profile.lc_session_token or None,
        profile=profile,
    )


# With the user's token (a sign-in hands it out next), compiled once (queries.OneRow).
_BY_PHONE: Final = OneRow(profiles_with_user, "phone")


def _profile(phone: str) -> PhoneProfile | None:
    return _BY_PHONE.get(phone)


def _verified_profile(phone: str) -> PhoneProfile:
    profile = _profile(phone)
    if profile is None or not profile.phone_verified:
        raise UnknownAccount()
    return profile


class LocalProvider:
    """Phone authentication with the site's own users, codes and SMS gateway."""

    # The users' passwords are the site's own: there is nothing to capture (services.capture).
    keeps_passwords: Final = True

    @classmethod
    def from_settings(cls) -> Self:
        """Nothing to build: the gateway and verifier are read when used."""
        return cls()

    # --- sending ----------------------------------------------------------------------------

    def _send(
        self,
        phone: str,
        purpose: Purpose,
        *,
        user: AbstractBaseUser | None = None,
        channel: SmsType = "sms",
        template: str | None = None,
        variables: Mapping[str, str] | None = None,
    ) -> None:
        gateway = get_gateway()
        if channel == "voice" and not gateway.supports_voice:
            raise NotAllowed("This SMS gateway cannot place voice calls.")
        code = codes.issue(phone, purpose, user)
        conf = get_settings()
        ttl = conf.CODE_TTL_MINUTES
        message = SmsMessage(
            phone=phone,
            purpose=purpose,
            text=_TEXTS[purpose] % {"code": code, "ttl": ttl},
            code=code,
            template=template,
            variables=dict(variables or {}),
            channel=channel,
            ttl_minutes=ttl,
        )
        breaker.call(lambda: gateway.send(message), gateway_breaker())

    def send_code(
        self,
        phone: str,
        *,
        sms_type: SmsType = "sms",
        template: str | None = None,
        variables: Mapping[str, str] | None = None,
        validate_token: str | None = None,
    ) -> None:
        """A generic code (CAPTCHA tokens are checked by the app's limits, not here)."""
        self._send(phone, "generic", channel=sms_type, template=template, variables=variables)

    def check_code(self, phone: str, code: str) -> None:
        """Spend a generic code."""
        codes.spend(phone, "generic", code)

    # --- sign-up and login ------------------------------------------------------------------

    def signup_or_login(
        self, phone: str, code: str, *, username: str | None = None, password: str | None = None
    ) -> tuple[RemoteUser, bool]:
        """Spend the code, then sign the number's user in, creating it when there is none."""
        codes.spend(phone, "generic", code)
        profile = _profile(phone)
        if profile is not None and profile.user_id is not None:
            self._mark_verified(profile)
            return _remote(self._with_session(profile)), False
        try:
            return _remote(self._create(phone, username, password)), True
        except IntegrityError:  # a concurrent sign-up of the same number won
            profile = _profile(phone)
            if profile is None:
                raise
            return _remote(self._with_session(profile)), False

    def _create(self, phone: str, username: str | None, password: str | None) -> PhoneProfile:
        user_model = get_user_model()
        object_id = new_object_id()
        name = local_username(username=username, phone=phone, object_id=object_id)
        if username and name != username:
            raise UsernameTaken()
        with transaction.atomic():
            user = user_model(**{user_model.USERNAME_FIELD: name})
            if password:
                user.set_password(password)
            else:
                user.set_unusable_password()
            user.save()
            now = timezone.now()
            profile = PhoneProfile.objects.create(
                user=user,
                phone=phone,
                phone_verified=True,
                phone_verified_at=now,
                lc_object_id=object_id,
                lc_session_token=new_session_token(),
                last_synced_at=now,
            )
        remote = _remote(profile)
        signals.phone_user_created.send(sender=PhoneProfile, user=user, remote_user=remote)
        return profile

    def _mark_verified(self, profile: PhoneProfile) -> None:
        if not profile.phone_verified:  # a code to the number proves it, as with LeanCloud
            profile.phone_verified, profile.phone_verified_at = True, timezone.now()
            profile.save(update_fields=["phone_verified", "phone_verified_at", "updated_at"])

    def _with_session(self, profile: PhoneProfile) -> PhoneProfile:
        """The profile, with an objectId and a session token (``complete_identity``)."""
        profile.complete_identity()
        return profile

    def send_login_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """A login code, for a verified number with an account (``UnknownAccount`` otherwise,
        as LeanCloud's 213 and 215)."""
        _verified_profile(phone)
        self._send(phone, "login")

    def login_with_code(self, phone: str, code: str) -> RemoteUser:
        """Spend a login code."""
        codes.spend(phone, "login", code)
        profile = _profile(phone)
        if profile is None:
            raise InvalidCode()
        self._mark_verified(profile)
        return _remote(self._with_session(profile))

    def login_with_password(self, phone: str, password: str) -> RemoteUser:
        """Check the password with Django's hashers (an old hash is upgraded on success)."""
        profile = _profile(phone)
        if profile is None:
            # The same work for an unknown number as for a wrong password (Django's #20760).
            get_user_model()().set_password(password)
            raise InvalidCredentials()
        if not profile.user.check_password(password):
            raise InvalidCredentials()
        return _remote(self._with_session(profile))

    # --- password reset ---------------------------------------------------------------------

    def send_password_reset_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """A reset code, for a verified number with an account."""
        _verified_profile(phone)
        self._send(phone, "reset_password")

    def reset_password(self, phone: str, code: str, password: str) -> None:
        """Spend the code and set the password; the session token is rotated."""
        codes.spend(phone, "reset_password", code)
        profile = _profile(phone)
        if profile is None:
            raise InvalidCode()
        profile.user.set_password(password)
        profile.user.save(update_fields=["password"])
        profile.lc_session_token = ""
        profile.save(update_fields=["lc_session_token", "updated_at"])

    # --- phone verification and change ------------------------------------------------------

    def send_verification_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """A code to verify the number of the account that has it."""
        if _profile(phone) is None:
            raise UnknownAccount()
        self._send(phone, "verify_phone")

    def verify_phone(self, phone: str, code: str) -> None:
        """Spend a verification code (the app marks the profile verified)."""
        codes.spend(phone, "verify_phone", code)

    def number_of_code(self, purpose: str, code: str) -> str:
        """The number whose live ``purpose`` code is ``code`` (``KeepsCodes``; not spent)."""
        return codes.match_any(purpose, code)

    def _by_session(self, session_token: str) -> PhoneProfile:
        profile = (
            PhoneProfile.objects.select_related("user")
            .filter(lc_session_token=session_token)
            .exclude(lc_session_token="")
            .first()
        )
        if profile is None:
            raise SessionExpired()
        return profile

    def send_phone_change_code(
        self, phone: str, *, session_token: str, validate_token: str | None = None
    ) -> None:
        """A code to the new number, bound to the user; a taken number gets nothing."""
        profile = self._by_session(session_token)
        owner = _profile(phone)
        if owner is not None and owner.pk != profile.pk:
            raise PhoneUnavailable()
        self._send(phone, "change_phone", user=profile.user)

    def change_phone(self, phone: str, code: str, *, session_token: str) -> None:
        """Spend the user's change code; a number taken meanwhile is refused."""
        profile = self._by_session(session_token)
        codes.spend(phone, "change_phone", code, profile.user)
        owner = _profile(phone)
        if owner is not None and owner.pk != profile.pk:
            raise PhoneUnavailable()

    def send_notice(
        self, phone: str, *, text: str, template: str, variables: Mapping[str, str]
    ) -> None:
        """A notice with no code (``SendsNotices``): ``text`` for gateways that send text,
        ``template`` (a key of the gateway's ``templates``) and ``variables`` for the others."""
        gateway = get_gateway()
        message = SmsMessage(
            phone=phone,
            purpose="change_phone",
            text=text,
            template=template,
            variables=dict(variables),
        )
        breaker.call(lambda: gateway.send(message), gateway_breaker())

    # --- CAPTCHA and users ------------------------------------------------------------------

    def request_captcha(self) -> CaptchaChallenge:
        """A challenge from the configured verifier."""
        return get_verifier().challenge()

    def verify_captcha(self, token: str, answer: str, *, remote_ip: str | None = None) -> str:
        """A ``validate_token`` for a right answer (a vendor's verifier sends it ``remote_ip``;
        a verifier of the site's own from before ``remote_ip`` is called without it)."""
        verify = get_verifier().verify
        if takes_keyword(verify, "remote_ip"):
            return verify(token, answer, remote_ip=remote_ip)
        return verify(token, answer)

    def fetch_user(self, object_id: str) -> RemoteUser:
        """The user as the site has it."""
        profile = PhoneProfile.objects.select_related("user").filter(lc_object_id=object_id)
        found = profile.first()
        if found is None:
            raise UnknownAccount()
        return _remote(found)
