"""``include("django_lc_phone.compat.urls")``: LeanCloud's ``/1.1/...`` endpoints (``lc_compat``).

Include it where the SDKs expect the API root, e.g. ``path("", include(...))`` so that
``/1.1/login`` is served; any prefix works (``path("lc/", ...)`` serves ``/lc/1.1/login``).
Needs ``LC_PHONE["PROVIDER"] = "local"``: importing it otherwise raises ImproperlyConfigured.
"""

from __future__ import annotations

from django.urls import path, re_path

from . import require_local_provider, views

require_local_provider()

app_name = "lc_compat"

urlpatterns = [
    path("1.1/requestSmsCode", views.request_sms_code, name="requestSmsCode"),
    re_path(r"^1\.1/verifySmsCode/(?P<code>[^/]*)$", views.verify_sms_code, name="verifySmsCode"),
    path("1.1/usersByMobilePhone", views.users_by_mobile_phone, name="usersByMobilePhone"),
    path("1.1/users", views.create_user, name="users"),
    path("1.1/classes/_User", views.create_user, name="classesUser"),
    path("1.1/login", views.login, name="login"),
    path("1.1/requestLoginSmsCode", views.request_login_sms_code, name="requestLoginSmsCode"),
    path("1.1/users/me", views.me, name="me"),
    re_path(r"^1\.1/users/(?P<object_id>[^/]+)$", views.user_object, name="user"),
    re_path(r"^1\.1/classes/_User/(?P<object_id>[^/]+)$", views.user_object, name="userObject"),
    re_path(
        r"^1\.1/users/(?P<object_id>[^/]+)/refreshSessionToken$",
        views.refresh_session_token,
        name="refreshSessionToken",
    ),
    re_path(
        r"^1\.1/users/(?P<object_id>[^/]+)/updatePassword$",
        views.update_password,
        name="updatePassword",
    ),
    path(
        "1.1/requestPasswordResetBySmsCode",
        views.request_password_reset,
        name="requestPasswordResetBySmsCode",
    ),
    re_path(
        r"^1\.1/resetPasswordBySmsCode/(?P<code>[^/]*)$",
        views.reset_password,
        name="resetPasswordBySmsCode",
    ),
    path(
        "1.1/requestMobilePhoneVerify",
        views.request_mobile_phone_verify,
        name="requestMobilePhoneVerify",
    ),
    re_path(
        r"^1\.1/verifyMobilePhone/(?P<code>[^/]*)$",
        views.verify_mobile_phone,
        name="verifyMobilePhone",
    ),
    path(
        "1.1/requestChangePhoneNumber",
        views.request_change_phone_number,
        name="requestChangePhoneNumber",
    ),
    path("1.1/changePhoneNumber", views.change_phone_number, name="changePhoneNumber"),
    path("1.1/requestCaptcha", views.request_captcha, name="requestCaptcha"),
    path("1.1/verifyCaptcha", views.verify_captcha, name="verifyCaptcha"),
]
