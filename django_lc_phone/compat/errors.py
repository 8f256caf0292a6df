"""Domain errors as LeanCloud reports them: one table from ``exceptions`` to LeanCloud codes.

Deliberate choices (``docs/compat.md``): a blocked number is 127 like a malformed one (the
blocklist is not mapped from outside); an unknown number at password login is 210 like a wrong
password, and code requests for unknown numbers succeed silently (no account probing, unlike
LeanCloud's 213); the site's spent SMS budget is 160, LeanCloud's "insufficient balance".
"""

from __future__ import annotations

import math
from typing import Final

from ..exceptions import (
    AlreadyVerified,
    CaptchaRequired,
    InvalidCaptcha,
    InvalidCode,
    InvalidCredentials,
    InvalidPhoneNumber,
    InvalidTemplateVariables,
    LcPhoneError,
    NoPhone,
    NotAllowed,
    PhoneNotAllowed,
    PhoneUnavailable,
    ProviderError,
    SamePhone,
    SendThrottled,
    SessionExpired,
    SmsBudgetExhausted,
    SmsNotDelivered,
    Throttled,
    TooManyAttempts,
    UnknownAccount,
    UsernameTaken,
)
from ..leancloud.protocol import ProtocolError
from ..leancloud.wire import Code

# First match wins: subclasses before their bases.
CODES: Final[tuple[tuple[type[LcPhoneError], int], ...]] = (
    (InvalidPhoneNumber, Code.INVALID_PHONE),
    (PhoneNotAllowed, Code.INVALID_PHONE),
    (InvalidCode, Code.INVALID_SMS_CODE),
    (InvalidCredentials, Code.PASSWORD_MISMATCH),
    (UnknownAccount, Code.PASSWORD_MISMATCH),
    (SendThrottled, Code.SMS_TOO_FREQUENT),
    (TooManyAttempts, Code.LOGIN_LOCKED),
    (Throttled, Code.TOO_MANY_REQUESTS),
    (SmsBudgetExhausted, Code.INSUFFICIENT_BALANCE),
    (UsernameTaken, Code.USERNAME_TAKEN),
    (PhoneUnavailable, Code.PHONE_TAKEN),
    (SamePhone, Code.PHONE_TAKEN),
    (AlreadyVerified, Code.OPERATION_FORBIDDEN),
    (CaptchaRequired, Code.CAPTCHA_TOKEN_MISSING),
    (InvalidCaptcha, Code.INVALID_CAPTCHA),  # wrong, spent or expired: LeanCloud has one code
    (NoPhone, Code.PHONE_MISSING),
    (NotAllowed, Code.OPERATION_FORBIDDEN),
    (SessionExpired, Code.USER_NOT_FOUND),
    (InvalidTemplateVariables, Code.SMS_TEMPLATE_RENDER_FAILED),
    (SmsNotDelivered, Code.SMS_SEND_FAILED),
)


def to_protocol(error: LcPhoneError) -> ProtocolError:
    """The LeanCloud error for a domain error; provider failures are code 1 with 503."""
    retry_after = getattr(error, "retry_after", None)
    headers = {"Retry-After": str(math.ceil(retry_after))} if retry_after else {}
    if isinstance(error, ProviderError):
        return ProtocolError(Code.INTERNAL, str(error), status=503, headers=headers)
    for cls, code in CODES:
        if isinstance(error, cls):
            return ProtocolError(code, headers=headers)
    return ProtocolError(Code.INTERNAL, headers=headers)
