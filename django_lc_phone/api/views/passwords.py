"""Passwords: the reset by SMS code (``password-reset/sms-code/``, ``password-reset/``) and
the signed-in user's change (``password/change/``)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response

from ... import services
from ...tokens import rotate
from .. import serializers as s
from .base import PhoneAPIView, SignedInView, ack, code_sent, doc, validate_token


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


class PasswordChangeView(SignedInView):
    """Change the signed-in user's password with the old one."""

    audit_event = "password_change"

    @doc(s.PasswordChangeSerializer, s.PasswordChangedSerializer)
    def post(self, request: Request) -> Response:
        """Change the signed-in user's password: the old one is checked as a login checks one
        (the same attempt budget; a wrong one is ``401 invalid_credentials``). Every other
        session and token of the user ends; the caller gets new credentials with the answer
        (LeanCloud: ``updatePassword``, whose new password is captured)."""
        data = self.valid(s.PasswordChangeSerializer)
        user: Any = request.user
        profile = services.profile_of(user)
        self.audit_phone = profile.phone_e164 if profile is not None else None
        services.change_password(
            user,
            data["old_password"],
            data["new_password"],
            request=request._request,
            validate_token=validate_token(data),
        )
        answer = ack("password_changed", _("Your password has been changed."))
        return Response({**answer.data, **rotate(request._request, user)})
