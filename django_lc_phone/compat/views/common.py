"""What several compat endpoints share: the caller's session, the number a body (or a code)
names, a CAPTCHA ``validate_token``, and the signed-in answer."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser

from ... import services
from ...leancloud import protocol
from ...leancloud.protocol import ProtocolError
from ...leancloud.wire import Code
from ...models import PhoneProfile
from .. import sessions
from ..http import Answer, Call
from ..users import code_field, phone_field, user_json


def validate_token(call: Call) -> str | None:
    """The request's ``validate_token`` (a solved CAPTCHA), if it has a usable one."""
    token = call.body.get("validate_token")
    return token if isinstance(token, str) and token else None


def session_user(call: Call) -> AbstractBaseUser:
    """The caller's user: 206 without a session, 211 for an unknown or ended one."""
    if call.session_token is None:
        raise ProtocolError(Code.SESSION_MISSING)
    user = sessions.user_for(call.session_token)
    if user is None:
        raise ProtocolError(Code.USER_NOT_FOUND)
    return user


def session_owner(call: Call, object_id: str) -> tuple[AbstractBaseUser, PhoneProfile]:
    """The caller's user and profile, when ``object_id`` is that user's: 206 for anybody
    else's id, whether or not it exists (ids are not probed), and without a session; 211 for an
    unknown or ended session."""
    caller = session_user(call)
    profile = services.profile_of(caller)
    if profile is None or not profile.lc_object_id or str(profile.lc_object_id) != object_id:
        raise ProtocolError(Code.SESSION_MISSING)
    return caller, profile


def phone_and_code(call: Call, purpose: str, code: str) -> tuple[str, str]:
    """The number and the checked ``code`` of a code in the URL path (``verifyMobilePhone``,
    ``resetPasswordBySmsCode``).

    The number is ``mobilePhoneNumber`` when the body has one (checked first: 212 / 127 before
    the code's 603). Without it, as the JS SDK 4.15.2 sends these calls, the code itself names
    the number (``services.phone_of_code``); a guess without a number is not aimed at one
    number, so it spends a budget of its client's instead of one per number.
    """
    given = None
    if call.body.get("mobilePhoneNumber") not in (None, ""):
        given = call.phone = phone_field(call.body)
    sms_code = code_field(code)
    if given is not None:
        return given, sms_code
    phone = call.phone = services.phone_of_code(purpose, sms_code, call.request)
    return phone, sms_code


def signed_in(user: Any, status: int = 200) -> Answer:
    """A new session for ``user``, answered with the user as LeanCloud does."""
    body = user_json(user, sessions.issue(user))
    headers = protocol.created_headers(body["objectId"]) if status == 201 else {}
    return Answer(body, status, headers)
