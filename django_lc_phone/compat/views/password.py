"""Passwords: the reset by SMS code (``requestPasswordResetBySmsCode``,
``resetPasswordBySmsCode``) and the change with the old password (``updatePassword``)."""

from __future__ import annotations

from django.db import transaction

from ... import services
from ...leancloud import protocol
from .. import sessions
from ..http import Answer, Call, endpoint
from ..users import new_password, phone_field
from .common import phone_and_code, session_owner, validate_token


@endpoint("POST", "password_reset_code")
def request_password_reset(call: Call) -> Answer:
    """``POST /1.1/requestPasswordResetBySmsCode``: ``{}`` for every number."""
    phone = call.phone = phone_field(call.body)
    services.send_password_reset_code(
        phone, request=call.request, validate_token=validate_token(call)
    )
    return Answer({})


@endpoint("PUT", "password_reset")
def reset_password(call: Call, code: str) -> Answer:
    """``PUT /1.1/resetPasswordBySmsCode/<code>``: a new password; every session ends. Without
    ``mobilePhoneNumber`` (the JS SDK 4.15.2) the code itself names the number."""
    password = new_password(call.body.get("password"))  # 201 / 218 before the code is spent
    phone, sms_code = phone_and_code(call, "reset_password", code)
    user = services.reset_password(
        phone, sms_code, password, request=call.request, validate_token=validate_token(call)
    )
    if user is not None:  # also on commit, through credentials_revoked; now, to be sure
        sessions.revoke_all(user)
    return Answer({})


@endpoint("PUT", "password_update")
def update_password(call: Call, object_id: str) -> Answer:
    """``PUT /1.1/users/<id>/updatePassword`` with ``old_password`` and ``new_password``: that
    user's own session only (206 / 211; the master key does not stand in for it, as the answer
    is a session of the user). Every session and token of the user ends; the answer is
    LeanCloud's ``{"updatedAt", "objectId", "sessionToken"}`` with the one new token, which the
    official SDKs adopt."""
    user, profile = session_owner(call, object_id)
    call.phone = profile.phone_e164 or None
    old = protocol.password(call.body.get("old_password"))  # 201 missing, 218 blank, as login
    new = new_password(call.body.get("new_password"))  # 201 / 218 and the site's validators
    # The old password is checked as ``login`` checks one (the same attempt budget: a guess
    # here is a guess at a login, 219 once spent); a wrong one is 210.
    with transaction.atomic():
        profile = services.change_password(
            user, old, new, request=call.request, validate_token=validate_token(call)
        )
        token = sessions.rotate(user)  # the caller's old token ends too: it gets the new one
    return Answer(protocol.refresh_answer(object_id, profile.updated_at, token))
