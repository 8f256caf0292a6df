"""Signing up and in: by a generic code (``usersByMobilePhone``), by a login code, by a
password. Each attempt spends the attempt budgets, below the provider's own account lock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.http import HttpRequest

from ..exceptions import InvalidCode
from ..guards import limits
from .capture import capture_password
from .provider import link, login_lock, provider
from .sends import deliver


def send_login_code(
    phone: str, *, request: HttpRequest | None = None, validate_token: str | None = None
) -> None:
    """Send a login code, within the send limits and outside the request: nothing tells
    whether the number has an account."""
    limits.reserve_send(phone, request, validate_token=validate_token)
    deliver("login", phone, validate_token)


@dataclass(frozen=True)
class SignupResult:
    """The local user, and whether the provider created the account just now."""

    user: AbstractBaseUser
    created: bool


def signup(
    phone: str,
    code: str,
    *,
    username: str | None = None,
    password: str | None = None,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
) -> SignupResult:
    """Sign up (or in) with a generic code; links or creates the local user. A deactivated
    user is refused as a wrong code is (``InvalidCode``): no token, session or login signal."""
    with limits.attempt("code", phone, request, validate_token=validate_token):
        remote, created = provider().signup_or_login(
            phone, code, username=username, password=password
        )
        user = link(remote, request)
        if not getattr(user, "is_active", True):
            raise InvalidCode()
    if created and password:
        capture_password(user, password, fresh=True)  # LeanCloud set it with the account
    return SignupResult(user=user, created=created)


def login_with_code(
    phone: str,
    code: str,
    request: HttpRequest | None,
    *,
    validate_token: str | None = None,
) -> AbstractBaseUser:
    """Sign in with a login code (the auth backend's), within the attempt budgets."""
    with limits.attempt("code", phone, request, validate_token=validate_token, lock=login_lock()):
        return link(provider().login_with_code(phone, code), request)


def login_with_password(
    phone: str,
    password: str,
    request: HttpRequest | None,
    *,
    validate_token: str | None = None,
    username: str | None = None,
) -> AbstractBaseUser:
    """Sign in with a password (the auth backend's), within the attempt budgets.

    ``username`` is a login form's (the admin's): a local user with that username and a
    usable local password is checked as ``ModelBackend`` would check it, inside the same
    budget (staff with a phone-number username sign in with their local password); else the
    provider checks the password of the number."""
    with limits.attempt(
        "password", phone, request, validate_token=validate_token, lock=login_lock()
    ):
        local: Any = (
            ModelBackend().authenticate(request, username=username, password=password)
            if username is not None
            else None
        )
        if local is not None:
            return local  # type: ignore[no-any-return]
        user = link(provider().login_with_password(phone, password), request)
    capture_password(user, password, fresh=False)
    return user
