"""The fields of a username sign-up (``POST /1.1/users`` without ``smsCode``, when
``COMPAT_USERNAME_SIGNUP`` is on), each checked as LeanCloud and the user model check them."""

from __future__ import annotations

from typing import Any, Final

from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, ValidationError

from ... import services
from ...leancloud.protocol import ProtocolError
from ...leancloud.wire import Code
from ..users import new_password
from .user import _phone_shaped

# The fields a username sign-up sets; any other is refused (119), as ``PUT users/<id>`` does:
# the site keeps no custom ``_User`` columns, and a number is set only by proving its code.
_SIGNUP_FIELDS: Final = frozenset({"username", "password", "email"})
_PHONE_USERNAME: Final = "A username cannot be a phone number: sign up with its code."


def new_account(body: dict[str, Any]) -> services.NewAccount:
    """The body's sign-up fields, each checked: 119 for any other field; ``username`` 200
    when missing, 217 when blank, invalid for the user model or shaped as a phone number
    (phone users' usernames are their numbers: nobody may take one without its code);
    ``password`` 201 / 218 (the site's validators too); ``email`` 125 when invalid, 203 when
    a user has it (case-insensitively: email logins need it to name one user)."""
    refused = sorted(set(body) - _SIGNUP_FIELDS)
    if refused:
        raise ProtocolError(
            Code.OPERATION_FORBIDDEN, f"These fields cannot be set here: {', '.join(refused)}."
        )
    username = _username(body.get("username"))
    password = new_password(body.get("password"))
    email = _email(body["email"]) if body.get("email") not in (None, "") else None
    return services.NewAccount(username=username, password=password, email=email)


def _username(value: Any) -> str:
    if value is None or value == "":
        raise ProtocolError(Code.USERNAME_MISSING)
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise ProtocolError(Code.INVALID_USERNAME)  # a NUL: no name, and PostgreSQL refuses it
    if _phone_shaped(value):
        raise ProtocolError(Code.INVALID_USERNAME, _PHONE_USERNAME)
    model: Any = get_user_model()
    field = model._meta.get_field(model.USERNAME_FIELD)
    try:
        cleaned = field.clean(model.normalize_username(value), model())
    except ValidationError as error:
        raise ProtocolError(Code.INVALID_USERNAME, " ".join(error.messages)) from None
    return str(cleaned)


def _email(value: Any) -> str:
    model: Any = get_user_model()
    name = model.get_email_field_name()
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        raise ProtocolError(
            Code.OPERATION_FORBIDDEN, "These fields cannot be set here: email."
        ) from None
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(Code.INVALID_EMAIL)
    email = model._default_manager.normalize_email(value.strip())
    try:
        field.clean(email, model())
    except ValidationError:
        raise ProtocolError(Code.INVALID_EMAIL) from None
    if model._default_manager.filter(**{f"{name}__iexact": email}).exists():
        raise ProtocolError(Code.EMAIL_TAKEN)
    return str(email)
