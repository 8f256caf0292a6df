"""Signing up and in: by a generic code (``usersByMobilePhone``), by a login code, by a
password (of a number, or of the account a username or an email names), and a username
sign-up. Each attempt spends the attempt budgets, below the provider's own account lock."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, transaction
from django.http import HttpRequest

from ..exceptions import InvalidCode, InvalidCredentials, UsernameTaken
from ..guards import limits
from ..leancloud.wire import new_object_id, new_session_token
from ..models import PhoneProfile
from .capture import capture_password
from .provider import attach, link, login_lock, provider
from .sends import deliver, refuse_expired

AccountKind = Literal["username", "email"]


def send_login_code(
    phone: str, *, request: HttpRequest | None = None, validate_token: str | None = None
) -> None:
    """Send a login code, within the send limits and outside the request: nothing tells
    whether the number has an account."""
    refuse_expired(phone)
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


def account_key(kind: AccountKind, identifier: str) -> str:
    """The budget key of the account ``identifier`` names: compatibility-normalised, trimmed
    and case-folded, so that no spelling of a name gets a budget of its own.

    Upper-cased before the fold: an email is found with ``iexact``, which compares
    ``UPPER()`` of both sides (PostgreSQL, MySQL), and some letters only meet there: the
    dotless ``ı`` folds to itself but upper-cases to ``I``, so ``admın@`` finds ``admin@``."""
    trimmed = unicodedata.normalize("NFKC", identifier).strip()
    return f"{kind}:{unicodedata.normalize('NFKC', trimmed.upper()).casefold()}"


def login_with_account(
    kind: AccountKind,
    identifier: str,
    password: str,
    request: HttpRequest | None,
    *,
    validate_token: str | None = None,
) -> AbstractBaseUser:
    """Sign a local user in by username or email and password (the auth backend's), within
    the attempt budgets of the account the identifier names, whether or not it exists.

    An unknown account, a wrong password, a deactivated user, a user without a usable password
    and an email several users share all raise :class:`InvalidCredentials` after one run of a
    password hasher, as Django's ``ModelBackend`` does (#20760): neither the answer nor the
    work tells them apart. The user gets a profile and an objectId if it had none."""
    with limits.account_attempt(
        account_key(kind, identifier), request, validate_token=validate_token
    ):
        user = _account(kind, identifier)
        if user is None:
            get_user_model()().set_password(password)  # the hashing a real check does
            raise InvalidCredentials()
        if not user.check_password(password) or not getattr(user, "is_active", True):
            raise InvalidCredentials()
    return with_object_id(user)


def _account(kind: AccountKind, identifier: str) -> AbstractBaseUser | None:
    """The one user a username (``USERNAME_FIELD``, by natural key as ``ModelBackend`` finds
    it) or an email (``EMAIL_FIELD``, case-insensitively) names, else None. A NUL is in no
    name, and PostgreSQL refuses it in a query."""
    model: Any = get_user_model()
    if "\x00" in identifier:
        return None
    if kind == "username":
        try:
            return model._default_manager.get_by_natural_key(identifier)  # type: ignore[no-any-return]
        except (model.DoesNotExist, model.MultipleObjectsReturned):
            return None
    field = model.get_email_field_name()
    try:
        model._meta.get_field(field)
    except FieldDoesNotExist:
        return None
    found = list(model._default_manager.filter(**{f"{field}__iexact": identifier})[:2])
    return found[0] if len(found) == 1 else None


def with_object_id(user: AbstractBaseUser) -> AbstractBaseUser:
    """``user``, with a profile that has an objectId (a new one when it had none): what
    LeanCloud's SDKs address the user by; and a provider session, which the local provider
    acts as the user with (a phone change), as its own sign-ins mint one."""
    profile, _created = PhoneProfile.objects.get_or_create(user_id=user.pk)
    profile.complete_identity()
    attach(profile, user)
    return user


@dataclass(frozen=True)
class NewAccount:
    """A username sign-up's fields, each checked already; ``email`` is the user model's
    ``EMAIL_FIELD`` value (None: not set)."""

    username: str
    password: str
    email: str | None = None


def signup_with_username(
    read_account: Callable[[], NewAccount], request: HttpRequest | None = None
) -> AbstractBaseUser:
    """Create a local user and its profile (a new objectId, no phone) from what
    ``read_account`` checks and returns; :class:`UsernameTaken` when the username is taken.

    One of the client's sign-up budget (``limits.new_account``) is spent before anything is
    checked, so a taken name costs what a free one does. Taken or not is the unique
    constraint's to say: two sign-ups racing for one name get one account and one refusal."""
    limits.new_account(request)
    account = read_account()
    model: Any = get_user_model()
    user = model(**{model.USERNAME_FIELD: account.username})
    if account.email is not None:
        setattr(user, model.get_email_field_name(), account.email)
    user.set_password(account.password)
    try:
        with transaction.atomic():
            user.save()
            profile = PhoneProfile.objects.create(
                user=user, lc_object_id=new_object_id(), lc_session_token=new_session_token()
            )
    except IntegrityError:
        raise UsernameTaken() from None
    attach(profile, user)
    return user  # type: ignore[no-any-return]
