"""The compat endpoints: LeanCloud's ``/1.1/...`` phone-auth calls. Thin: read the LeanCloud
fields, call a service inside the same limits as ``api/views.py``, answer LeanCloud's shape."""

from __future__ import annotations

from typing import Any, Final

from django.contrib.auth import authenticate
from django.utils import timezone

from .. import limits, protocol, services
from ..protocol import ProtocolError, bad_request
from ..wire import Code
from . import sessions
from .http import Answer, Call, endpoint
from .users import by_object_id, by_phone, new_password, phone_field, user_json

# Keys of requestSmsCode that are not template variables.
_SMS_KEYS: Final = frozenset(
    {"mobilePhoneNumber", "smsType", "ttl", "name", "op", "template", "sign", "validate_token"}
)


def _validate_token(call: Call) -> str | None:
    token = call.body.get("validate_token")
    return token if isinstance(token, str) and token else None


def _signed_in(user: Any, status: int = 200) -> Answer:
    """A new session for ``user``, answered with the user as LeanCloud does."""
    body = user_json(user, sessions.issue(user))
    headers = protocol.created_headers(body["objectId"]) if status == 201 else {}
    return Answer(body, status, headers)


@endpoint("POST", "sms_code")
def request_sms_code(call: Call) -> Answer:
    """``POST /1.1/requestSmsCode``: a generic code, or an allowlisted template's message."""
    phone = call.phone = phone_field(call.body)
    sms_type = call.body.get("smsType", "sms")
    if sms_type not in ("sms", "voice"):
        raise bad_request("smsType must be sms or voice.")
    template = call.body.get("template")
    if template is not None and not isinstance(template, str):
        raise ProtocolError(Code.INCORRECT_TYPE)
    # A template's variables are the body's other keys, as LeanCloud reads them.
    variables = {k: str(v) for k, v in call.body.items() if k not in _SMS_KEYS and template}
    token = _validate_token(call)
    services.ensure_send_allowed(sms_type, template)
    with limits.sending(phone, call.request, validate_token=token):
        services.send_code(
            phone,
            sms_type=sms_type,
            template=template,
            variables=variables or None,
            validate_token=token,
        )
    return Answer({})


@endpoint("POST", "signup")
def users_by_mobile_phone(call: Call) -> Answer:
    """``POST /1.1/usersByMobilePhone``: sign up (201) or in (200) with a generic code."""
    phone = call.phone = phone_field(call.body)
    code = protocol.sms_code(call.body.get("smsCode"))
    raw_password = call.body.get("password")
    password = new_password(raw_password) if raw_password is not None else None
    username = call.body.get("username")
    if username is not None and (not isinstance(username, str) or not username.strip()):
        raise ProtocolError(Code.INVALID_USERNAME)
    with limits.attempt("code", phone, call.request):
        result = services.signup(
            phone, code, username=username, password=password, request=call.request
        )
    return _signed_in(result.user, 201 if result.created else 200)


@endpoint("POST", "login")
def login(call: Call) -> Answer:
    """``POST /1.1/login`` with ``mobilePhoneNumber`` and a ``password`` or an ``smsCode``,
    through ``authenticate()`` (whose backends hold the attempt limits)."""
    body = call.body
    if body.get("username") or body.get("email"):
        raise bad_request("Only mobilePhoneNumber logins are served here.")
    if not body.get("mobilePhoneNumber"):
        raise ProtocolError(Code.USERNAME_MISSING)
    phone = call.phone = phone_field(body)
    if body.get("smsCode") is not None:
        code = protocol.sms_code(body["smsCode"])
        user = authenticate(call.request, phone=phone, sms_token=code)
        failure = Code.INVALID_SMS_CODE
    else:
        password = protocol.password(body.get("password"))
        user = authenticate(call.request, phone=phone, password=password)
        failure = Code.PASSWORD_MISMATCH
    if user is None:
        raise ProtocolError(failure)
    return _signed_in(user)


@endpoint("POST", "login_code")
def request_login_sms_code(call: Call) -> Answer:
    """``POST /1.1/requestLoginSmsCode``: ``{}`` whether or not the number has an account."""
    phone = call.phone = phone_field(call.body)
    token = _validate_token(call)
    with limits.sending(phone, call.request, validate_token=token):
        services.send_login_code(phone, validate_token=token)
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
    answer carries the one new token. The user's own session or the master key (206)."""
    user = by_object_id(object_id)
    if user is None:
        raise ProtocolError(Code.USER_NOT_FOUND)
    if not call.master:
        caller = sessions.user_for(call.session_token)
        if caller is None or caller.pk != user.pk:
            raise ProtocolError(Code.SESSION_MISSING)
    token = sessions.rotate(user)
    return Answer(protocol.refresh_answer(object_id, timezone.now(), token))


@endpoint("POST", "password_reset_code")
def request_password_reset(call: Call) -> Answer:
    """``POST /1.1/requestPasswordResetBySmsCode``: ``{}`` for every number."""
    phone = call.phone = phone_field(call.body)
    token = _validate_token(call)
    with limits.sending(phone, call.request, validate_token=token):
        services.send_password_reset_code(phone, validate_token=token)
    return Answer({})


@endpoint("PUT", "password_reset")
def reset_password(call: Call, code: str) -> Answer:
    """``PUT /1.1/resetPasswordBySmsCode/<code>``: a new password; every session ends."""
    password = new_password(call.body.get("password"))  # 201 / 218 before the code is spent
    phone = call.phone = phone_field(call.body)
    sms_code = protocol.sms_code(code)
    with limits.attempt("code", phone, call.request):
        services.reset_password(phone, sms_code, password)
    user = by_phone(phone)
    if user is not None:  # also on commit, through credentials_revoked; now, to be sure
        sessions.revoke_all(user)
    return Answer({})
