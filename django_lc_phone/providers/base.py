"""The provider protocol: every phone flow, in the app's terms, plus the ``RemoteUser`` value.

A provider raises only the errors of ``django_lc_phone.exceptions``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

if TYPE_CHECKING:
    from typing import Self

SmsType = Literal["sms", "voice"]


@dataclass(frozen=True)
class RemoteUser:
    """A user as the provider knows it. ``session_token`` is a bearer secret: never log it.

    ``profile`` is the local ``PhoneProfile`` this user was read from, when the provider keeps
    its users in the site's database (the local provider): the sync links it without reading
    the row again."""

    object_id: str
    username: str | None
    phone: str | None
    phone_verified: bool
    session_token: str | None = field(default=None, repr=False)
    profile: object | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class CaptchaChallenge:
    """A CAPTCHA to show. ``verifier`` says which: ``"image"`` (answer with ``token`` and the
    text in the image at ``url``), or a vendor's widget (``"turnstile"``, ``"hcaptcha"``,
    ``"recaptcha_v2"``, ``"recaptcha_v3"``, ``"tencent"``) to render with ``site_key`` (and,
    for reCAPTCHA v3, ``action``), whose response is the answer; a widget has no token or URL."""

    token: str = ""
    url: str = ""
    verifier: str = "image"
    site_key: str = ""
    action: str = ""


def takes_keyword(method: Callable[..., object], name: str) -> bool:
    """Whether ``method`` accepts the keyword argument ``name``: a provider or a CAPTCHA
    verifier of a site's own, written before ``remote_ip`` was passed, is still called
    without it rather than failing."""
    try:
        parameters = inspect.signature(method).parameters.values()
    except (TypeError, ValueError):  # no signature to read: call it as it always was
        return False
    return any(p.name == name or p.kind is p.VAR_KEYWORD for p in parameters)


@runtime_checkable
class PhoneAuthProvider(Protocol):
    """The flows of LeanCloud's SMS REST API, with phones in E.164."""

    @classmethod
    def from_settings(cls) -> Self:
        """Build the provider from ``LC_PHONE``."""

    def send_code(
        self,
        phone: str,
        *,
        sms_type: SmsType = "sms",
        template: str | None = None,
        variables: Mapping[str, str] | None = None,
        validate_token: str | None = None,
    ) -> None:
        """Send a generic code (or a template message)."""

    def check_code(self, phone: str, code: str) -> None:
        """Check and spend a generic code."""

    def signup_or_login(
        self, phone: str, code: str, *, username: str | None = None, password: str | None = None
    ) -> tuple[RemoteUser, bool]:
        """Sign the phone's user in with a generic code, creating it if needed; (user, created)."""

    def send_login_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """Send a login code to an existing, verified phone (``UnknownAccount`` otherwise)."""

    def login_with_code(self, phone: str, code: str) -> RemoteUser:
        """Sign in with a login code."""

    def login_with_password(self, phone: str, password: str) -> RemoteUser:
        """Sign in with the phone and password."""

    def send_password_reset_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """Send a password-reset code (``UnknownAccount`` for unknown or unverified phones)."""

    def reset_password(self, phone: str, code: str, password: str) -> None:
        """Set a new password with a reset code; the provider revokes the old sessions."""

    def send_verification_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """Send a code that verifies the phone of the account that has it."""

    def verify_phone(self, phone: str, code: str) -> None:
        """Mark the phone verified with its code."""

    def send_phone_change_code(
        self, phone: str, *, session_token: str, validate_token: str | None = None
    ) -> None:
        """Send a code to the new number of the signed-in user."""

    def change_phone(self, phone: str, code: str, *, session_token: str) -> None:
        """Bind the new number once its code is confirmed."""

    def request_captcha(self) -> CaptchaChallenge:
        """A new CAPTCHA challenge."""

    def verify_captcha(self, token: str, answer: str, *, remote_ip: str | None = None) -> str:
        """The ``validate_token`` for a solved challenge; ``remote_ip`` is the client's
        address, for verifiers that send it on to their vendor."""

    def fetch_user(self, object_id: str) -> RemoteUser:
        """The provider's current view of a user (for re-syncing)."""


@runtime_checkable
class KeepsCodes(Protocol):
    """A provider that keeps the codes it sends (the local one), so it can tell which number
    a code was sent to: for clients that send a code without its number (LeanCloud's JS SDK
    before 4.15.3 does). LeanCloud cannot: it is asked with the number."""

    def number_of_code(self, purpose: str, code: str) -> str:
        """The number whose live ``purpose`` code is ``code``, without spending it;
        ``InvalidCode`` when none, or more than one, matches."""


@runtime_checkable
class SendsNotices(Protocol):
    """A provider that sends a notice (no code) itself: the local one, through its gateway.
    Another is asked for a template message with ``send_code`` (LeanCloud's
    ``requestSmsCode`` with a ``template``, a notification template with no code in it)."""

    def send_notice(
        self, phone: str, *, text: str, template: str, variables: Mapping[str, str]
    ) -> None:
        """Send ``text`` (gateways that send text) or ``template`` with ``variables``."""


@runtime_checkable
class ChangesPasswords(Protocol):
    """A provider that holds the passwords itself (LeanCloud), so a signed-in user's password
    change is its to make. The local provider's passwords are the site's own users'."""

    def change_password(
        self, object_id: str, old_password: str, new_password: str, *, session_token: str
    ) -> str:
        """Change the password of the user ``session_token`` belongs to; its new session
        token. ``InvalidCredentials`` for a wrong old password, ``SessionExpired`` for a
        session the provider no longer accepts."""
