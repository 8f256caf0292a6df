"""``include("django_lc_phone.compat.urls")``: LeanCloud's ``/1.1/...`` endpoints (``lc_compat``).

Include it where the SDKs expect the API root, e.g. ``path("", include(...))`` so that
``/1.1/login`` is served; any prefix works (``path("lc/", ...)`` serves ``/lc/1.1/login``).
Needs ``LC_PHONE["PROVIDER"] = "local"``: importing it otherwise raises ImproperlyConfigured.

Any other ``/1.1/`` path answers LeanCloud's JSON 404 (``http.not_served``). Every path also
answers with a trailing slash (``/1.1/login/``), in place: a redirect would lose
a POST's body. ``reverse()`` gives LeanCloud's form, without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern, re_path

from . import require_local_provider, views
from .http import not_served

require_local_provider()

app_name = "lc_compat"


def endpoint(pattern: str, view: Callable[..., Any], name: str) -> URLPattern:
    """``/1.1/<pattern>`` (a regular expression), with or without a trailing slash."""
    return re_path(rf"^1\.1/{pattern}/?$", view, name=name)


urlpatterns = [
    endpoint("requestSmsCode", views.request_sms_code, name="requestSmsCode"),
    endpoint(r"verifySmsCode/(?P<code>[^/]*)", views.verify_sms_code, name="verifySmsCode"),
    endpoint("usersByMobilePhone", views.users_by_mobile_phone, name="usersByMobilePhone"),
    endpoint("users", views.create_user, name="users"),
    endpoint("classes/_User", views.create_user, name="classesUser"),
    endpoint("login", views.login, name="login"),
    endpoint("requestLoginSmsCode", views.request_login_sms_code, name="requestLoginSmsCode"),
    endpoint("users/me", views.me, name="me"),
    endpoint(r"users/(?P<object_id>[^/]+)", views.user_object, name="user"),
    endpoint(r"classes/_User/(?P<object_id>[^/]+)", views.user_object, name="userObject"),
    endpoint(
        r"users/(?P<object_id>[^/]+)/refreshSessionToken",
        views.refresh_session_token,
        name="refreshSessionToken",
    ),
    endpoint(
        r"users/(?P<object_id>[^/]+)/updatePassword",
        views.update_password,
        name="updatePassword",
    ),
    endpoint(
        "requestPasswordResetBySmsCode",
        views.request_password_reset,
        name="requestPasswordResetBySmsCode",
    ),
    endpoint(
        r"resetPasswordBySmsCode/(?P<code>[^/]*)",
        views.reset_password,
        name="resetPasswordBySmsCode",
    ),
    endpoint(
        "requestMobilePhoneVerify",
        views.request_mobile_phone_verify,
        name="requestMobilePhoneVerify",
    ),
    endpoint(
        r"verifyMobilePhone/(?P<code>[^/]*)",
        views.verify_mobile_phone,
        name="verifyMobilePhone",
    ),
    endpoint(
        "requestChangePhoneNumber",
        views.request_change_phone_number,
        name="requestChangePhoneNumber",
    ),
    endpoint("changePhoneNumber", views.change_phone_number, name="changePhoneNumber"),
    endpoint("requestCaptcha", views.request_captcha, name="requestCaptcha"),
    endpoint("verifyCaptcha", views.verify_captcha, name="verifyCaptcha"),
    # What SDKs call at start-up or in the background (views/startup.py)
    endpoint("date", views.server_date, name="date"),
    endpoint(
        r"statistics/apps/(?P<app_id>[^/]+)/sendPolicy", views.analytics_policy, name="sendPolicy"
    ),
    endpoint("stats/collect", views.analytics_collect, name="statsCollect"),
    # Last: every other /1.1/ path answers as LeanCloud does for a path it lacks (JSON 404,
    # code 1), so an SDK raises its own error rather than choking on an HTML page.
    re_path(r"^1\.1/", not_served, name="notServed"),
]
