"""The LeanCloud provider: the step-1 client behind the provider protocol.

This module is the only place where LeanCloud's errors become the app's errors (one table),
always with ``raise ... from``. Every call to LeanCloud goes through the ``"leancloud"``
circuit breaker.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, TypeVar

if TYPE_CHECKING:
    from typing import Self

import requests
from django.utils.module_loading import import_string

from .. import exceptions as domain
from ..conf import get_settings
from ..guards import breaker
from ..guards.limits import AccountLock
from ..leancloud import (
    LeanCloudAccountLocked,
    LeanCloudAlreadyTaken,
    LeanCloudAuthError,
    LeanCloudBadResponse,
    LeanCloudCaptchaError,
    LeanCloudClient,
    LeanCloudConnectionError,
    LeanCloudError,
    LeanCloudInvalidArgument,
    LeanCloudInvalidCode,
    LeanCloudInvalidField,
    LeanCloudInvalidPhone,
    LeanCloudMasterKeyMissing,
    LeanCloudNotVerified,
    LeanCloudPasswordMismatch,
    LeanCloudQuotaExceeded,
    LeanCloudRateLimited,
    LeanCloudServiceDisabled,
    LeanCloudSessionRequired,
    LeanCloudSmsRejected,
    LeanCloudTimeout,
    LeanCloudUnavailable,
    LeanCloudUserNotFound,
    RetryPolicy,
)
from ..leancloud.wire import LOGIN_LOCK_FAILURES, LOGIN_LOCK_SECONDS, Code
from . import leancloud_testnumbers as fixed
from .base import CaptchaChallenge, RemoteUser, SmsType
from .leancloud_testnumbers import remote as _remote
from .testnumbers import checked_here

T = TypeVar("T")

# LeanCloud's rate-limit answers give no wait; its per-number windows are a minute long.
_SMS_RETRY_AFTER: Final = 60.0
_LOCK_RETRY_AFTER: Final = float(LOGIN_LOCK_SECONDS)
# The breaker every call to LeanCloud goes through.
BREAKER: Final = "leancloud"

# The one table from LeanCloud's errors to the app's, most specific class first. Flows adjust
# a few meanings below (e.g. 211/213 on a login is just "invalid credentials").
_TRANSLATION: Final[
    tuple[tuple[type[LeanCloudError], Callable[[LeanCloudError], Exception]], ...]
] = (
    (LeanCloudMasterKeyMissing, lambda e: domain.ProviderMisconfigured()),
    (LeanCloudInvalidArgument, lambda e: domain.InvalidCode()),
    (LeanCloudTimeout, lambda e: _timeout_or_unavailable(e)),
    # Refused, unreachable, or dropped with no answer at all: the service is not there (503).
    # Nothing was answered, so nothing invalid was answered (502 is for bad answers).
    (LeanCloudConnectionError, lambda e: domain.ProviderUnavailable(maybe_sent=e.request_sent)),
    (LeanCloudBadResponse, lambda e: domain.BadProviderResponse()),
    (LeanCloudInvalidCode, lambda e: domain.InvalidCode()),
    (LeanCloudRateLimited, lambda e: domain.SendThrottled(retry_after=_SMS_RETRY_AFTER)),
    (LeanCloudAccountLocked, lambda e: domain.TooManyAttempts(retry_after=_LOCK_RETRY_AFTER)),
    (LeanCloudInvalidPhone, lambda e: domain.InvalidPhoneNumber()),
    (LeanCloudPasswordMismatch, lambda e: domain.InvalidCredentials()),
    (LeanCloudUserNotFound, lambda e: domain.UnknownAccount()),
    (LeanCloudNotVerified, lambda e: domain.UnknownAccount()),
    (LeanCloudAlreadyTaken, lambda e: domain.PhoneUnavailable()),
    (LeanCloudCaptchaError, lambda e: _captcha_error(e)),
    (LeanCloudSmsRejected, lambda e: _sms_rejected(e)),
    (LeanCloudQuotaExceeded, lambda e: domain.SmsNotDelivered()),
    (LeanCloudSessionRequired, lambda e: domain.SessionExpired()),
    (LeanCloudInvalidField, lambda e: domain.InvalidCredentials()),
    # Ours to fix, not the client's: switched-off services and rejected keys.
    (LeanCloudServiceDisabled, lambda e: domain.ProviderUnavailable()),
    (LeanCloudAuthError, lambda e: domain.ProviderUnavailable()),
    # 124: LeanCloud gave up on its own backend in time; like our read timeout, a 504.
    (
        LeanCloudUnavailable,
        lambda e: (
            domain.ProviderTimeout() if e.code == Code.TIMEOUT else domain.ProviderUnavailable()
        ),
    ),
    (LeanCloudError, lambda e: domain.BadProviderResponse()),
)


def _timeout_or_unavailable(error: LeanCloudError) -> Exception:
    return domain.ProviderTimeout() if error.request_sent else domain.ProviderUnavailable()


def _sms_rejected(error: LeanCloudError) -> Exception:
    # 606: the variables do not fill the template, which the client sent; the rest is ours.
    if error.code == Code.SMS_TEMPLATE_RENDER_FAILED:
        return domain.InvalidTemplateVariables()
    return domain.SmsNotDelivered()


def _captcha_error(error: LeanCloudError) -> Exception:
    if error.code == Code.CAPTCHA_TOKEN_MISSING:
        return domain.CaptchaRequired()
    return domain.InvalidCaptcha()


def translate(error: LeanCloudError) -> Exception:
    """The app's error for a LeanCloud error."""
    for cls, make in _TRANSLATION:
        if isinstance(error, cls):
            return make(error)
    raise AssertionError("LeanCloudError is the last row")  # pragma: no cover


