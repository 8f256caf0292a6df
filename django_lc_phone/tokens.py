"""What a successful sign-in hands back: a DRF token, a Django session, or a SimpleJWT pair.

``LC_PHONE["TOKEN_ISSUER"]`` picks one by name or dotted path; an issuer has ``issue()`` (the
keys it adds to the response) and ``revoke()`` (log out).
"""

from __future__ import annotations

from typing import Any, Protocol

from django.contrib.auth import login, logout, user_logged_in
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest
from django.utils.module_loading import import_string

from .conf import get_settings

# The backend recorded in a session for users signed in by signup/ (no authenticate() call).
SIGNUP_BACKEND = "django_lc_phone.backends.PhoneCodeBackend"


class TokenIssuer(Protocol):
    """Turns an authenticated user into credentials for the client."""

    def issue(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """Credentials for ``user``: at least ``{"token": ...}`` (None for sessions)."""

    def revoke(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """End what :meth:`issue` started."""


class AuthTokenIssuer:
    """DRF's ``rest_framework.authtoken``: one token per user, sent as ``Token <key>``."""

    def issue(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """The user's token, created on first use."""
        from rest_framework.authtoken.models import Token

        token, _ = Token.objects.get_or_create(user_id=user.pk)
        user_logged_in.send(sender=type(user), request=request, user=user)
        return {"token": token.key}

    def revoke(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """Delete the user's token."""
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=user.pk).delete()


class SessionIssuer:
    """A Django session cookie (``token`` is None)."""

    def issue(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """Log the user in on this request's session."""
        backend = getattr(user, "backend", None) or SIGNUP_BACKEND
        login(request, user, backend=backend)  # type: ignore[arg-type]
        return {"token": None}

    def revoke(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """End the session."""
        logout(request)


class SimpleJWTIssuer:
    """djangorestframework-simplejwt: ``token`` is the access token, ``refresh`` its refresher."""

    def issue(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """A new token pair."""
        from rest_framework_simplejwt.tokens import RefreshToken

        refresh = RefreshToken.for_user(user)
        user_logged_in.send(sender=type(user), request=request, user=user)
        return {"token": str(refresh.access_token), "refresh": str(refresh)}

    def revoke(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """Stateless tokens end when they expire; the client discards them."""


_BUILTIN: dict[str, type[TokenIssuer]] = {
    "authtoken": AuthTokenIssuer,
    "session": SessionIssuer,
    "simplejwt": SimpleJWTIssuer,
}


def get_issuer() -> TokenIssuer:
    """The configured issuer."""
    name = get_settings().TOKEN_ISSUER
    cls: type[TokenIssuer] = _BUILTIN.get(name) or import_string(name)
    return cls()
