"""What LeanCloud said, as typed exceptions: one table from error code to exception class.

Every exception carries the LeanCloud ``code`` (None when the service never answered with one),
the HTTP ``status`` and ``request_sent``: whether the request may have reached LeanCloud. Only a
request that provably never left (a connect failure) is safe to repeat.
"""

from __future__ import annotations

from typing import Final

from .wire import MESSAGE_INTERNATIONAL_SMS_DISABLED, MESSAGE_SMS_TOO_FAST, Code


class LeanCloudError(Exception):
    """Base of every error raised by :class:`~django_lc_phone.leancloud.LeanCloudClient`."""

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        status: int | None = None,
        request_sent: bool = True,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.request_sent = request_sent

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(code={self.code!r}, status={self.status!r}, "
            f"request_sent={self.request_sent!r})"
        )


class LeanCloudInvalidArgument(LeanCloudError, ValueError):
    """A value the client refused to send (for example a code that could alter a URL path)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, request_sent=False)


class LeanCloudMasterKeyMissing(LeanCloudError):
    """The call needs the master key and the client has none: a setting to fix, sent nowhere."""

    def __init__(self) -> None:
        super().__init__("this call needs the master key, which is not set", request_sent=False)


# --- the service did not answer usefully ---------------------------------------------------


class LeanCloudConnectionError(LeanCloudError):
    """No usable answer: refused, DNS failure, dropped connection. See ``request_sent``."""


class LeanCloudTimeout(LeanCloudConnectionError):
    """Connect timeout (``request_sent`` False) or read timeout (``request_sent`` True)."""


class LeanCloudBadResponse(LeanCloudError):
    """An answer that is not LeanCloud JSON: HTML, empty, malformed, incomplete, a redirect."""


# --- the service answered with an error body -----------------------------------------------


class LeanCloudAPIError(LeanCloudError):
    """LeanCloud answered ``{"code": N, "error": "..."}``; the default for unmapped codes."""


class LeanCloudAuthError(LeanCloudAPIError):
    """Bad app id, key or signature, or a call that needs the master key (our misconfiguration)."""


class LeanCloudServiceDisabled(LeanCloudAPIError):
    """A console switch is off for this operation (119), e.g. the generic SMS API or CAPTCHA."""


class LeanCloudRateLimited(LeanCloudAPIError):
    """Too many SMS for a number (601, or 1 "too fast") or too many concurrent requests (429)."""


class LeanCloudQuotaExceeded(LeanCloudAPIError):
    """The app's spend cap (154) or balance (160) stops sending."""


class LeanCloudInvalidCode(LeanCloudAPIError):
    """Wrong, expired or already used SMS code (603)."""


class LeanCloudInvalidPhone(LeanCloudAPIError):
    """Malformed or missing phone number (127, 212)."""


class LeanCloudInvalidField(LeanCloudAPIError):
    """A missing, blank or malformed user field (username, password, email, types)."""


class LeanCloudPasswordMismatch(LeanCloudAPIError):
    """Wrong password for an existing account (210)."""


class LeanCloudUserNotFound(LeanCloudAPIError):
    """No such user, or an invalid session token (211, 213, 205)."""


class LeanCloudNotVerified(LeanCloudAPIError):
    """The phone (215) or email (216) exists but is not verified and the flow requires it."""


class LeanCloudAlreadyTaken(LeanCloudAPIError):
    """Username, email or phone number already belongs to another user (202, 203, 214, 137)."""


class LeanCloudSessionRequired(LeanCloudAPIError):
    """The call needs the user's session token (206)."""


class LeanCloudAccountLocked(LeanCloudAPIError):
    """Too many failed logins: LeanCloud locks the account for 15 minutes (219)."""


class LeanCloudSmsRejected(LeanCloudAPIError):
    """The SMS could not be sent: signature, template or carrier (600, 602, 604, 605, 606)."""


class LeanCloudCaptchaError(LeanCloudAPIError):
    """A CAPTCHA is required (608) or the CAPTCHA answer was wrong (607)."""


class LeanCloudUnavailable(LeanCloudAPIError):
    """The service is in maintenance, disabled, timed out server-side or returned a 5xx."""


