"""The user object: ``GET`` / ``PUT /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``, the
caller's own record only.

A rename must not tell whether someone else has a name: usernames default to the phone
number, so a username that looks like a phone number is refused unless it is the caller's own
number (one answer, whatever exists); a taken email is no different from a free one; and
every rename spends a small hourly budget of the user's and the client's.
"""

from __future__ import annotations

import re
from typing import Any, Final

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ... import services
from ...exceptions import InvalidPhoneNumber
from ...leancloud import protocol
from ...leancloud.protocol import ProtocolError
from ...leancloud.wire import Code
from ...phone import normalize_phone
from ...usernames import PLACEHOLDER_EMAIL_DOMAIN
from .. import sessions
from ..http import Answer, Call, endpoint
from ..users import by_object_id, email_field, new_password, user_json
from .common import session_owner

# The fields ``PUT users/<id>`` changes (``email`` when the user model has one); every other
# field is refused (119): the number changes through changePhoneNumber, verification flags are
# the service's to set, and the site keeps no other ``_User`` fields (authData, ACL, custom
# columns).
_USER_FIELDS: Final = frozenset({"username", "password", "email"})
# LeanCloud's way to unset a field: ``{"email": {"__op": "Delete"}}``.
_DELETE: Final = {"__op": "Delete"}
# What a phone number typed by a person looks like: digits (any script) and separators.
_PHONE_SHAPED: Final = re.compile(r"^\+?[\d\s().\-]*\d[\d\s().\-]*$")
_NOT_OWN_NUMBER: Final = "A username that is a phone number can only be your own number."
_EMAIL_NOT_SERVED: Final = "This user model keeps emails unique: they cannot be changed here."


def _phone_shaped(value: str) -> bool:
    """Whether ``value`` reads as a phone number (also as a placeholder address,
    ``+86...@phone.invalid``)."""
    local = value.removesuffix(f"@{PLACEHOLDER_EMAIL_DOMAIN}")
    return sum(char.isdigit() for char in local) >= 5 and bool(_PHONE_SHAPED.fullmatch(local))


def _own_number(user: AbstractBaseUser, value: str) -> bool:
    """Whether ``value`` is the caller's own phone number, however it is written."""
    profile = services.profile_of(user)
    try:
        number = normalize_phone(value.removesuffix(f"@{PLACEHOLDER_EMAIL_DOMAIN}"))
    except InvalidPhoneNumber:
        return False
    return profile is not None and bool(profile.phone_e164) and number == profile.phone_e164


def _own_user(call: Call, object_id: str) -> AbstractBaseUser:
    """The user ``object_id`` names, when the caller may see and change it: the master key, or
    that user's own session (206 for anybody else's, whether or not the id exists: ids are
    not probed; 211 for an unknown or ended session)."""
    if call.master:
        user = by_object_id(object_id)
        if user is None:
            raise ProtocolError(Code.USER_NOT_FOUND)
        return user
    caller, _profile = session_owner(call, object_id)
    return caller


def _new_username(user: AbstractBaseUser, value: Any) -> str:
    """A new username: 217 when blank or invalid for the user model, or a phone number that is
    not the caller's own (whether or not anybody has it); 202 when taken; 119 when usernames
    are email addresses (a taken one would tell who has it)."""
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(Code.INVALID_USERNAME)
    if _phone_shaped(value) and not _own_number(user, value):
        raise ProtocolError(Code.INVALID_USERNAME, _NOT_OWN_NUMBER)
    model: Any = type(user)
    field = model._meta.get_field(model.USERNAME_FIELD)
    if isinstance(field, models.EmailField):
        raise ProtocolError(Code.OPERATION_FORBIDDEN, _EMAIL_NOT_SERVED)
    try:
        field.clean(value, user)
    except ValidationError as error:
        raise ProtocolError(Code.INVALID_USERNAME, " ".join(error.messages)) from None
    others = model._default_manager.filter(**{model.USERNAME_FIELD: value}).exclude(pk=user.pk)
    if others.exists():
        raise ProtocolError(Code.USERNAME_TAKEN)
    return value


def _new_email(user: AbstractBaseUser, value: Any) -> str:
    """A new email address: 125 when invalid; ``{"__op": "Delete"}`` removes it. Whether
    another user has it makes no difference (the site sends no mail to it and signs nobody in
    by it, and a refusal would tell who has it): Django's own user model lets two users share
    one. 119 when the user model keeps no email, or keeps it unique."""
    field_name = email_field(user)
    if field_name is None:
        raise ProtocolError(Code.OPERATION_FORBIDDEN, "These fields cannot be changed here: email.")
    model: Any = type(user)
    field = model._meta.get_field(field_name)
    if field.unique or field_name == model.USERNAME_FIELD:
        raise ProtocolError(Code.OPERATION_FORBIDDEN, _EMAIL_NOT_SERVED)
    if value == _DELETE:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(Code.INVALID_EMAIL)
    email = model._default_manager.normalize_email(value.strip())
    try:
        field.clean(email, user)
    except ValidationError:
        raise ProtocolError(Code.INVALID_EMAIL) from None
    return str(email)


def _changes(user: AbstractBaseUser, body: dict[str, Any]) -> services.AccountChanges:
    """The body's fields, each checked (every one before any is saved)."""
    return services.AccountChanges(
        username=_new_username(user, body["username"]) if "username" in body else None,
        email_field=email_field(user),
        email=_new_email(user, body["email"]) if "email" in body else None,
        password=new_password(body["password"]) if "password" in body else None,
    )


@endpoint("GET")
def get_user(call: Call, object_id: str) -> Answer:
    """``GET /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``: the caller's own record (no
    ``sessionToken``, as LeanCloud), or any with the master key."""
    return Answer(user_json(_own_user(call, object_id)))


@endpoint("PUT", "user_update")
def update_user(call: Call, object_id: str) -> Answer:
    """``PUT /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``: ``username`` (202 taken; 217
    for a phone number not the caller's own), ``email`` (125 invalid; never marked verified)
    and ``password`` (218 by the site's validators; the user's other sessions end, the
    caller's stays). Any other field is refused (119). Renames spend ``RENAMES_PER_HOUR``
    (429). Every field is checked before any is saved. Answers ``updatedAt`` and
    ``objectId``."""
    user = _own_user(call, object_id)
    refused = sorted(set(call.body) - _USER_FIELDS)
    if refused:
        raise ProtocolError(
            Code.OPERATION_FORBIDDEN, f"These fields cannot be changed here: {', '.join(refused)}."
        )
    with transaction.atomic():
        changes, profile = services.update_account(
            user,
            lambda: _changes(user, call.body),
            renaming="username" in call.body or "email" in call.body,
            request=call.request,
            limited=not call.master,
        )
        if changes.password is not None:
            keep = sessions.token_hash(call.session_token) if call.session_token else None
            sessions.revoke_all(user, keep=None if call.master else keep)
    updated = profile.updated_at if profile is not None else timezone.now()
    return Answer(protocol.update_answer(object_id, updated))


@csrf_exempt
def user_object(request: HttpRequest, object_id: str) -> HttpResponse:
    """``users/<id>`` and ``classes/_User/<id>``: :func:`update_user` for ``PUT``, else
    :func:`get_user` (which answers preflights and refuses other methods)."""
    view = update_user if request.method == "PUT" else get_user
    response: HttpResponse = view(request, object_id=object_id)
    return response
