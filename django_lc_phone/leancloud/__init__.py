"""A REST client for LeanCloud's SMS and user API. Imports only the standard library and requests.

Typical use::

    client = LeanCloudClient(app_id, app_key, server_url="https://api.example.com")
    client.request_sms_code("+8613800138000")
    result = client.signup_or_login_by_mobile_phone("+8613800138000", "123456")
"""

from .client import LeanCloudClient
from .errors import (
    ERROR_CLASSES,
    LeanCloudAccountLocked,
    LeanCloudAlreadyTaken,
    LeanCloudAPIError,
    LeanCloudAuthError,
    LeanCloudBadResponse,
    LeanCloudCaptchaError,
    LeanCloudConnectionError,
    LeanCloudError,
    LeanCloudInvalidArgument,
    LeanCloudInvalidCode,
    LeanCloudInvalidField,
    LeanCloudInvalidPhone,
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
)
from .transport import RetryPolicy
from .values import Captcha, LCUser, ScanPage, SignupResult

__all__ = [
    "ERROR_CLASSES",
    "Captcha",
    "LCUser",
    "LeanCloudAPIError",
    "LeanCloudAccountLocked",
    "LeanCloudAlreadyTaken",
    "LeanCloudAuthError",
    "LeanCloudBadResponse",
    "LeanCloudCaptchaError",
    "LeanCloudClient",
    "LeanCloudConnectionError",
    "LeanCloudError",
    "LeanCloudInvalidArgument",
    "LeanCloudInvalidCode",
    "LeanCloudInvalidField",
    "LeanCloudInvalidPhone",
    "LeanCloudNotVerified",
    "LeanCloudPasswordMismatch",
    "LeanCloudQuotaExceeded",
    "LeanCloudRateLimited",
    "LeanCloudServiceDisabled",
    "LeanCloudSessionRequired",
    "LeanCloudSmsRejected",
    "LeanCloudTimeout",
    "LeanCloudUnavailable",
    "LeanCloudUserNotFound",
    "RetryPolicy",
    "ScanPage",
    "SignupResult",
]
