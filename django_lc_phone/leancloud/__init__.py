"""LeanCloud's REST protocol, both sides, with no Django: the client (``client``, ``transport``,
``senders``, ``errors``, ``values``: the standard library, urllib3 and requests) and what a
server answers (``protocol``, for the emulator and the compat endpoints), on the shared facts
(``wire``, ``password``, ``jsondepth``). The client side never imports ``protocol``.

The client sends through urllib3's connection pool, or through a ``requests.Session`` when one
is injected (``senders`` says when and why). Its names are imported from here when first used,
so the server side (the emulator) loads neither.

Typical use::

    client = LeanCloudClient(app_id, app_key, server_url="https://api.example.com")
    client.request_sms_code("+8613800138000")
    result = client.signup_or_login_by_mobile_phone("+8613800138000", "123456")
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    "LeanCloudMasterKeyMissing",
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

# Where each public name lives.
_HOMES = {
    "LeanCloudClient": "client",
    "RetryPolicy": "transport",
    "Captcha": "values",
    "LCUser": "values",
    "ScanPage": "values",
    "SignupResult": "values",
}


def __getattr__(name: str) -> Any:
    if name in __all__:
        module = importlib.import_module(f".{_HOMES.get(name, 'errors')}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
