"""The DRF endpoints. Thin: validate the shape, call a service (or ``authenticate()``), answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any, Final, cast

from django.contrib.auth import authenticate
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from .. import services
from ..audit import auth_event
from ..conf import get_settings
from ..exceptions import AlreadyVerified, InvalidCode, InvalidCredentials, LcPhoneError
from ..guards import limits
from ..tokens import get_issuer, rotate
from . import serializers as s
from .errors import PhoneAPIError, exception_handler, to_api_error
from .parsers import DepthLimitedJSONParser


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(s.ErrorSerializer, description=description)


# Every error an endpoint can answer, with the stable codes each status carries.
_ERRORS: Final = {
    400: _error(
        "Bad input or a wrong code: `invalid`, `invalid_phone`, `phone_not_allowed`,"
        " `invalid_code`, `not_allowed`, `captcha_required`, `invalid_captcha`, `no_phone`,"
        " `already_verified`, `same_phone`."
    ),
    401: _error(
        "Not signed in, or bad credentials: `not_authenticated`, `authentication_failed`,"
        " `invalid_credentials`, `session_expired`."
    ),
    409: _error("The number belongs to another account: `phone_unavailable`."),
    429: _error(
        "Throttled: `sms_rate_limited`, `too_many_attempts`, `throttled`. See `Retry-After`."
    ),
    502: _error("The provider failed: `bad_upstream_response`, `sms_delivery_failed`."),
    503: _error(
        "The provider or the database is unavailable, or the site's SMS budget is spent:"
        " `upstream_unavailable`, `temporarily_unavailable`, `sms_budget_exhausted`."
        " See `Retry-After`."
    ),
    504: _error("The provider did not answer in time: `upstream_timeout`."),
}
# Only for endpoints that take a body.
_BODY_ERRORS: Final = {
    413: _error("The body is too large: `request_too_large`."),
    415: _error("The body is not JSON: `unsupported_media_type`."),
}
_RETRY_AFTER: Final = OpenApiParameter(
    "Retry-After",
    OpenApiTypes.INT,
    OpenApiParameter.HEADER,
    description="Seconds to wait before trying again.",
    response=[429, 503],
)
CODE_SENT_DETAIL: Final = _("If this number can receive codes, one has been sent.")


def _ack(code: str, detail: Any, http_status: int = status.HTTP_200_OK) -> Response:
    return Response({"code": code, "detail": str(detail)}, status=http_status)


def _code_sent() -> Response:
    return _ack("code_sent", CODE_SENT_DETAIL, status.HTTP_202_ACCEPTED)


def _doc(
    request: Any, ok: Any, ok_status: int = 200, *, also_ok: int | None = None, **extra: Any
) -> Callable[[Any], Any]:
    responses: dict[int, Any] = {ok_status: ok, **_ERRORS}
    if also_ok is not None:  # a second success status, with the same body
        responses[also_ok] = ok
    if request is not None:
        responses.update(_BODY_ERRORS)
    return extend_schema(request=request, responses=responses, parameters=[_RETRY_AFTER], **extra)


# Error reports (a 500 with ADMINS, or the debug page) show POST fields and every frame's
# locals: hide the credentials among the fields, and all locals below dispatch (codes,
# passwords and tokens are passed down through many frames under many names).
@method_decorator(
    sensitive_post_parameters("password", "code", "validate_token", "captcha_code"),
    name="dispatch",
)
@method_decorator(sensitive_variables(), name="dispatch")
class PhoneAPIView(APIView):
    """Base view: domain errors become API errors; bodies are ``{"code", "detail"}``; each
    answer of an authentication flow is logged once (``audit.py``)."""

    # The event name logged for each answer; None logs nothing (read-only endpoints).
    audit_event: str | None = None
    audit_phone: str | None = None

    permission_classes = [AllowAny]
    # Public endpoints read no credentials: a stale token left in a client's headers must not
    # stop it from signing in again (DRF would answer 401 before the view runs).
    authentication_classes: Sequence[type[BaseAuthentication]] = []
    parser_classes = [DepthLimitedJSONParser]  # JSON in: form bodies are a 415

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Refuse oversized bodies before anything reads them (413 ``request_too_large``)."""
        length = request.META.get("CONTENT_LENGTH") or 0
        try:
            too_large = int(length) > get_settings().MAX_BODY_BYTES
        except ValueError:
            too_large = False  # Django refuses a malformed length itself
        if too_large:
            raise PhoneAPIError(413, "request_too_large", _("The request body is too large."))
        super().initial(request, *args, **kwargs)

    def get_exception_handler(self) -> Callable[..., Response | None]:
        """Our error body shape, without touching the project's ``EXCEPTION_HANDLER``."""
        return exception_handler

    def handle_exception(self, exc: Exception) -> Response:
        """Translate domain errors (one table in ``api/errors.py``)."""
        if isinstance(exc, LcPhoneError):
            exc = to_api_error(exc)
        try:
            return super().handle_exception(exc)
        except Exception:
            # A crash never reaches finalize_response: audit it here, once.
            if self.audit_event is not None:
                auth_event(
                    self.audit_event,
                    "server_error",
                    status=500,
                    phone=self.audit_phone,
                    request=self.request._request,
                )
            raise

    def valid(self, serializer_class: type[serializers.Serializer[Any]]) -> dict[str, Any]:
        """The validated request body."""
        serializer = serializer_class(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        data: dict[str, Any] = serializer.validated_data
        self.audit_phone = data.get("phone") or self.audit_phone
        return data

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        """Log the outcome: ``ok``, or the error code the client gets."""
        response = super().finalize_response(request, response, *args, **kwargs)
        if self.audit_event is not None:
            data = getattr(response, "data", None)
            failed = response.status_code >= 400 and isinstance(data, dict)
            auth_event(
                self.audit_event,
                str(data.get("code", "error")) if failed and data else "ok",
                status=response.status_code,
                phone=self.audit_phone,
                request=request._request,
            )
        return response

    def signed_in(self, user: Any, created: bool) -> Response:
        """Credentials from the configured issuer, plus the user."""
        body = {**get_issuer().issue(self.request._request, user), "created": created}
        body["user"] = s.UserSerializer(user).data
        return Response(body, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


class SmsCodeView(PhoneAPIView):
    """Send a code (or an allowlisted template message) to a number."""

    audit_event = "sms_code"

    @_doc(s.SmsCodeRequestSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a six-digit code (or, with ``template``, an allowlisted template message) to
        ``phone``, within the send limits (LeanCloud: ``requestSmsCode``)."""
        data = self.valid(s.SmsCodeRequestSerializer)
        options = services.send_code_kwargs(data)
        services.ensure_send_allowed(options["sms_type"], options["template"])
        with limits.sending(
            data["phone"], request._request, validate_token=options["validate_token"]
        ):
            services.send_code(data["phone"], **options)
        return _code_sent()


class SmsCodeVerifyView(PhoneAPIView):
    """Check a code sent by ``sms-code/``."""

    audit_event = "sms_code_verify"

    @_doc(s.PhoneCodeSerializer, s.MessageSerializer)
    def post(self, request: Request) -> Response:
        """Check, and spend, a code sent by ``sms-code/``, for flows of the site's own
        (LeanCloud: ``verifySmsCode``)."""
        data = self.valid(s.PhoneCodeSerializer)
        with _attempt("code", data["phone"], request, data):
            services.check_code(data["phone"], data["code"])
        return _ack("code_verified", _("The code is valid."))


class SignupView(PhoneAPIView):
    """Sign up, or in, with a phone and a code from ``sms-code/``."""

    audit_event = "signup"

    @_doc(s.SignupSerializer, s.AuthResponseSerializer, 201, also_ok=200)
    def post(self, request: Request) -> Response:
        """Sign up with a code from ``sms-code/``: 201 and a new account, or 200 and the
        existing account of that number signed in (LeanCloud: ``usersByMobilePhone``)."""
        data = self.valid(s.SignupSerializer)
        with _attempt("code", data["phone"], request, data):
            result = services.signup(
                data["phone"],
                data["code"],
                username=data.get("username"),
                password=data.get("password"),
                request=request._request,
            )
        return self.signed_in(result.user, result.created)


class LoginCodeView(PhoneAPIView):
    """Send a login code; the answer is the same whether or not the number has an account."""

    audit_event = "login_code"

    @_doc(s.PhoneSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a login code; the answer is the same whether or not the number has an account
        (LeanCloud: ``requestLoginSmsCode``)."""
        data = self.valid(s.PhoneSerializer)
        token = data.get("validate_token")
        with limits.sending(data["phone"], request._request, validate_token=token):
            services.send_login_code(data["phone"], validate_token=token)
        return _code_sent()


class LoginView(PhoneAPIView):
    """Sign in with a phone and either a login code or a password."""

    audit_event = "login"

    @_doc(s.LoginSerializer, s.AuthResponseSerializer)
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


class PasswordResetCodeView(PhoneAPIView):
    """Send a password-reset code; the same answer for every number."""

    audit_event = "password_reset_code"

    @_doc(s.PhoneSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a password-reset code; the same answer for every number (LeanCloud:
        ``requestPasswordResetBySmsCode``)."""
        data = self.valid(s.PhoneSerializer)
        token = data.get("validate_token")
        with limits.sending(data["phone"], request._request, validate_token=token):
            services.send_password_reset_code(data["phone"], validate_token=token)
        return _code_sent()


class PasswordResetView(PhoneAPIView):
    """Set a new password with a reset code. Nobody is signed in by it."""

    audit_event = "password_reset"

    @_doc(s.PasswordResetSerializer, s.MessageSerializer)
    def post(self, request: Request) -> Response:
        """Set a new password with a reset code; the user's sessions and tokens end, and
        nobody is signed in by it (LeanCloud: ``resetPasswordBySmsCode``)."""
        data = self.valid(s.PasswordResetSerializer)
        with _attempt("code", data["phone"], request, data):
            services.reset_password(data["phone"], data["code"], data["password"])
        return _ack("password_reset", _("Your password has been reset. Sign in with it."))


class SignedInView(PhoneAPIView):
    """Base of the endpoints for a signed-in user."""

    permission_classes = [IsAuthenticated]

    def get_authenticators(self) -> list[BaseAuthentication]:
        """The project's ``DEFAULT_AUTHENTICATION_CLASSES``, read per request (DRF's class
        attribute is read once at import, so ``override_settings`` could not reach it)."""
        # api_settings imports the dotted paths; the stubs type the raw setting.
        classes = cast(
            "list[type[BaseAuthentication]]", api_settings.DEFAULT_AUTHENTICATION_CLASSES
        )
        return [auth() for auth in classes]


class PhoneVerifyCodeView(SignedInView):
    """Send a code to the signed-in user's phone."""

    audit_event = "phone_verify_code"

    @_doc(s.ValidateTokenRequestSerializer, s.MessageSerializer, 202)
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
        token = data.get("validate_token")
        with limits.sending(phone, request._request, validate_token=token):
            services.send_verification_code(phone, validate_token=token)
        return _code_sent()


class PhoneVerifyView(SignedInView):
    """Verify the signed-in user's phone with its code."""

    audit_event = "phone_verify"

    @_doc(s.CodeSerializer, s.UserSerializer)
    def post(self, request: Request) -> Response:
        """Verify the signed-in user's phone with the code sent to it (LeanCloud:
        ``verifyMobilePhone``)."""
        data = self.valid(s.CodeSerializer)
        user: Any = request.user
        self.audit_phone = services.own_phone(user)
        # The service leaves the updated profile cached on request.user.
        with _attempt("code", self.audit_phone, request, data):
            services.verify_phone(user, data["code"])
        return Response(s.UserSerializer(request.user).data)


class PhoneChangeCodeView(SignedInView):
    """Send a code to the number the signed-in user wants to bind."""

    audit_event = "phone_change_code"

    @_doc(s.PhoneSerializer, s.MessageSerializer, 202)
    def post(self, request: Request) -> Response:
        """Send a code to the number the signed-in user wants instead of theirs (LeanCloud:
        ``requestChangePhoneNumber``); their own number is ``400 same_phone``, and no code is
        sent."""
        data = self.valid(s.PhoneSerializer)
        token = data.get("validate_token")
        services.prepare_phone_change(request.user, data["phone"])  # type: ignore[arg-type]
        with limits.sending(data["phone"], request._request, validate_token=token):
            services.send_phone_change_code(
                request.user,  # type: ignore[arg-type]
                data["phone"],
                validate_token=token,
            )
        return _code_sent()


class PhoneChangeView(SignedInView):
    """Bind the new number with its code."""

    audit_event = "phone_change"

    @_doc(s.PhoneCodeSerializer, s.PhoneChangedSerializer)
    def post(self, request: Request) -> Response:
        """Bind the new number with its code. Every other session and token of the user ends;
        the caller gets new credentials with the answer (``token``, and ``refresh`` with
        SimpleJWT; a session keeps going under a new cookie) (LeanCloud:
        ``changePhoneNumber``)."""
        data = self.valid(s.PhoneCodeSerializer)
        user: Any = request.user
        # The service leaves the updated profile cached on request.user.
        with _attempt("code", data["phone"], request, data):
            services.change_phone(user, data["phone"], data["code"], request=request._request)
        return Response({**s.UserSerializer(user).data, **rotate(request._request, user)})


class CaptchaView(PhoneAPIView):
    """A CAPTCHA challenge, for sites that require one before sending codes."""

    @_doc(None, s.CaptchaSerializer)
    def get(self, request: Request) -> Response:
        """A CAPTCHA challenge (an image URL and a token), for sites that require one before
        sending codes (LeanCloud: ``requestCaptcha``)."""
        challenge = services.request_captcha()
        return Response({"captcha_token": challenge.token, "captcha_url": challenge.url})


class CaptchaVerifyView(PhoneAPIView):
    """Answer a CAPTCHA; the ``validate_token`` goes with the next code request."""

    audit_event = "captcha_verify"

    @_doc(s.CaptchaVerifySerializer, s.ValidateTokenSerializer)
    def post(self, request: Request) -> Response:
        """Answer a CAPTCHA; the ``validate_token`` it returns goes with the next code request
        and is good for one (LeanCloud: ``verifyCaptcha``)."""
        data = self.valid(s.CaptchaVerifySerializer)
        limits.captcha_answer(request._request)  # each answer spends its challenge: bounded
        token = services.verify_captcha(data["captcha_token"], data["captcha_code"])
        limits.remember_validate_token(token)  # this site issued it: valid for one code
        return Response({"validate_token": token})


class MeView(SignedInView):
    """The signed-in user."""

    @_doc(None, s.UserSerializer)
    def get(self, request: Request) -> Response:
        """The signed-in user, as the database has it now (no upstream call)."""
        return Response(s.UserSerializer(_fresh(request)).data)


class LogoutView(SignedInView):
    """Sign out: revoke what ``login/`` issued."""

    audit_event = "logout"

    @_doc(None, OpenApiResponse(description="Signed out."), 204)
    def post(self, request: Request) -> Response:
        """Sign out: revoke the token or end the session that ``login/`` issued (no upstream
        call)."""
        get_issuer().revoke(request._request, request.user)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


def _attempt(
    kind: limits.AttemptKind, phone: str, request: Request, data: dict[str, Any]
) -> AbstractContextManager[None]:
    """The attempt budgets of one code or password check, with the request's CAPTCHA."""
    return limits.attempt(
        kind, phone, request._request, validate_token=data.get("validate_token") or None
    )


def _fresh(request: Request) -> Any:
    """The user with their profile as it is now (the request's copy may be cached)."""
    user = request.user
    if hasattr(user, "_state") and "lc_phone_profile" in user._state.fields_cache:
        del user._state.fields_cache["lc_phone_profile"]
    return user
