"""The compat endpoints: LeanCloud's ``/1.1/...`` phone-auth calls, one module per flow.

Thin: read the LeanCloud fields, call a service inside the same limits as ``api/views.py``,
answer LeanCloud's shape. ``common`` holds what several flows share; ``..http`` the plumbing
(keys, body, audit log, errors). ``urls.py`` names the views through this package.
"""

from __future__ import annotations

from .login import (
    create_user,
    login,
    me,
    refresh_session_token,
    request_login_sms_code,
    users_by_mobile_phone,
)
from .password import request_password_reset, reset_password, update_password
from .phone import (
    change_phone_number,
    request_change_phone_number,
    request_mobile_phone_verify,
    verify_mobile_phone,
)
from .sms import request_captcha, request_sms_code, verify_captcha, verify_sms_code
from .startup import analytics_collect, analytics_policy, server_date
from .user import get_user, update_user, user_object

__all__ = [
    "analytics_collect",
    "analytics_policy",
    "change_phone_number",
    "create_user",
    "get_user",
    "login",
    "me",
    "refresh_session_token",
    "request_captcha",
    "request_change_phone_number",
    "request_login_sms_code",
    "request_mobile_phone_verify",
    "request_password_reset",
    "request_sms_code",
    "reset_password",
    "server_date",
    "update_password",
    "update_user",
    "user_object",
    "users_by_mobile_phone",
    "verify_captcha",
    "verify_mobile_phone",
    "verify_sms_code",
]
