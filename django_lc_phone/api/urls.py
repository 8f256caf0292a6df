"""URLs of the phone-auth API; include them at any prefix (the example site uses auth/phone/)."""

from django.urls import path

from . import views

app_name = "lc_phone"

urlpatterns = [
    path("sms-code/", views.SmsCodeView.as_view(), name="sms-code"),
    path("sms-code/verify/", views.SmsCodeVerifyView.as_view(), name="sms-code-verify"),
    path("signup/", views.SignupView.as_view(), name="signup"),
    path("login/sms-code/", views.LoginCodeView.as_view(), name="login-sms-code"),
    path("login/", views.LoginView.as_view(), name="login"),
    path(
        "password-reset/sms-code/",
        views.PasswordResetCodeView.as_view(),
        name="password-reset-sms-code",
    ),
    path("password-reset/", views.PasswordResetView.as_view(), name="password-reset"),
    path(
        "phone/verify/sms-code/", views.PhoneVerifyCodeView.as_view(), name="phone-verify-sms-code"
    ),
    path("phone/verify/", views.PhoneVerifyView.as_view(), name="phone-verify"),
    path(
        "phone/change/sms-code/", views.PhoneChangeCodeView.as_view(), name="phone-change-sms-code"
    ),
    path("phone/change/", views.PhoneChangeView.as_view(), name="phone-change"),
    path("captcha/", views.CaptchaView.as_view(), name="captcha"),
    path("captcha/verify/", views.CaptchaVerifyView.as_view(), name="captcha-verify"),
    path("me/", views.MeView.as_view(), name="me"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
]
