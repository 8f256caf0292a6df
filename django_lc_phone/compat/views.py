"""The compat endpoints: LeanCloud's ``/1.1/...`` phone-auth calls. Thin: read the LeanCloud
fields, call a service inside the same limits as ``api/views.py``, answer LeanCloud's shape."""

from __future__ import annotations

import re
from typing import Any, Final

from django.contrib.auth import authenticate
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from .. import codes, limits, protocol, services
from ..exceptions import InvalidCode
from ..protocol import ProtocolError, bad_request
from ..revocation import revoke_other_credentials
from ..wire import Code
from . import sessions
from .http import Answer, Call, endpoint
from .users import by_object_id, by_phone, new_password, phone_field, user_json

# A CAPTCHA token and answer as ``auth/phone/captcha/verify/`` accepts them (607 otherwise).
_CAPTCHA_TOKEN: Final = re.compile(r"[A-Za-z0-9]{4,64}")
_CAPTCHA_ANSWER_MAX: Final = 16
# Keys of requestSmsCode that are not template variables.
_SMS_KEYS: Final = frozenset(
    {"mobilePhoneNumber", "smsType", "ttl", "name", "op", "template", "sign", "validate_token"}
)


def _validate_token(call: Call) -> str | None:
    token = call.body.get("validate_token")
    return token if isinstance(token, str) and token else None


def _session_user(call: Call) -> AbstractBaseUser:
    """The caller's user: 206 without a session, 211 for an unknown or ended one."""
    if call.session_token is None:
        raise ProtocolError(Code.SESSION_MISSING)
    user = sessions.user_for(call.session_token)
    if user is None:
        raise ProtocolError(Code.USER_NOT_FOUND)
    return user


def _phone_or_none(call: Call) -> str | None:
    """``mobilePhoneNumber`` when the body has one; None when it is absent (or empty), as
    the JS SDK 4.15.2 sends ``verifyMobilePhone`` and ``resetPasswordBySmsCode``."""
    if call.body.get("mobilePhoneNumber") in (None, ""):
        return None
    return phone_field(call.body)


def _phone_of_code(call: Call, purpose: str, code: str) -> str:
    """The number whose live ``purpose`` code is ``code`` (``codes.match_any``), for a body
    without ``mobilePhoneNumber``. Failed guesses without a number share one attempt budget
    for the whole site (``CODE_ATTEMPTS`` per window, and the per-IP one): a guess is not
    aimed at one number, so it must not get a fresh budget per number."""
    with limits.attempt("code", f"any-number:{purpose}", call.request):
        phone = call.phone = codes.match_any(purpose, code)
    return phone


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


@endpoint("POST", "sms_code_verify")
def verify_sms_code(call: Call, code: str) -> Answer:
    """``POST /1.1/verifySmsCode/<code>``: check and spend a generic code (``{}``)."""
    phone = call.phone = phone_field(call.body)
    sms_code = protocol.sms_code(code)
    with limits.attempt("code", phone, call.request):
        services.check_code(phone, sms_code)
    return Answer({})


@endpoint("POST", "signup")
def users_by_mobile_phone(call: Call) -> Answer:
    """``POST /1.1/usersByMobilePhone``: sign up (201) or in (200) with a generic code."""
    return _phone_signup(call)


@endpoint("POST", "signup")
def create_user(call: Call) -> Answer:
    """``POST /1.1/users`` and ``/1.1/classes/_User``: sign-up with ``mobilePhoneNumber`` and
    ``smsCode`` (optional ``username``, ``password``), as ``usersByMobilePhone`` (201 created,
    200 when the proven number has an account). Without ``smsCode`` (a username + password or
    authData sign-up) 119: every local user has a proven number."""
    if call.body.get("smsCode") is None:
        raise ProtocolError(Code.OPERATION_FORBIDDEN, "Sign up with mobilePhoneNumber and smsCode.")
    return _phone_signup(call)


def _phone_signup(call: Call) -> Answer:
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
    """``PUT /1.1/resetPasswordBySmsCode/<code>``: a new password; every session ends. Without
    ``mobilePhoneNumber`` (the JS SDK 4.15.2) the code itself names the number."""
    password = new_password(call.body.get("password"))  # 201 / 218 before the code is spent
    given = call.phone = _phone_or_none(call)
    sms_code = protocol.sms_code(code)
    phone = given or _phone_of_code(call, "reset_password", sms_code)
    with limits.attempt("code", phone, call.request):
        services.reset_password(phone, sms_code, password)
    user = by_phone(phone)
    if user is not None:  # also on commit, through credentials_revoked; now, to be sure
        sessions.revoke_all(user)
    return Answer({})


# --- phone verification -----------------------------------------------------------------------


@endpoint("POST", "phone_verify_code")
def request_mobile_phone_verify(call: Call) -> Answer:
    """``POST /1.1/requestMobilePhoneVerify``: a code to the number of the account that has it,
    unless it is verified already. ``{}`` for every number, with the same limits spent."""
    phone = call.phone = phone_field(call.body)
    token = _validate_token(call)
    with limits.sending(phone, call.request, validate_token=token):
        user = by_phone(phone)
        if user is not None and services.phone_to_verify(user) is not None:
            services.send_verification_code(phone, validate_token=token)
    return Answer({})


@endpoint("POST", "phone_verify")
def verify_mobile_phone(call: Call, code: str) -> Answer:
    """``POST /1.1/verifyMobilePhone/<code>``: marks the number's user verified; answers
    ``objectId`` and ``updatedAt``. Without ``mobilePhoneNumber`` (the JS SDK 4.15.2) the
    code itself names the number."""
    given = call.phone = _phone_or_none(call)
    sms_code = protocol.sms_code(code)
    phone = given or _phone_of_code(call, "verify_phone", sms_code)
    with limits.attempt("code", phone, call.request):
        user = by_phone(phone)
        if user is None:
            raise InvalidCode()
        profile = services.verify_phone(user, sms_code)
    return Answer(
        {"updatedAt": protocol.iso(profile.updated_at), "objectId": str(profile.lc_object_id)}
    )


