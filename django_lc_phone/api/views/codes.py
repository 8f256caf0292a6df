"""Generic codes (``sms-code/``, ``sms-code/verify/``) and the CAPTCHA that may gate every
code request (``captcha/``, ``captcha/verify/``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response

from ... import services
from .. import serializers as s
from .base import PhoneAPIView, ack, code_sent, doc, validate_token


class SmsCodeView(PhoneAPIView):
    """Send a code (or an allowlisted template message) to a number."""

    audit_event = "sms_code"

    @doc(s.SmsCodeRequestSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a six-digit code (or, with ``template``, an allowlisted template message) to
        ``phone``, within the send limits (LeanCloud: ``requestSmsCode``)."""
        data = self.valid(s.SmsCodeRequestSerializer)
        services.send_code(
            data["phone"], request=request._request, **services.send_code_kwargs(data)
        )
        return code_sent()


class SmsCodeVerifyView(PhoneAPIView):
    """Check a code sent by ``sms-code/``."""

    audit_event = "sms_code_verify"

    @doc(s.PhoneCodeSerializer, s.MessageSerializer)
    def post(self, request: Request) -> Response:
        """Check, and spend, a code sent by ``sms-code/``, for flows of the site's own
        (LeanCloud: ``verifySmsCode``)."""
        data = self.valid(s.PhoneCodeSerializer)
        services.check_code(
            data["phone"],
            data["code"],
            request=request._request,
            validate_token=validate_token(data),
        )
        return ack("code_verified", _("The code is valid."))


class CaptchaView(PhoneAPIView):
    """A CAPTCHA challenge, for sites that require one before sending codes."""

    @doc(None, s.CaptchaSerializer)
    def get(self, request: Request) -> Response:
        """A CAPTCHA challenge (an image URL and a token), for sites that require one before
        sending codes (LeanCloud: ``requestCaptcha``)."""
        challenge = services.request_captcha()
        return Response({"captcha_token": challenge.token, "captcha_url": challenge.url})


class CaptchaVerifyView(PhoneAPIView):
    """Answer a CAPTCHA; the ``validate_token`` goes with the next code request."""

    audit_event = "captcha_verify"

    @doc(s.CaptchaVerifySerializer, s.ValidateTokenSerializer)
    def post(self, request: Request) -> Response:
        """Answer a CAPTCHA; the ``validate_token`` it returns goes with the next code request
        and is good for one (LeanCloud: ``verifyCaptcha``)."""
        data = self.valid(s.CaptchaVerifySerializer)
        token = services.verify_captcha(
            data["captcha_token"], data["captcha_code"], request=request._request
        )
        return Response({"validate_token": token})
