"""Authentication backends: phone + SMS code, phone + password and (compat's) username or
email + password, through ``authenticate()``.

Each attempt spends the app's attempt budgets (the services' sign-in flows apply them), whoever
calls ``authenticate()``: the API, the compat endpoints, the admin's login form. A wrong code or
password returns None, so Django sends ``user_login_failed`` (which lockout tools such as
django-axes listen to); a provider outage raises, because it is not a wrong password. Each
signature binds only its own credentials, so Django skips these backends for other logins.

``PhonePasswordBackend`` must come before ``ModelBackend`` in ``AUTHENTICATION_BACKENDS``
(check ``lc_phone.E020``): a phone user's username is the number, and ModelBackend alone
would check its password with no limit. Listed first, this backend has the local password
checked (as ModelBackend would) inside the budget, and once the budget is spent it stops the
chain (``PermissionDenied``), so no later backend gets another guess.

Compat's username and email logins come as ``lc_username=`` / ``lc_email=`` (with
``password=``), keywords ModelBackend never checks a password for: only this backend does,
inside the account's budget, so sites need no new entry in ``AUTHENTICATION_BACKENDS``.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from . import services
from .exceptions import (
    CaptchaRequired,
    InvalidCode,
    InvalidCredentials,
    InvalidPhoneNumber,
    ProviderError,
    Throttled,
)
from .phone import normalize_phone

logger = logging.getLogger(__name__)


def _phone(value: Any) -> str | None:
    try:
        return normalize_phone(value)
    except InvalidPhoneNumber:
        return None


def _active(user: AbstractBaseUser) -> AbstractBaseUser | None:
    return user if getattr(user, "is_active", True) else None


def _token(validate_token: Any) -> str | None:
    """A ``validate_token`` passed to ``authenticate()``: it answers the step-up of a number
    under attack."""
    return validate_token if isinstance(validate_token, str) and validate_token else None


class _UserLookup(BaseBackend):
    def get_user(self, user_id: Any) -> AbstractBaseUser | None:  # type: ignore[override]
        """The active user with this primary key (session logins)."""
        user = get_user_model()._default_manager.filter(pk=user_id).first()
        return _active(user) if user is not None else None


class PhoneCodeBackend(_UserLookup):
    """``authenticate(request, phone=..., sms_token=...)`` with a login code."""

    # Error reports hide every local below here (the code travels under several names). Not
    # through method_decorator: its own frame would show the credentials in its kwargs.
    @sensitive_variables()
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        phone: Any = None,
        sms_token: Any = None,
        validate_token: Any = None,
    ) -> AbstractBaseUser | None:
        """The user for a valid login code, else None. (``sms_token``: Django scrubs it.)"""
        number = _phone(phone)
        if number is None or not isinstance(sms_token, str):
            return None
        try:
            user = services.login_with_code(
                number, sms_token, request, validate_token=_token(validate_token)
            )
        except InvalidCode:
            return None
        return _active(user)


class PhonePasswordBackend(_UserLookup):
    """``authenticate(request, phone=..., password=...)``; also the admin's login form, where
    the phone number is typed as the username; and ``lc_username=`` or ``lc_email=`` with
    ``password=`` (compat's ``login``) for any local user."""

    @sensitive_variables()
    def authenticate(  # type: ignore[override]
        self,
        request: HttpRequest | None,
        username: Any = None,
        password: Any = None,
        phone: Any = None,
        validate_token: Any = None,
        lc_username: Any = None,
        lc_email: Any = None,
    ) -> AbstractBaseUser | None:
        """The user for a valid phone (or account name) and password, else None."""
        if lc_username is not None or lc_email is not None:
            return _account_login(request, lc_username, lc_email, password, validate_token)
        form = phone is None  # a login form's username, the admin's say
        number = _phone(username if form else phone)
        if number is None or not isinstance(password, str) or not password:
            return None
        try:
            user = services.login_with_password(
                number,
                password,
                request,
                validate_token=_token(validate_token),
                username=username if form else None,
            )
        except InvalidCredentials:
            return None
        except (ProviderError, Throttled, CaptchaRequired) as exc:
            if not form:
                raise  # the API maps outages to 503/504, locks to 429, the step-up to 400
            # A login form (the admin's) cannot show these: refuse this login and stop the
            # chain, so that no later backend (ModelBackend) checks the password unlimited.
            logger.warning("phone password login refused: %s", type(exc).__name__)
            raise PermissionDenied from exc
        return _active(user)


@sensitive_variables()
def _account_login(
    request: HttpRequest | None,
    username: Any,
    email: Any,
    password: Any,
    validate_token: Any,
) -> AbstractBaseUser | None:
    """A username login (the username wins when both are given, as LeanCloud's), else an
    email one; limits and outages raise (compat maps them), a wrong password returns None."""
    kind: services.AccountKind = "username" if username is not None else "email"
    identifier = username if username is not None else email
    if not isinstance(identifier, str) or not identifier or not isinstance(password, str):
        return None
    if not password:
        return None
    try:
        return services.login_with_account(
            kind, identifier, password, request, validate_token=_token(validate_token)
        )
    except InvalidCredentials:
        return None
