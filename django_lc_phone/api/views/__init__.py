"""The DRF endpoints. Thin: validate the shape, call one service (or ``authenticate()``),
answer; the services apply the limits, and ``api/errors.py`` translates what they raise."""

from __future__ import annotations

from .base import CODE_SENT_DETAIL, PhoneAPIView, SignedInView
from .codes import CaptchaVerifyView, CaptchaView, SmsCodeVerifyView, SmsCodeView
from .passwords import PasswordChangeView, PasswordResetCodeView, PasswordResetView
from .phone import PhoneChangeCodeView, PhoneChangeView, PhoneVerifyCodeView, PhoneVerifyView
from .signin import LoginCodeView, LoginView, LogoutView, MeView, SignupView

__all__ = [
    "CODE_SENT_DETAIL",
    "CaptchaVerifyView",
    "CaptchaView",
    "LoginCodeView",
    "LoginView",
    "LogoutView",
    "MeView",
    "PasswordChangeView",
    "PasswordResetCodeView",
    "PasswordResetView",
    "PhoneAPIView",
    "PhoneChangeCodeView",
    "PhoneChangeView",
    "PhoneVerifyCodeView",
    "PhoneVerifyView",
    "SignedInView",
    "SignupView",
    "SmsCodeVerifyView",
    "SmsCodeView",
]