# --- phone change -------------------------------------------------------------------------------


@endpoint("POST", "phone_change_code")
def request_change_phone_number(call: Call) -> Answer:
    """``POST /1.1/requestChangePhoneNumber``: a code to the new number, for the signed-in
    user (206 / 211); a number taken by another account is told apart only at the change."""
    user = _session_user(call)
    phone = call.phone = phone_field(call.body)
    token = _validate_token(call)
    services.own_session(user)
    with limits.sending(phone, call.request, validate_token=token):
        services.send_phone_change_code(user, phone, validate_token=token)
    return Answer({})


@endpoint("POST", "phone_change")
def change_phone_number(call: Call) -> Answer:
    """``POST /1.1/changePhoneNumber``: bind the new number with its ``code``; the user's
    other sessions end, the one making the change stays. Answers ``objectId``, ``updatedAt``."""
    user = _session_user(call)
    phone = call.phone = phone_field(call.body)
    sms_code = protocol.sms_code(call.body.get("code"))
    sessions.keep_on_revoke(call.request, call.session_token)
    with limits.attempt("code", phone, call.request):
        profile = services.change_phone(user, phone, sms_code, request=call.request)
    return Answer(
        {"updatedAt": protocol.iso(profile.updated_at), "objectId": str(profile.lc_object_id)}
    )


# --- CAPTCHA --------------------------------------------------------------------------------


@endpoint("GET")
def request_captcha(call: Call) -> Answer:
    """``GET /1.1/requestCaptcha``: a challenge (``captcha_token``, ``captcha_url``); the URL
    is the site verifier's (a ``data:`` image with the built-in one). ``width``, ``height``,
    ``size`` and ``ttl`` are ignored."""
    challenge = services.request_captcha()
    return Answer({"captcha_token": challenge.token, "captcha_url": challenge.url})


@endpoint("POST", "captcha_verify")
def verify_captcha(call: Call) -> Answer:
    """``POST /1.1/verifyCaptcha``: ``captcha_token`` and ``captcha_code`` give a
    ``validate_token``, good for one code request (607 for a wrong or malformed answer)."""
    token, answer = call.body.get("captcha_token"), call.body.get("captcha_code")
    if not isinstance(token, str) or not _CAPTCHA_TOKEN.fullmatch(token):
        raise ProtocolError(Code.INVALID_CAPTCHA)
    if not isinstance(answer, str) or not answer or len(answer) > _CAPTCHA_ANSWER_MAX:
        raise ProtocolError(Code.INVALID_CAPTCHA)
    validate_token = services.verify_captcha(token, answer)
    limits.remember_validate_token(validate_token)  # this site issued it: valid for one code
    return Answer({"validate_token": validate_token})


# --- the user object --------------------------------------------------------------------------

# The fields ``PUT users/<id>`` changes; every other field is refused (119): the number
# changes through changePhoneNumber, verification flags are the service's to set, and the site
# keeps no other ``_User`` fields (authData, email, ACL, custom columns).
_USER_FIELDS: Final = frozenset({"username", "password"})


def _own_user(call: Call, object_id: str) -> AbstractBaseUser:
    """The user ``object_id`` names, when the caller may see and change it: the master key, or
    that user's own session (206 for anybody else's, whether or not the id exists: ids are
    not probed; 211 for an unknown or ended session)."""
    if call.master:
        user = by_object_id(object_id)
        if user is None:
            raise ProtocolError(Code.USER_NOT_FOUND)
        return user
    caller = _session_user(call)
    profile = services.profile_of(caller)
    if profile is None or str(profile.lc_object_id) != object_id:
        raise ProtocolError(Code.SESSION_MISSING)
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


@endpoint("GET")
def get_user(call: Call, object_id: str) -> Answer:
    """``GET /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``: the caller's own record (no
    ``sessionToken``, as LeanCloud), or any with the master key."""
    return Answer(user_json(_own_user(call, object_id)))


@endpoint("PUT", "user_update")
def update_user(call: Call, object_id: str) -> Answer:
    """``PUT /1.1/users/<id>`` and ``/1.1/classes/_User/<id>``: ``username`` (202 taken) and
    ``password`` (218 by the site's validators; the user's other sessions end, the caller's
    stays). Any other field is refused (119). Answers ``updatedAt`` and ``objectId``."""
    user = _own_user(call, object_id)
    refused = sorted(set(call.body) - _USER_FIELDS)
    if refused:
        raise ProtocolError(
            Code.OPERATION_FORBIDDEN, f"These fields cannot be changed here: {', '.join(refused)}."
        )
    username = _new_username(user, call.body["username"]) if "username" in call.body else None
    password = new_password(call.body["password"]) if "password" in call.body else None
    profile = services.profile_of(user)
    with transaction.atomic():
        if username is not None:
            setattr(user, type(user).USERNAME_FIELD, username)  # type: ignore[attr-defined]
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
    return Answer({"updatedAt": protocol.iso(updated), "objectId": object_id})


@csrf_exempt
def user_object(request: HttpRequest, object_id: str) -> HttpResponse:
    """``users/<id>`` and ``classes/_User/<id>``: :func:`update_user` for ``PUT``, else
    :func:`get_user` (which answers preflights and refuses other methods)."""
    view = update_user if request.method == "PUT" else get_user
    response: HttpResponse = view(request, object_id=object_id)
    return response
