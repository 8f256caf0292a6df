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
        """A CAPTCHA challenge, for sites that require one before sending codes: an image URL
        and a token (LeanCloud: ``requestCaptcha``), or the vendor widget to render and its
        site key (``verifier`` says which)."""
        challenge = services.request_captcha()
        if challenge.verifier == "image":
            body = {"captcha_token": challenge.token, "captcha_url": challenge.url}
        else:
            body = {"site_key": challenge.site_key}
            if challenge.action:
                body["action"] = challenge.action
        return Response({"verifier": challenge.verifier, **body})


class CaptchaVerifyView(PhoneAPIView):
    """Answer a CAPTCHA; the ``validate_token`` goes with the next code request."""

    audit_event = "captcha_verify"

    @doc(s.CaptchaVerifySerializer, s.ValidateTokenSerializer)
    def post(self, request: Request) -> Response:
        """Answer a CAPTCHA: the image's token and code (LeanCloud: ``verifyCaptcha``), or the
        widget's response (and Tencent's randstr). The ``validate_token`` it returns goes with
        the next code request and is good for one."""
        data = self.valid(s.CaptchaVerifySerializer)
        if "captcha_response" in data:
            token, answer = data.get("captcha_randstr", ""), data["captcha_response"]
        else:
            token, answer = data["captcha_token"], data["captcha_code"]
        issued = services.verify_captcha(token, answer, request=request._request)
        return Response({"validate_token": issued})
