"""URLs of the phone-auth API; include them at any prefix (the example site uses auth/phone/).

Each route ends in ``/`` and also answers without it (``login`` as ``login/``), in place: a
client that drops the slash must not get a redirect, which loses a POST's body, nor Django's
``APPEND_SLASH`` error page under ``DEBUG``. The slash-less form is matched, never listed: the
patterns, ``reverse()`` and the OpenAPI schema know only the slash form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.urls import URLPattern
from django.urls.resolvers import RoutePattern

from . import views

app_name = "lc_phone"


class SlashOptionalRoute(RoutePattern):
    """A ``path()`` route ending in ``/`` that also matches the path without that slash."""

    def match(self, path: str) -> tuple[str, tuple[Any, ...], dict[str, Any]] | None:
        """The route's match, else the match of the path with its slash put back."""
        found = super().match(path)
        if found is None and not path.endswith("/"):
            found = super().match(path + "/")
        return found


def endpoint(route: str, view: Callable[..., Any], name: str) -> URLPattern:
    """``path(route, view, name=name)``, also answering without the trailing slash."""
    return URLPattern(SlashOptionalRoute(route, name=name, is_endpoint=True), view, name=name)


urlpatterns = [
    endpoint("sms-code/", views.SmsCodeView.as_view(), name="sms-code"),
    endpoint("sms-code/verify/", views.SmsCodeVerifyView.as_view(), name="sms-code-verify"),
    endpoint("signup/", views.SignupView.as_view(), name="signup"),
    endpoint("login/sms-code/", views.LoginCodeView.as_view(), name="login-sms-code"),
    endpoint("login/", views.LoginView.as_view(), name="login"),
    endpoint(
        "password-reset/sms-code/",
        views.PasswordResetCodeView.as_view(),
        name="password-reset-sms-code",
    ),
    endpoint("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    endpoint("password/change/", views.PasswordChangeView.as_view(), name="password-change"),
    endpoint(
        "phone/verify/sms-code/", views.PhoneVerifyCodeView.as_view(), name="phone-verify-sms-code"
    ),
    endpoint("phone/verify/", views.PhoneVerifyView.as_view(), name="phone-verify"),
    endpoint(
        "phone/change/sms-code/", views.PhoneChangeCodeView.as_view(), name="phone-change-sms-code"
    ),
    endpoint("phone/change/", views.PhoneChangeView.as_view(), name="phone-change"),
    endpoint("captcha/", views.CaptchaView.as_view(), name="captcha"),
    endpoint("captcha/verify/", views.CaptchaVerifyView.as_view(), name="captcha-verify"),
    endpoint("me/", views.MeView.as_view(), name="me"),
    endpoint("logout/", views.LogoutView.as_view(), name="logout"),
]
