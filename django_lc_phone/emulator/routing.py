"""The emulator's route table: LeanCloud's ``/1.1`` paths to handlers."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Final

from . import routes_objects as objects_api
from . import routes_sms as sms_api
from . import routes_users as users_api
from .objects import USER

Handler = Callable[..., Any]

_CLASS: Final = r"(?P<cls>[A-Za-z_][A-Za-z0-9_]{0,63})"
_ID: Final = r"(?P<object_id>[^/]+)"
_CODE: Final = r"(?P<code>[^/]*)"

# (method, path pattern relative to /1.1, handler). First match wins.
_ROUTES: Final[list[tuple[str, str, Handler]]] = [
    ("POST", "/requestSmsCode", sms_api.request_sms_code),
    ("POST", f"/verifySmsCode/{_CODE}", sms_api.verify_sms_code),
    ("POST", "/usersByMobilePhone", users_api.users_by_mobile_phone),
    ("POST", "/requestMobilePhoneVerify", sms_api.request_mobile_phone_verify),
    ("POST", f"/verifyMobilePhone/{_CODE}", sms_api.verify_mobile_phone),
    ("POST", "/requestChangePhoneNumber", sms_api.request_change_phone),
    ("POST", "/changePhoneNumber", sms_api.change_phone),
    ("POST", "/requestLoginSmsCode", sms_api.request_login_sms_code),
    ("POST", "/login", users_api.login),
    ("POST", "/requestPasswordResetBySmsCode", sms_api.request_password_reset),
    ("PUT", f"/resetPasswordBySmsCode/{_CODE}", sms_api.reset_password),
    ("GET", "/requestCaptcha", sms_api.request_captcha),
    ("POST", "/verifyCaptcha", sms_api.verify_captcha),
    ("GET", "/users/me", users_api.me),
    ("POST", "/users", users_api.signup),
    ("GET", "/users", objects_api.query),
    ("PUT", f"/users/{_ID}/refreshSessionToken", users_api.refresh_session_token),
    ("PUT", f"/users/{_ID}/updatePassword", users_api.update_password),
    ("GET", f"/users/{_ID}", users_api.get_user),
    ("PUT", f"/users/{_ID}", users_api.update_user),
    ("DELETE", f"/users/{_ID}", users_api.delete_user),
    ("POST", "/classes/_User", users_api.signup),
    ("GET", f"/classes/_User/{_ID}", users_api.get_user),
    ("PUT", f"/classes/_User/{_ID}", users_api.update_user),
    ("DELETE", f"/classes/_User/{_ID}", users_api.delete_user),
    ("GET", f"/classes/{_CLASS}", objects_api.query),
    ("POST", f"/classes/{_CLASS}", objects_api.create),
    ("GET", f"/classes/{_CLASS}/{_ID}", objects_api.get),
    ("PUT", f"/classes/{_CLASS}/{_ID}", objects_api.update),
    ("DELETE", f"/classes/{_CLASS}/{_ID}", objects_api.delete),
    ("GET", f"/scan/classes/{_CLASS}", objects_api.scan),
    ("GET", "/date", objects_api.server_date),
]

ROUTES: Final = [
    (method, re.compile(pattern + "$"), handler) for method, pattern, handler in _ROUTES
]


def resolve(method: str, path: str) -> tuple[Handler, dict[str, str]] | None:
    """The handler and path parameters for a request, or None."""
    for route_method, pattern, handler in ROUTES:
        if route_method == method:
            match = pattern.match(path)
            if match:
                params = match.groupdict()
                if params.get("cls") == USER and handler is objects_api.query:
                    params.pop("cls")
                return handler, params
    return None
