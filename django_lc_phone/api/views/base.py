"""What every endpoint shares: the base views (errors, body size, audit, the signed-in answer),
the schema's error table, and the acknowledgements."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Final, cast

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

from ...audit import auth_event
from ...conf import get_settings
from ...exceptions import LcPhoneError
from ...tokens import get_issuer
from .. import serializers as s
from ..errors import PhoneAPIError, exception_handler, to_api_error
from ..parsers import DepthLimitedJSONParser


def _error(description: str) -> OpenApiResponse:
    return OpenApiResponse(s.ErrorSerializer, description=description)


# Every error an endpoint can answer, with the stable codes each status carries.
_ERRORS: Final = {
    400: _error(
        "Bad input or a wrong code: `invalid`, `invalid_phone`, `phone_not_allowed`,"
        " `invalid_code`, `not_allowed`, `captcha_required`, `invalid_captcha`, `captcha_spent`,"
        " `captcha_expired`, `no_phone`,"
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
        "The provider or the database is unavailable, the site's SMS budget is spent, or the"
        " call needs a setting that is missing: `upstream_unavailable`,"
        " `temporarily_unavailable`, `sms_budget_exhausted`, `misconfigured`,"
        " `captcha_unavailable` (the CAPTCHA vendor gave no verdict)."
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


def ack(code: str, detail: Any, http_status: int = status.HTTP_200_OK) -> Response:
    """A ``{"code", "detail"}`` body."""
    return Response({"code": code, "detail": str(detail)}, status=http_status)


def code_sent() -> Response:
    """The answer of every code request: the same whoever has the number."""
    return ack("code_sent", CODE_SENT_DETAIL, status.HTTP_202_ACCEPTED)


def doc(
    request: Any, ok: Any, ok_status: int = 200, *, also_ok: int | None = None, **extra: Any
) -> Callable[[Any], Any]:
    """The schema of an endpoint: its body, its success, and every error it can answer."""
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
    sensitive_post_parameters(
        "password", "code", "validate_token", "captcha_code", "captcha_response"
    ),
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


def validate_token(data: dict[str, Any]) -> str | None:
    """The request's ``validate_token`` (a solved CAPTCHA), if it has one."""
    return data.get("validate_token") or None
