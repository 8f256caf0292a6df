"""What a successful sign-in hands back: a DRF token, a Django session, or a SimpleJWT pair.

``LC_PHONE["TOKEN_ISSUER"]`` picks one by name or dotted path; an issuer has ``issue()`` (the
keys it adds to the response), ``revoke()`` (log out) and ``rotate()`` (new credentials for the
caller of a phone change, whose old ones ``revocation.py`` has just ended).

A token sign-in sends ``user_logged_in`` as Django's ``login()`` does (:func:`announce`), but
moves ``last_login`` only when it is ``LAST_LOGIN_PRECISION`` seconds old: Django's receiver
would write the user's row, and wait for its commit, on every login of an app that signs in
often (DRF's ``obtain_auth_token`` and SimpleJWT skip ``last_login`` altogether).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from django.apps import apps
from django.contrib.auth import login, logout, user_logged_in
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import update_last_login
from django.http import HttpRequest
from django.utils import timezone
from django.utils.module_loading import import_string

from .conf import get_settings

if TYPE_CHECKING:
    # Imported where used at run time: the model needs rest_framework.authtoken installed.
    from rest_framework.authtoken.models import Token

# The backend recorded in a session for users signed in by signup/ (no authenticate() call).
SIGNUP_BACKEND = "django_lc_phone.backends.PhoneCodeBackend"


# Django's own receiver of user_logged_in that moves last_login (django.contrib.auth's ready()).
_LAST_LOGIN_UID = "update_last_login"


def announce(request: HttpRequest, user: AbstractBaseUser) -> None:
    """``user_logged_in`` for a token sign-in (marked, so :func:`update_last_login_coarsely`
    can tell it from a session login)."""
    user_logged_in.send(sender=type(user), request=request, user=user, lc_phone_token=True)


def update_last_login_coarsely(sender: type, user: AbstractBaseUser, **kwargs: Any) -> None:
    """Django's ``update_last_login``, except for a token sign-in whose ``last_login`` is less
    than ``LAST_LOGIN_PRECISION`` seconds old: that one writes nothing."""
    precision = get_settings().LAST_LOGIN_PRECISION
    last = getattr(user, "last_login", None)
    recent = last is not None and timezone.now() - last < timedelta(seconds=precision)
    if kwargs.get("lc_phone_token") and precision and recent:
        return
    update_last_login(sender, user, **kwargs)  # type: ignore[arg-type]


def install_last_login_receiver() -> None:
    """Put :func:`update_last_login_coarsely` in the place of Django's receiver, where
    ``django.contrib.auth`` connected one (a user model with ``last_login``, auth's app ready
    before this one); elsewhere nothing changes."""
    if user_logged_in.disconnect(dispatch_uid=_LAST_LOGIN_UID):
        user_logged_in.connect(update_last_login_coarsely, dispatch_uid=_LAST_LOGIN_UID)


class TokenIssuer(Protocol):
    """Turns an authenticated user into credentials for the client."""

    def issue(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """Credentials for ``user``: at least ``{"token": ...}`` (None for sessions)."""

    def revoke(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """End what :meth:`issue` started."""

    def rotate(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """New credentials for the caller, whose old ones were revoked (no login signal)."""


class AuthTokenIssuer:
    """DRF's ``rest_framework.authtoken``: one token per user, sent as ``Token <key>``."""

    def issue(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """The user's token, created on first use: the one the sign-in read with the user
        (``models.profiles_with_user``), else read now."""
        from rest_framework.authtoken.models import Token

        token = _joined_token(user) or Token.objects.get_or_create(user_id=user.pk)[0]
        announce(request, user)
        return {"token": token.key}

    def revoke(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """Delete the user's token."""
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=user.pk).delete()

    def rotate(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """A new token: the old one, which every device shared, is gone."""
        from rest_framework.authtoken.models import Token

        Token.objects.filter(user_id=user.pk).delete()
        return {"token": Token.objects.create(user_id=user.pk).key}


def _joined_token(user: AbstractBaseUser) -> Token | None:
    """The DRF token read with ``user`` (``select_related("user__auth_token")``), or None:
    none was joined, or the user has none yet (a first sign-in creates it)."""
    from rest_framework.authtoken.models import Token

    state = getattr(user, "_state", None)
    cached = state.fields_cache.get("auth_token") if state is not None else None
    return cached if isinstance(cached, Token) else None


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

    def rotate(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """Nothing to hand over: the caller's session stays, under the new key revocation
        gave it (the cookie in this response)."""
        return {"token": None}


class SimpleJWTIssuer:
    """djangorestframework-simplejwt: ``token`` is the access token, ``refresh`` its refresher."""

    def issue(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """A new token pair."""
        from rest_framework_simplejwt.tokens import RefreshToken

        refresh = RefreshToken.for_user(user)
        announce(request, user)
        return {"token": str(refresh.access_token), "refresh": str(refresh)}

    def revoke(self, request: HttpRequest, user: AbstractBaseUser) -> None:
        """Stateless tokens end when they expire; the client discards them."""

    def rotate(self, request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
        """A new pair (the refresh tokens issued before are blacklisted, where the blacklist
        app is installed)."""
        from rest_framework_simplejwt.tokens import RefreshToken

        refresh = RefreshToken.for_user(user)
        return {"token": str(refresh.access_token), "refresh": str(refresh)}


_BUILTIN: dict[str, type[TokenIssuer]] = {
    "authtoken": AuthTokenIssuer,
    "session": SessionIssuer,
    "simplejwt": SimpleJWTIssuer,
}


def rotate(request: HttpRequest, user: AbstractBaseUser) -> dict[str, Any]:
    """New credentials for the caller of a phone change, of the kind it signed in with
    (``request.auth``, which DRF sets): a DRF token, a SimpleJWT pair, or none for a session
    (it goes on under its new key); for anything else, the configured issuer's, or nothing
    from an issuer of the site's own that has no ``rotate()`` (its client signs in again)."""
    auth = getattr(request, "auth", None)
    if auth is None:
        return SessionIssuer().rotate(request, user)
    if apps.is_installed("rest_framework.authtoken"):
        from rest_framework.authtoken.models import Token

        if isinstance(auth, Token):
            return AuthTokenIssuer().rotate(request, user)
    if type(auth).__module__.startswith("rest_framework_simplejwt."):
        return SimpleJWTIssuer().rotate(request, user)
    rotate_credentials = getattr(get_issuer(), "rotate", None)
    return rotate_credentials(request, user) if callable(rotate_credentials) else {}


def get_issuer() -> TokenIssuer:
    """The configured issuer."""
    name = get_settings().TOKEN_ISSUER
    cls: type[TokenIssuer] = _BUILTIN.get(name) or import_string(name)
    return cls()