# The one table from code to class. Codes not listed raise LeanCloudAPIError.
ERROR_CLASSES: Final[dict[int, type[LeanCloudAPIError]]] = {
    Code.OBJECT_NOT_FOUND: LeanCloudUserNotFound,
    Code.INVALID_JSON: LeanCloudInvalidField,
    Code.INCORRECT_TYPE: LeanCloudInvalidField,
    Code.OPERATION_FORBIDDEN: LeanCloudServiceDisabled,
    Code.TIMEOUT: LeanCloudUnavailable,
    Code.INVALID_EMAIL: LeanCloudInvalidField,
    Code.INVALID_USER_ID: LeanCloudUserNotFound,
    Code.INVALID_PHONE: LeanCloudInvalidPhone,
    Code.DUPLICATE_VALUE: LeanCloudAlreadyTaken,
    Code.THRESHOLD_EXCEEDED: LeanCloudQuotaExceeded,
    Code.INSUFFICIENT_BALANCE: LeanCloudQuotaExceeded,
    Code.USERNAME_MISSING: LeanCloudInvalidField,
    Code.PASSWORD_MISSING: LeanCloudInvalidField,
    Code.USERNAME_TAKEN: LeanCloudAlreadyTaken,
    Code.EMAIL_TAKEN: LeanCloudAlreadyTaken,
    Code.EMAIL_MISSING: LeanCloudInvalidField,
    Code.EMAIL_NOT_FOUND: LeanCloudUserNotFound,
    Code.SESSION_MISSING: LeanCloudSessionRequired,
    Code.PASSWORD_MISMATCH: LeanCloudPasswordMismatch,
    Code.USER_NOT_FOUND: LeanCloudUserNotFound,
    Code.PHONE_MISSING: LeanCloudInvalidPhone,
    Code.PHONE_NOT_FOUND: LeanCloudUserNotFound,
    Code.PHONE_TAKEN: LeanCloudAlreadyTaken,
    Code.PHONE_NOT_VERIFIED: LeanCloudNotVerified,
    Code.EMAIL_NOT_VERIFIED: LeanCloudNotVerified,
    Code.INVALID_USERNAME: LeanCloudInvalidField,
    Code.INVALID_PASSWORD: LeanCloudInvalidField,
    Code.LOGIN_LOCKED: LeanCloudAccountLocked,
    Code.UNAUTHORIZED: LeanCloudAuthError,
    Code.FORBIDDEN: LeanCloudAuthError,
    Code.TOO_MANY_REQUESTS: LeanCloudRateLimited,
    Code.APP_DISABLED: LeanCloudUnavailable,
    502: LeanCloudUnavailable,
    511: LeanCloudUnavailable,
    529: LeanCloudUnavailable,
    Code.INVALID_SMS_SIGNATURE: LeanCloudSmsRejected,
    Code.SMS_TOO_FREQUENT: LeanCloudRateLimited,
    Code.SMS_SEND_FAILED: LeanCloudSmsRejected,
    Code.INVALID_SMS_CODE: LeanCloudInvalidCode,
    Code.SMS_TEMPLATE_NOT_FOUND: LeanCloudSmsRejected,
    Code.SMS_TEMPLATE_NOT_VERIFIED: LeanCloudSmsRejected,
    Code.SMS_TEMPLATE_RENDER_FAILED: LeanCloudSmsRejected,
    Code.INVALID_CAPTCHA: LeanCloudCaptchaError,
    Code.CAPTCHA_TOKEN_MISSING: LeanCloudCaptchaError,
}

# Code 1 is LeanCloud's catch-all; these documented texts give it a precise meaning [S4, S6, S7].
_CODE_1_BY_MESSAGE_PREFIX: Final[tuple[tuple[str, type[LeanCloudAPIError]], ...]] = (
    (MESSAGE_SMS_TOO_FAST.split("(")[0], LeanCloudRateLimited),
    ("You have exceeded the maximum number of login attempts", LeanCloudAccountLocked),
    ("The request must be signed by master key", LeanCloudAuthError),
    (MESSAGE_INTERNATIONAL_SMS_DISABLED.split(",")[0], LeanCloudServiceDisabled),
)


def error_class_for(code: int, message: str, status: int) -> type[LeanCloudAPIError]:
    """The exception class for an error body, by code (and by text for the catch-all code 1)."""
    if code == Code.INTERNAL:
        for prefix, refined in _CODE_1_BY_MESSAGE_PREFIX:
            if message.startswith(prefix):
                return refined
    mapped = ERROR_CLASSES.get(code)
    if mapped is not None:
        return mapped
    if status == 401:
        return LeanCloudAuthError
    return LeanCloudUnavailable if status >= 500 else LeanCloudAPIError
