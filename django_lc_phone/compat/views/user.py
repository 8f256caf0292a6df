"""The user object: ``GET`` / ``PUT /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``, the
caller's own record only."""

from __future__ import annotations

from typing import Any, Final

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from ... import protocol, services
from ...protocol import ProtocolError
from ...revocation import revoke_other_credentials
from ...wire import Code
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
    """A new username: 217 when blank or invalid for the user model, 202 when taken."""
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(Code.INVALID_USERNAME)
    model: Any = type(user)
    field = model._meta.get_field(model.USERNAME_FIELD)
    try:
        field.clean(value, user)
    except ValidationError as error:
        raise ProtocolError(Code.INVALID_USERNAME, " ".join(error.messages)) from None
    others = model._default_manager.filter(**{model.USERNAME_FIELD: value}).exclude(pk=user.pk)
    if others.exists():
        raise ProtocolError(Code.USERNAME_TAKEN)
    return value


def _new_email(user: AbstractBaseUser, value: Any) -> str:
    """A new email address: 125 when invalid, 203 when another user has it (in any case);
    ``{"__op": "Delete"}`` removes it. 119 when the user model keeps no email."""
    field_name = email_field(user)
    if field_name is None:
        raise ProtocolError(Code.OPERATION_FORBIDDEN, "These fields cannot be changed here: email.")
    if value == _DELETE:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(Code.INVALID_EMAIL)
    model: Any = type(user)
    email = model._default_manager.normalize_email(value.strip())
    try:
        model._meta.get_field(field_name).clean(email, user)
    except ValidationError:
        raise ProtocolError(Code.INVALID_EMAIL) from None
    others = model._default_manager.filter(**{f"{field_name}__iexact": email}).exclude(pk=user.pk)
    if others.exists():
        raise ProtocolError(Code.EMAIL_TAKEN)
    return str(email)


@endpoint("GET")
def get_user(call: Call, object_id: str) -> Answer:
    """``GET /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``: the caller's own record (no
    ``sessionToken``, as LeanCloud), or any with the master key."""
    return Answer(user_json(_own_user(call, object_id)))


@endpoint("PUT", "user_update")
def update_user(call: Call, object_id: str) -> Answer:
    """``PUT /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``: ``username`` (202 taken),
    ``email`` (125 invalid, 203 taken; never marked verified) and ``password`` (218 by the
    site's validators; the user's other sessions end, the caller's stays). Any other field is
    refused (119). Every field is checked before any is saved. Answers ``updatedAt`` and
    ``objectId``."""
    user = _own_user(call, object_id)
    refused = sorted(set(call.body) - _USER_FIELDS)
    if refused:
        raise ProtocolError(
            Code.OPERATION_FORBIDDEN, f"These fields cannot be changed here: {', '.join(refused)}."
        )
    username = _new_username(user, call.body["username"]) if "username" in call.body else None
    email = _new_email(user, call.body["email"]) if "email" in call.body else None
    password = new_password(call.body["password"]) if "password" in call.body else None
    profile = services.profile_of(user)
    with transaction.atomic():
        if username is not None:
            setattr(user, type(user).USERNAME_FIELD, username)  # type: ignore[attr-defined]
        if email is not None:
            setattr(user, str(email_field(user)), email)
        if password is not None:
            user.set_password(password)
        user.save()
        if password is not None:
            revoke_other_credentials(user)
            keep = sessions.token_hash(call.session_token) if call.session_token else None
            sessions.revoke_all(user, keep=None if call.master else keep)
        if profile is not None:
            profile.save(update_fields=["updated_at"])
    updated = profile.updated_at if profile is not None else timezone.now()
    return Answer(protocol.update_answer(object_id, updated))


@csrf_exempt
def user_object(request: HttpRequest, object_id: str) -> HttpResponse:
    """``users/<id>`` and ``classes/_User/<id>``: :func:`update_user` for ``PUT``, else
    :func:`get_user` (which answers preflights and refuses other methods)."""
    view = update_user if request.method == "PUT" else get_user
    response: HttpResponse = view(request, object_id=object_id)
    return response
