"""What an API client sees when something fails: a status and a stable ``code`` per domain error.

Bodies are ``{"code": "<stable_code>", "detail": "<human text>"}``; validation errors add
``"errors"`` (per field). LeanCloud's own messages never get here.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .. import exceptions as domain

logger = logging.getLogger("django_lc_phone.api")

# The texts that both a domain error and a serializer field's validation error answer with.
INVALID_PHONE: Final = _("Enter a valid phone number.")
INVALID_CODE: Final = _("The code is invalid or has expired.")

# Domain error -> (HTTP status, stable code, detail). Most specific classes first.
ERROR_TABLE: Final[tuple[tuple[type[domain.LcPhoneError], int, str, Any], ...]] = (
    (domain.InvalidPhoneNumber, 400, "invalid_phone", INVALID_PHONE),
    (
        domain.ExpiredTestNumber,
        400,
        "test_number_expired",
        _("This test number has expired."),
    ),
    (domain.PhoneNotAllowed, 400, "phone_not_allowed", _("Codes cannot be sent to this number.")),
    (domain.InvalidCode, 400, "invalid_code", INVALID_CODE),
    (domain.InvalidCredentials, 401, "invalid_credentials", _("Invalid phone number or password.")),
    (domain.UnknownAccount, 401, "invalid_credentials", _("Invalid phone number or password.")),
    (domain.SendThrottled, 429, "sms_rate_limited", _("Too many codes. Try again later.")),
    (domain.TooManyAttempts, 429, "too_many_attempts", _("Too many attempts. Try again later.")),
    (domain.Throttled, 429, "throttled", _("Too many requests. Try again later.")),
    (
        domain.SmsBudgetExhausted,
        503,
        "sms_budget_exhausted",
        _("Codes cannot be sent right now. Try again later."),
    ),
    (domain.UsernameTaken, 409, "username_taken", _("This username is taken.")),
    (domain.PhoneUnavailable, 409, "phone_unavailable", _("This phone number cannot be used.")),
    (domain.CaptchaRequired, 400, "captcha_required", _("Solve the CAPTCHA first.")),
    (
        domain.CaptchaSpent,
        400,
        "captcha_spent",
        _("This CAPTCHA was already answered. Ask for a new one."),
    ),
    (
        domain.CaptchaExpired,
        400,
        "captcha_expired",
        _("This CAPTCHA has expired. Ask for a new one."),
    ),
    (domain.InvalidCaptcha, 400, "invalid_captcha", _("The CAPTCHA answer is wrong.")),
    (domain.NoPhone, 400, "no_phone", _("Add a phone number first.")),
    (domain.AlreadyVerified, 400, "already_verified", _("This phone number is verified already.")),
    (domain.SamePhone, 400, "same_phone", _("This is your phone number already.")),
    (
        domain.InvalidTemplateVariables,
        400,
        "invalid",
        _("The template's variables are missing or invalid."),
    ),
    (
        domain.UnsupportedTestNumber,
        400,
        "test_number_unsupported",
        _("This test number cannot be used for this."),
    ),
    (domain.NotAllowed, 400, "not_allowed", _("This kind of message is not allowed.")),
    (domain.SessionExpired, 401, "session_expired", _("Your session has expired. Sign in again.")),
    (domain.SmsNotDelivered, 502, "sms_delivery_failed", _("The message could not be sent.")),
    (domain.ProviderTimeout, 504, "upstream_timeout", _("The service did not answer in time.")),
    (domain.BadProviderResponse, 502, "bad_upstream_response", _("The service failed.")),
    (
        domain.CaptchaUnavailable,
        503,
        "captcha_unavailable",
        _("The CAPTCHA service is unavailable. Try again later."),
    ),
    (
        domain.ProviderMisconfigured,
        503,
        "misconfigured",
        _("The service is not configured for this request."),
    ),
    (domain.ProviderUnavailable, 503, "upstream_unavailable", _("The service is unavailable.")),
    (domain.LcPhoneError, 400, "error", _("The request failed.")),
)

# How long a client should wait when the provider is down and did not say.
UNAVAILABLE_RETRY_AFTER: Final = 30


class PhoneAPIError(drf.APIException):
    """An API error with its own status; ``wait`` becomes ``Retry-After``."""

    def __init__(self, status: int, code: str, detail: Any, wait: float | None = None) -> None:
        super().__init__(detail=detail, code=code)
        self.status_code = status
        self.wait = wait


def to_api_error(error: domain.LcPhoneError) -> PhoneAPIError:
    """The API error for a domain error (one table, above)."""
    for cls, status, code, detail in ERROR_TABLE:
        if isinstance(error, cls):
            wait = getattr(error, "retry_after", None)
            if wait is None and status == 503:
                wait = UNAVAILABLE_RETRY_AFTER
            return PhoneAPIError(status, code, detail, wait)
    raise AssertionError("LcPhoneError is the last row")  # pragma: no cover


def _first_code(codes: Any) -> str | None:
    if isinstance(codes, dict):
        for value in codes.values():
            found = _first_code(value)
            if found:
                return found
    if isinstance(codes, list):
        for value in codes:
            found = _first_code(value)
            if found:
                return found
    return codes if isinstance(codes, str) else None


# Field-level validation codes that are also API codes of their own.
_PROMOTED_CODES: Final = frozenset({"invalid_phone", "invalid_code"})


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status, ``Retry-After``, ``WWW-Authenticate``) with our body shape."""
    if isinstance(exc, RequestDataTooBig):  # DATA_UPLOAD_MAX_MEMORY_SIZE: JSON, not Django's page
        exc = PhoneAPIError(413, "request_too_large", _("The request body is too large."))
    elif isinstance(exc, DatabaseError):
        # The provider may have acted already (a code spent, a user created); the local write
        # was rolled back, and the next sign-in reconciles by objectId. Ours to fix: a 503.
        # No traceback or message: PostgreSQL's names the row ("Key (phone)=(+86...)").
        cause = exc.__cause__
        logger.error(
            "database error in %s: %s sqlstate=%s constraint=%s",
            type(context.get("view")).__name__,
            type(exc).__name__,
            getattr(cause, "sqlstate", None),
            getattr(getattr(cause, "diag", None), "constraint_name", None),
        )
        exc = PhoneAPIError(
            503,
            "temporarily_unavailable",
            _("The service is temporarily unavailable. Try again later."),
            UNAVAILABLE_RETRY_AFTER,
        )
    response = drf_exception_handler(exc, context)
    if response is None or not isinstance(exc, drf.APIException):
        return response
    if isinstance(exc, drf.ValidationError):
        first = _first_code(exc.get_codes())
        code = first if first in _PROMOTED_CODES else "invalid"
        details = {"invalid_phone": INVALID_PHONE, "invalid_code": INVALID_CODE}
        detail = details.get(code, _("Invalid input."))
        response.data = {"code": code, "detail": str(detail), "errors": response.data}
        return response
    codes = exc.get_codes()
    response.data = {
        "code": codes if isinstance(codes, str) else "error",
        "detail": str(exc.detail),
    }
    return response
