"""Signing up and in: ``usersByMobilePhone``, ``users`` / ``classes/_User`` sign-ups (by
code, or by username when ``COMPAT_USERNAME_SIGNUP`` is on), ``login`` (by number, username or
email), ``requestLoginSmsCode``; and the session that results (``users/me``,
``refreshSessionToken``)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils import timezone

from ... import services
from ...conf import get_settings
from ...leancloud import protocol
from ...leancloud.protocol import ProtocolError
from ...leancloud.wire import Code
from .. import sessions
from ..http import Answer, Call, endpoint
from ..users import by_object_id, code_field, new_password, phone_field, user_json
from .common import session_owner, signed_in, validate_token
from .signup import new_account


@endpoint("POST", "signup")
def users_by_mobile_phone(call: Call) -> Answer:
    """``POST /1.1/usersByMobilePhone``: sign up (201) or in (200) with a generic code."""
    return _phone_signup(call)


@endpoint("POST", "signup")
def create_user(call: Call) -> Answer:
    """``POST /1.1/users`` and ``/1.1/classes/_User``: sign-up with ``mobilePhoneNumber`` and
    ``smsCode`` (optional ``username``, ``password``), as ``usersByMobilePhone`` (201 created,
    200 when the proven number has an account). Without ``smsCode``: a username + password
    sign-up (``signup.new_account``: 201, 202 for a taken username) when
    ``COMPAT_USERNAME_SIGNUP`` is on, else (and for an authData one) 119."""
    if call.body.get("smsCode") is not None:
        return _phone_signup(call)
    if not get_settings().COMPAT_USERNAME_SIGNUP or "mobilePhoneNumber" in call.body:
        # Off, every account proves a number; on, a number still needs its code.
        raise ProtocolError(Code.OPERATION_FORBIDDEN, "Sign up with mobilePhoneNumber and smsCode.")
    user = services.signup_with_username(lambda: new_account(call.body), call.request)
    return signed_in(user, 201)


def _phone_signup(call: Call) -> Answer:
    """Sign-up (or in) with a generic code: the fields are checked before the code is spent."""
    phone = call.phone = phone_field(call.body)
    code = code_field(call.body.get("smsCode"))
    raw_password = call.body.get("password")
    password = new_password(raw_password) if raw_password is not None else None
    username = call.body.get("username")
    if username is not None and (not isinstance(username, str) or not username.strip()):
        raise ProtocolError(Code.INVALID_USERNAME)
    result = services.signup(
        phone,
        code,
        username=username,
        password=password,
        request=call.request,
        validate_token=validate_token(call),
    )
    return signed_in(result.user, 201 if result.created else 200)


@endpoint("POST", "login")
def login(call: Call) -> Answer:
    """``POST /1.1/login`` with ``mobilePhoneNumber`` and a ``password`` or an ``smsCode``,
    or with a ``username`` or an ``email`` and a ``password``, through ``authenticate()``
    (whose backends hold the attempt limits)."""
    body = call.body
    if body.get("smsCode") is None and _given(body, "username", "email"):
        return _account_login(call)
    if not body.get("mobilePhoneNumber"):
        raise ProtocolError(Code.USERNAME_MISSING)
    phone = call.phone = phone_field(body)
    token = validate_token(call)
    if body.get("smsCode") is not None:
        code = code_field(body["smsCode"])
        user = authenticate(call.request, phone=phone, sms_token=code, validate_token=token)
        failure = Code.INVALID_SMS_CODE
    else:
        password = protocol.password(body.get("password"))
        user = authenticate(call.request, phone=phone, password=password, validate_token=token)
        failure = Code.PASSWORD_MISMATCH
    if user is None:
        raise ProtocolError(failure)
    return signed_in(user)


def _given(body: dict[str, Any], *names: str) -> bool:
    return any(body.get(name) not in (None, "") for name in names)


def _account_login(call: Call) -> Answer:
    """A username (it wins over an ``email`` sent with it: the Python SDK's ``login`` sends
    both and relies on that) or email login. Every refusal is 210, LeanCloud's answer to a
    wrong password, where LeanCloud answers 211 for an unknown username: no account is told
    from another."""
    body = call.body
    password = protocol.password(body.get("password"))
    token = validate_token(call)
    if _given(body, "username"):
        if not isinstance(body["username"], str):
            raise ProtocolError(Code.INVALID_USERNAME)
        credentials = {"lc_username": body["username"]}
    else:
        if not isinstance(body["email"], str):
            raise ProtocolError(Code.INVALID_EMAIL)
        credentials = {"lc_email": body["email"]}
    user = authenticate(call.request, password=password, validate_token=token, **credentials)
    if user is None:
        raise ProtocolError(Code.PASSWORD_MISMATCH)
    return signed_in(user)


@endpoint("POST", "login_code")
def request_login_sms_code(call: Call) -> Answer:
    """``POST /1.1/requestLoginSmsCode``: ``{}`` whether or not the number has an account."""
    phone = call.phone = phone_field(call.body)
    services.send_login_code(phone, request=call.request, validate_token=validate_token(call))
    return Answer({})


@endpoint("GET")
def me(call: Call) -> Answer:
    """``GET /1.1/users/me``: ``?session_token=`` wins over ``X-LC-Session`` (``become``)."""
    token = call.query("session_token") or call.session_token
    user = sessions.user_for(token)
    if user is None or token is None:
        raise ProtocolError(Code.USER_NOT_FOUND)
    return Answer(user_json(user, token))


@endpoint("PUT", "refresh_session_token")
def refresh_session_token(call: Call, object_id: str) -> Answer:
    """``PUT /1.1/users/<id>/refreshSessionToken``: every session of the user ends; the
    answer carries the one new token. The user's own session (206 without one or for anybody
    else's id, 211 for an ended one: the same for every id, so ids are not probed) or the
    master key (211 for an unknown id)."""
    if call.master:
        user = by_object_id(object_id)
        if user is None:
            raise ProtocolError(Code.USER_NOT_FOUND)
    else:
        user, _profile = session_owner(call, object_id)
    token = sessions.rotate(user)
    return Answer(protocol.refresh_answer(object_id, timezone.now(), token))
