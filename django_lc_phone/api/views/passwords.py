"""The password reset by SMS code (``password-reset/sms-code/``, ``password-reset/``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response

from ... import services
from .. import serializers as s
from .base import PhoneAPIView, ack, code_sent, doc, validate_token


class PasswordResetCodeView(PhoneAPIView):
    """Send a password-reset code; the same answer for every number."""

    audit_event = "password_reset_code"

    @doc(s.PhoneSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a password-reset code; the same answer for every number (LeanCloud:
        ``requestPasswordResetBySmsCode``)."""
        data = self.valid(s.PhoneSerializer)
        services.send_password_reset_code(
            data["phone"], request=request._request, validate_token=validate_token(data)
        )
        return code_sent()


class PasswordResetView(PhoneAPIView):
    """Set a new password with a reset code. Nobody is signed in by it."""

    audit_event = "password_reset"

    @doc(s.PasswordResetSerializer, s.MessageSerializer)
    def post(self, request: Request) -> Response:
        """Set a new password with a reset code; the user's sessions and tokens end, and
        nobody is signed in by it (LeanCloud: ``resetPasswordBySmsCode``)."""
        data = self.valid(s.PasswordResetSerializer)
        services.reset_password(
            data["phone"],
            data["code"],
            data["password"],
            request=request._request,
            validate_token=validate_token(data),
        )
        return ack("password_reset", _("Your password has been reset. Sign in with it."))
