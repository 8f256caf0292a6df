"""The site's users as LeanCloud ``_User`` objects, and the request fields that name them (a
number, a code, a new password)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.utils import timezone

from .. import phone as phones
from .. import services
from ..inputs import as_typed
from ..leancloud import protocol
from ..leancloud.wire import OBJECT_ID_RE, Code
from ..models import PhoneProfile


def email_field(user: AbstractBaseUser) -> str | None:
    """The name of the user model's email field (``EMAIL_FIELD``), None if it has none."""
    name = type(user).get_email_field_name()
    try:
        type(user)._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return name


def user_json(user: AbstractBaseUser, session_token: str | None = None) -> dict[str, Any]:
    """The user in LeanCloud's ``_User`` shape (``protocol.user_body``); ``email`` when set
    (never verified: the site sends no verification mail)."""
    profile = services.known_profile(user)
    field = email_field(user)
    email = getattr(user, field, "") if field else ""
    joined: datetime | None = getattr(user, "date_joined", None)
    created = joined or (profile.created_at if profile is not None else timezone.now())
    updated = max(created, profile.updated_at) if profile is not None else created
    return protocol.user_body(
        object_id=str(profile.lc_object_id or "") if profile is not None else "",
        username=str(user.get_username()),
        phone=(profile.phone_e164 or None) if profile is not None else None,
        phone_verified=profile is not None and profile.phone_verified,
        created=created,
        updated=updated,
        session_token=session_token,
        extra={"email": email} if email else None,
    )


def by_object_id(object_id: str) -> AbstractBaseUser | None:
    """The local user whose profile carries this LeanCloud objectId; None, with no query, for
    what is no objectId (``wire.OBJECT_ID_RE``): a NUL in it would make PostgreSQL raise."""
    if not OBJECT_ID_RE.fullmatch(object_id):
        return None
    profile = PhoneProfile.objects.select_related("user").filter(lc_object_id=object_id).first()
    return profile.user if profile is not None else None


def by_phone(phone: str) -> AbstractBaseUser | None:
    """The local user whose profile has this number."""
    profile = PhoneProfile.objects.select_related("user").filter(phone=phone).first()
    return profile.user if profile is not None else None


def phone_field(body: dict[str, Any]) -> str:
    """``mobilePhoneNumber`` read as typed (``inputs.as_typed``: trimmed, any script's digits
    and a full-width ``+`` as ASCII), then as LeanCloud reads it (212, 127), then as the site
    does (127)."""
    return phones.normalize_phone(protocol.normalize_phone(_typed(body.get("mobilePhoneNumber"))))


def code_field(value: Any) -> str:
    """An SMS code (a body field or a path segment) read as typed, then checked as LeanCloud
    checks one (603)."""
    return protocol.sms_code(_typed(value))


def _typed(value: Any) -> Any:
    return as_typed(value) if isinstance(value, str) else value


def new_password(value: Any) -> str:
    """A new password: 201 / 218 as LeanCloud, and the site's validators (218 with their
    messages), as ``auth/phone/`` applies them."""
    password = protocol.password(value)
    try:
        validate_password(password)
    except ValidationError as error:
        raise protocol.ProtocolError(Code.INVALID_PASSWORD, " ".join(error.messages)) from None
    return password