def _call(action: Callable[[], T], *, session_bound: bool = False) -> T:
    """``action`` (one call to LeanCloud) through the breaker, its errors translated."""
    return breaker.call(lambda: _translated(action, session_bound), BREAKER)


def _translated(action: Callable[[], T], session_bound: bool) -> T:
    try:
        return action()
    except LeanCloudUserNotFound as exc:
        if session_bound:  # 211 on a session call: the stored token no longer works
            raise domain.SessionExpired() from exc
        raise translate(exc) from exc
    except LeanCloudError as exc:
        raise translate(exc) from exc


class LeanCloudProvider:
    """Phone authentication through LeanCloud's REST API. A test number's code is checked
    here, never sent to LeanCloud (``checked_here``; ``leancloud_testnumbers``)."""

    # LeanCloud locks an account after more than six failed logins in 15 minutes: the app's
    # limits let fewer through (limits.attempt).
    login_lock: Final = AccountLock(failures=LOGIN_LOCK_FAILURES, seconds=LOGIN_LOCK_SECONDS)

    def __init__(self, client: LeanCloudClient, *, sms_use_master_key: bool = False) -> None:
        self.client = client
        self.sms_use_master_key = sms_use_master_key

    call = staticmethod(_call)  # for leancloud_testnumbers

    @classmethod
    def from_settings(cls) -> Self:
        """A provider with one pooled client built from ``LC_PHONE``."""
        conf = get_settings()
        session: requests.Session | None = None
        if conf.HTTP_SESSION_FACTORY:
            session = import_string(conf.HTTP_SESSION_FACTORY)()
        client = LeanCloudClient(
            conf.APP_ID,
            conf.APP_KEY,
            master_key=conf.MASTER_KEY or None,
            server_url=conf.SERVER_URL,
            connect_timeout=conf.CONNECT_TIMEOUT,
            read_timeout=conf.READ_TIMEOUT,
            retry=RetryPolicy(max_connect_retries=conf.MAX_CONNECT_RETRIES),
            pool_maxsize=conf.POOL_MAXSIZE,
            session=session,
        )
        return cls(client, sms_use_master_key=conf.SMS_USE_MASTER_KEY)

    # --- generic codes ----------------------------------------------------------------------

    def send_code(
        self,
        phone: str,
        *,
        sms_type: SmsType = "sms",
        template: str | None = None,
        variables: Mapping[str, str] | None = None,
        validate_token: str | None = None,
    ) -> None:
        """``requestSmsCode``."""
        sign = get_settings().SMS_SIGN
        _call(
            lambda: self.client.request_sms_code(
                phone,
                sms_type=sms_type,
                template=template,
                sign=sign,
                variables=variables,
                validate_token=validate_token,
                use_master_key=self.sms_use_master_key,
            )
        )

    @checked_here(fixed.nothing)
    def check_code(self, phone: str, code: str) -> None:
        """``verifySmsCode``."""
        master = self.sms_use_master_key
        _call(lambda: self.client.verify_sms_code(phone, code, use_master_key=master))

    # --- sign-up and login ------------------------------------------------------------------

    @checked_here(fixed.signup_or_login)
    def signup_or_login(
        self, phone: str, code: str, *, username: str | None = None, password: str | None = None
    ) -> tuple[RemoteUser, bool]:
        """``usersByMobilePhone``; a taken username is ``UsernameTaken``."""
        try:
            result = _call(
                lambda: self.client.signup_or_login_by_mobile_phone(
                    phone, code, username=username, password=password
                )
            )
        except domain.PhoneUnavailable as exc:
            cause = exc.__cause__
            if isinstance(cause, LeanCloudError) and cause.code == Code.USERNAME_TAKEN:
                raise domain.UsernameTaken() from cause
            raise
        return _remote(result.user), result.created

    def send_login_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """``requestLoginSmsCode``."""
        _call(lambda: self.client.request_login_sms_code(phone, validate_token=validate_token))

    @checked_here(fixed.login)
    def login_with_code(self, phone: str, code: str) -> RemoteUser:
        """``login`` with ``smsCode``: an unknown phone is just an invalid code."""
        try:
            return _remote(_call(lambda: self.client.login_with_sms_code(phone, code)))
        except domain.UnknownAccount as exc:
            raise domain.InvalidCode() from exc

    def login_with_password(self, phone: str, password: str) -> RemoteUser:
        """``login`` with ``password``: unknown, unverified and wrong all read the same."""
        try:
            return _remote(_call(lambda: self.client.login_with_password(phone, password)))
        except domain.UnknownAccount as exc:
            raise domain.InvalidCredentials() from exc

    # --- password reset ---------------------------------------------------------------------

    def send_password_reset_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """``requestPasswordResetBySmsCode``."""
        client = self.client
        _call(
            lambda: client.request_password_reset_by_sms_code(phone, validate_token=validate_token)
        )

    @checked_here(fixed.reset_password)
    def reset_password(self, phone: str, code: str, password: str) -> None:
        """``resetPasswordBySmsCode``: an unknown phone is just an invalid code."""
        try:
            _call(lambda: self.client.reset_password_by_sms_code(phone, code, password))
        except (domain.UnknownAccount, domain.InvalidCredentials) as exc:
            raise domain.InvalidCode() from exc

    # --- phone verification and change ------------------------------------------------------

    def send_verification_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """``requestMobilePhoneVerify``."""
        _call(lambda: self.client.request_mobile_phone_verify(phone, validate_token=validate_token))

    @checked_here(fixed.verify_phone)
    def verify_phone(self, phone: str, code: str) -> None:
        """``verifyMobilePhone``."""
        _call(lambda: self.client.verify_mobile_phone(phone, code))

    def send_phone_change_code(
        self, phone: str, *, session_token: str, validate_token: str | None = None
    ) -> None:
        """``requestChangePhoneNumber`` as the user."""
        client = self.client
        _call(
            lambda: client.request_change_phone_number(
                phone, session_token=session_token, validate_token=validate_token
            ),
            session_bound=True,
        )

    @checked_here(fixed.change_phone)
    def change_phone(self, phone: str, code: str, *, session_token: str) -> None:
        """``changePhoneNumber`` as the user."""
        client = self.client
        _call(
            lambda: client.change_phone_number(phone, code, session_token=session_token),
            session_bound=True,
        )

    # --- CAPTCHA and users ------------------------------------------------------------------

    def request_captcha(self) -> CaptchaChallenge:
        """``requestCaptcha``."""
        captcha = _call(self.client.request_captcha)
        return CaptchaChallenge(token=captcha.token, url=captcha.url)

    def verify_captcha(self, token: str, answer: str, *, remote_ip: str | None = None) -> str:
        """``verifyCaptcha`` (LeanCloud's own CAPTCHA: the client's address is not sent)."""
        return _call(lambda: self.client.verify_captcha(answer, token))

    def change_password(
        self, object_id: str, old_password: str, new_password: str, *, session_token: str
    ) -> str:
        """``updatePassword``: LeanCloud checks the old password (210) and answers the user's
        new session token."""
        return _call(
            lambda: self.client.update_password(
                object_id, old_password, new_password, session_token=session_token
            ),
            session_bound=True,
        )

    def session_is_live(self, session_token: str) -> bool:
        """Whether LeanCloud still accepts ``session_token`` (``users/me``): ``lc_cutover``
        carries over no session LeanCloud has rotated or revoked since the site saw it."""
        try:
            _call(lambda: self.client.get_current_user(session_token), session_bound=True)
        except domain.SessionExpired:
            return False
        return True

    def fetch_user(self, object_id: str) -> RemoteUser:
        """``GET /classes/_User/<id>`` with the master key."""
        try:
            user = _call(lambda: self.client.get_user(object_id, use_master_key=True))
        except domain.InvalidCode as exc:  # a malformed objectId never left
            raise domain.UnknownAccount() from exc
        return _remote(user)
