"""Signing up and in (``signup/``, ``login/sms-code/``, ``login/``), the signed-in user
(``me/``) and signing out (``logout/``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from ... import services
from ...exceptions import InvalidCode, InvalidCredentials
from ...tokens import get_issuer
from .. import serializers as s
from .base import PhoneAPIView, SignedInView, code_sent, doc, validate_token


class SignupView(PhoneAPIView):
    """Sign up, or in, with a phone and a code from ``sms-code/``."""

    audit_event = "signup"

    @doc(s.SignupSerializer, s.AuthResponseSerializer, 201, also_ok=200)
    def post(self, request: Request) -> Response:
        """Sign up with a code from ``sms-code/``: 201 and a new account, or 200 and the
        existing account of that number signed in (LeanCloud: ``usersByMobilePhone``)."""
        data = self.valid(s.SignupSerializer)
        result = services.signup(
            data["phone"],
            data["code"],
            username=data.get("username"),
            password=data.get("password"),
            request=request._request,
            validate_token=validate_token(data),
        )
        return self.signed_in(result.user, result.created)


class LoginCodeView(PhoneAPIView):
    """Send a login code; the answer is the same whether or not the number has an account."""

    audit_event = "login_code"

    @doc(s.PhoneSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a login code; the answer is the same whether or not the number has an account
        (LeanCloud: ``requestLoginSmsCode``)."""
        data = self.valid(s.PhoneSerializer)
        services.send_login_code(
            data["phone"], request=request._request, validate_token=validate_token(data)
        )
        return code_sent()


class LoginView(PhoneAPIView):
    """Sign in with a phone and either a login code or a password."""

    audit_event = "login"

    @doc(s.LoginSerializer, s.AuthResponseSerializer)
    def post(self, request: Request) -> Response:
        """Sign in with ``phone`` and either a login ``code`` or a ``password``, through
        ``django.contrib.auth.authenticate()`` (LeanCloud: ``login``)."""
        data = self.valid(s.LoginSerializer)
        token = data.get("validate_token")
        if "code" in data:
            user = authenticate(
                request._request, phone=data["phone"], sms_token=data["code"], validate_token=token
            )
            if user is None:
                raise InvalidCode()
        else:
            user = authenticate(
                request._request,
                phone=data["phone"],
                password=data["password"],
                validate_token=token,
            )
            if user is None:
                raise InvalidCredentials()
        return self.signed_in(user, created=False)


class MeView(SignedInView):
    """The signed-in user."""

    @doc(None, s.UserSerializer)
    def get(self, request: Request) -> Response:
        """The signed-in user, as the database has it now (no upstream call)."""
        return Response(s.UserSerializer(_fresh(request)).data)


class LogoutView(SignedInView):
    """Sign out: revoke what ``login/`` issued."""

    audit_event = "logout"

    @doc(None, OpenApiResponse(description="Signed out."), 204)
    def post(self, request: Request) -> Response:
        """Sign out: revoke the token or end the session that ``login/`` issued (no upstream
        call)."""
        get_issuer().revoke(request._request, request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


def _fresh(request: Request) -> Any:
    """The user with their profile as it is now (the request's copy may be cached)."""
    user = request.user
    if hasattr(user, "_state") and "lc_phone_profile" in user._state.fields_cache:
        del user._state.fields_cache["lc_phone_profile"]
    return user
