"""The signed-in user's number: verifying it (``phone/verify/sms-code/``, ``phone/verify/``)
and changing it (``phone/change/sms-code/``, ``phone/change/``)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.response import Response

from ... import services
from ...exceptions import AlreadyVerified
from ...tokens import rotate
from .. import serializers as s
from .base import SignedInView, code_sent, doc, validate_token


class PhoneVerifyCodeView(SignedInView):
    """Send a code to the signed-in user's phone."""

    audit_event = "phone_verify_code"

    @doc(s.ValidateTokenRequestSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a code to the signed-in user's own phone, to verify it; the body may be empty
        (LeanCloud: ``requestMobilePhoneVerify``). A phone verified already is
        ``400 already_verified``, and no code is sent."""
        data = self.valid(s.ValidateTokenRequestSerializer)
        user: Any = request.user
        try:
            phone = self.audit_phone = services.phone_to_verify(user)
        except AlreadyVerified as error:
            self.audit_phone = error.phone
            raise
        services.send_verification_code(
            phone, request=request._request, validate_token=validate_token(data)
        )
        return code_sent()


class PhoneVerifyView(SignedInView):
    """Verify the signed-in user's phone with its code."""

    audit_event = "phone_verify"

    @doc(s.CodeSerializer, s.UserSerializer)
    def post(self, request: Request) -> Response:
        """Verify the signed-in user's phone with the code sent to it (LeanCloud:
        ``verifyMobilePhone``)."""
        data = self.valid(s.CodeSerializer)
        user: Any = request.user
        self.audit_phone = services.own_phone(user)
        # The service leaves the updated profile cached on request.user.
        services.verify_phone(
            user, data["code"], request=request._request, validate_token=validate_token(data)
        )
        return Response(s.UserSerializer(request.user).data)


class PhoneChangeCodeView(SignedInView):
    """Send a code to the number the signed-in user wants to bind."""

    audit_event = "phone_change_code"

    @doc(s.PhoneSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a code to the number the signed-in user wants instead of theirs (LeanCloud:
        ``requestChangePhoneNumber``); their own number is ``400 same_phone``, and no code is
        sent."""
        data = self.valid(s.PhoneSerializer)
        user: Any = request.user
        services.send_phone_change_code(
            user, data["phone"], request=request._request, validate_token=validate_token(data)
        )
        return code_sent()


class PhoneChangeView(SignedInView):
    """Bind the new number with its code."""

    audit_event = "phone_change"

    @doc(s.PhoneCodeSerializer, s.PhoneChangedSerializer)
    def post(self, request: Request) -> Response:
        """Bind the new number with its code. Every other session and token of the user ends;
        the caller gets new credentials with the answer (``token``, and ``refresh`` with
        SimpleJWT; a session keeps going under a new cookie) (LeanCloud:
        ``changePhoneNumber``)."""
        data = self.valid(s.PhoneCodeSerializer)
        user: Any = request.user
        # The service leaves the updated profile cached on request.user.
        services.change_phone(
            user,
            data["phone"],
            data["code"],
            request=request._request,
            validate_token=validate_token(data),
        )
        return Response({**s.UserSerializer(user).data, **rotate(request._request, user)})
