"""The ``_User`` endpoints: sign-up (password, authData, phone + code), login, sessions, CRUD."""

from __future__ import annotations

import sqlite3
from typing import Any

from ..leancloud import protocol
from ..leancloud.protocol import ProtocolError, bad_request, normalize_phone
from ..leancloud.wire import Code
from . import objects, queries, sms, users
from .context import Context
from .http import ApiRequest, ApiResponse, error_response
from .objects import USER, Obj


def _created(user: Obj, status: int = 201) -> ApiResponse:
    # The real service answers a relative Location [S23]; the docs show an absolute one [S2].
    headers = protocol.created_headers(user["objectId"]) if status == 201 else {}
    return ApiResponse(users.with_session(user), status, headers)


# --- sign-up and login ---------------------------------------------------------------------


def users_by_mobile_phone(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float
) -> ApiResponse:
    """``POST /usersByMobilePhone``: log in the phone's user or create it (201 new, 200 existing).

    201 vs 200 is inferred from authData sign-up, which documents exactly that [S2].
    """
    body = req.body
    phone = normalize_phone(body.get("mobilePhoneNumber"))
    existing = users.find(db, "phone", phone)
    if existing is None:
        fields = {k: v for k, v in body.items() if k not in ("smsCode", "password")}
        fields.update({"mobilePhoneNumber": phone, "mobilePhoneVerified": True})
        fields.setdefault("username", phone)
        user = users.new_user(fields, now)
        if body.get("password") is not None:
            users.set_password(user, body["password"])
        users.validate_fields(user)
        users.check_unique(db, user)  # refuse before the code is spent
    sms.consume_code(db, phone=phone, purpose=sms.GENERIC, code=body.get("smsCode"), now=now)
    if existing is not None:
        # Proving the code proves the phone: mark it verified (LeanCloud's choice is undocumented).
        if not existing.get("mobilePhoneVerified"):
            existing.update({"mobilePhoneVerified": True, "updatedAt": now})
            objects.save(db, USER, existing)
        return ApiResponse(users.with_session(existing))
    objects.save(db, USER, user)
    return _created(user)


def signup(emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float) -> ApiResponse:
    """``POST /users`` and ``POST /classes/_User``: username + password, authData, or phone +
    ``smsCode``; 201 with the full user and its session token."""
    body = req.body
    if isinstance(body.get("authData"), dict) and "password" not in body:
        return _auth_data_login(db, req, now)
    sms_code = body.get("smsCode")
    fields = {k: v for k, v in body.items() if k not in ("password", "smsCode")}
    if sms_code is not None:  # sign up with a phone proved by a generic SMS code
        phone = normalize_phone(body.get("mobilePhoneNumber"))
        fields.update({"mobilePhoneNumber": phone, "mobilePhoneVerified": True})
        fields.setdefault("username", phone)
    elif not body.get("username"):
        raise ProtocolError(Code.USERNAME_MISSING)
    if sms_code is None and not body.get("password"):
        raise ProtocolError(Code.PASSWORD_MISSING)
    user = users.new_user(fields, now)
    if body.get("password") is not None:
        users.set_password(user, body["password"])
    users.validate_fields(user)
    users.check_unique(db, user)
    if sms_code is not None:
        phone = user["mobilePhoneNumber"]
        sms.consume_code(db, phone=phone, purpose=sms.GENERIC, code=sms_code, now=now)
    objects.save(db, USER, user)
    return _created(user)


def _auth_data_ids(auth_data: dict[str, Any]) -> list[tuple[str, str]]:
    """(platform, id) pairs LeanCloud matches users by, plus the unionid shortcut [S23]."""
    pairs = []
    for platform, data in auth_data.items():
        if not isinstance(data, dict):
            raise bad_request("authData entries must be objects.")
        uid = data.get("uid") or data.get("openid") or data.get("id")
        if uid is not None:
            pairs.append((platform, str(uid)))
        if data.get("unionid") and data.get("platform"):
            pairs.append((f"_{data['platform']}_unionid", str(data["unionid"])))
    return pairs


def _find_by_auth_data(db: sqlite3.Connection, pairs: list[tuple[str, str]]) -> Obj | None:
    for platform, uid in pairs:
        for candidate in queries.find(db, USER, {}):
            entry = (candidate.get("authData") or {}).get(platform)
            if isinstance(entry, dict):
                found = entry.get("uid") or entry.get("openid") or entry.get("id")
                if str(found) == uid:
                    return candidate
    return None


def _auth_data_login(db: sqlite3.Connection, req: ApiRequest, now: float) -> ApiResponse:
    """authData sign-up or login: 200 for a linked user, 201 for a new one, 211 with
    ``failOnNotExist``. A unionid adds ``_<platform>_unionid`` to the user's authData."""
    auth_data: dict[str, Any] = dict(req.body["authData"])
    pairs = _auth_data_ids(auth_data)
    for platform, uid in pairs:
        if platform.startswith("_"):
            auth_data[platform] = {"uid": uid}
    user = _find_by_auth_data(db, pairs)
    if user is not None:
        user["authData"] = {**(user.get("authData") or {}), **auth_data}
        user["updatedAt"] = now
        objects.save(db, USER, user)
        return ApiResponse(users.with_session(user))
    if req.flag("failOnNotExist"):
        raise ProtocolError(Code.USER_NOT_FOUND)
    fields = {k: v for k, v in req.body.items() if k != "authData"}
    fields["authData"] = auth_data
    fields.setdefault("username", users.new_session_token_like())
    user = users.store_new(db, users.new_user(fields, now))
    return _created(user)


def login(emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float) -> ApiResponse:
    """``POST /login``: username, email or phone with a password, or phone + SMS code."""
    body, config = req.body, emu.config
    user = _login_target(db, body)
    if users.locked(db, user["objectId"], now):
        raise ProtocolError(Code.LOGIN_LOCKED)
    by_phone = "username" not in body and "email" not in body
    if by_phone and config.block_unverified_phone_login and not user.get("mobilePhoneVerified"):
        raise ProtocolError(Code.PHONE_NOT_VERIFIED)
    if by_phone and body.get("smsCode") is not None:
        try:
            phone = user["mobilePhoneNumber"]
            row = sms.consume_code(
                db, phone=phone, purpose=sms.LOGIN, code=body["smsCode"], now=now
            )
            sms.require_issued_to(row, user)
        except ProtocolError as error:
            return _failed(emu, db, user, now, error)
    elif body.get("password") in (None, ""):
        raise ProtocolError(Code.PASSWORD_MISSING)
    elif not users.password_matches(user, body["password"]):
        return _failed(emu, db, user, now, ProtocolError(Code.PASSWORD_MISMATCH))
    users.clear_failures(db, user["objectId"])
    return ApiResponse(users.with_session(user))


def _failed(
    emu: Context, db: sqlite3.Connection, user: Obj, now: float, error: ProtocolError
) -> ApiResponse:
    """Count the failure toward the lock and answer (committed, not rolled back)."""
    config = emu.config
    users.record_failure(db, user["objectId"], now, config.lock_failures, config.lock_window)
    return error_response(error)


def _login_target(db: sqlite3.Connection, body: dict[str, Any]) -> Obj:
    """The user a login body names: username first, then email, then phone [S14]."""
    if body.get("username"):
        found, code = users.find(db, "username", str(body["username"])), Code.USER_NOT_FOUND
    elif body.get("email"):
        found, code = users.find(db, "email", str(body["email"])), Code.EMAIL_NOT_FOUND
    elif body.get("mobilePhoneNumber"):
        phone = normalize_phone(body["mobilePhoneNumber"])
        found, code = users.find(db, "phone", phone), Code.PHONE_NOT_FOUND
    else:
        raise ProtocolError(Code.USERNAME_MISSING)
    if found is None:
        raise ProtocolError(code)
    return found


# --- the current user and user objects -----------------------------------------------------


def me(emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float) -> ApiResponse:
    """``GET /users/me``: ``?session_token=`` wins over the header (what ``become`` relies on)."""
    user = users.for_session(db, req.query.get("session_token") or req.session_token)
    if user is None:
        raise ProtocolError(Code.USER_NOT_FOUND)
    return ApiResponse(users.with_session(user))


def _user_or_211(db: sqlite3.Connection, object_id: str) -> Obj:
    user = objects.load(db, USER, object_id)
    if user is None:
        raise ProtocolError(Code.USER_NOT_FOUND)
    return user


def _require_owner(db: sqlite3.Connection, req: ApiRequest, user: Obj) -> None:
    """Writes need that user's session or the master key (403 / 206 otherwise) [S4]."""
    if req.master:
        return
    caller = users.for_session(db, req.session_token)
    if caller is None or caller["objectId"] != user["objectId"]:
        raise ProtocolError(Code.SESSION_MISSING)


def get_user(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, object_id: str
) -> ApiResponse:
    """``GET /users/<id>`` and ``/classes/_User/<id>``: never carries the session token [S23]."""
    user = _user_or_211(db, object_id)
    keys = req.query.get("keys")
    return ApiResponse(objects.public(user, keys.split(",") if keys else None))


def update_user(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, object_id: str
) -> ApiResponse:
    """``PUT /users/<id>`` and ``/classes/_User/<id>``: answers objectId and updatedAt, plus
    the changed fields with ``new=true`` / ``fetchWhenSave=true`` [S23]."""
    user = _user_or_211(db, object_id)
    _require_owner(db, req, user)
    body = dict(req.body)
    changes = {k: v for k, v in body.items() if k != "password"}
    if not req.master:  # verification flags are the service's to set
        changes = {k: v for k, v in changes.items() if not k.endswith("Verified")}
    if isinstance(changes.get("authData"), dict):
        # LeanCloud merges a newly linked platform into the linked ones, and linking one ends
        # the anonymous link [S23: associate-with-authData, loginAnonymously].
        linked = {k: v for k, v in (user.get("authData") or {}).items() if k != "anonymous"}
        changes["authData"] = {**linked, **changes["authData"]}
    old_phone, old_email = user.get("mobilePhoneNumber"), user.get("email")
    try:
        changed = objects.apply_changes(user, changes)
    except (TypeError, ValueError):  # "username.x", or an Increment of a string: not a 500
        raise ProtocolError(Code.INCORRECT_TYPE) from None
    if "password" in body:
        users.set_password(user, body["password"])
    users.validate_fields(user)  # normalizes the phone first: "138..." is the same as "+86138..."
    if user.get("mobilePhoneNumber") != old_phone and "mobilePhoneVerified" not in changes:
        user["mobilePhoneVerified"] = False  # a new number must be verified again [S7]
    if user.get("email") != old_email and "emailVerified" not in changes:
        user["emailVerified"] = False
    if "username" in user and "authData" in user and "password" in body:
        # Turning an anonymous user into a real one drops the anonymous link [S23].
        user["authData"] = {k: v for k, v in user["authData"].items() if k != "anonymous"}
    users.check_unique(db, user)
    user["updatedAt"] = now
    objects.save(db, USER, user)
    return ApiResponse(objects.update_answer(user, changed, echo=req.fetch_when_save))


def delete_user(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, object_id: str
) -> ApiResponse:
    """``DELETE /users/<id>`` and ``/classes/_User/<id>``: answers ``{}``."""
    user = _user_or_211(db, object_id)
    _require_owner(db, req, user)
    objects.delete(db, USER, object_id)
    return ApiResponse({})


def refresh_session_token(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, object_id: str
) -> ApiResponse:
    """``PUT /users/<id>/refreshSessionToken``: the real answer is just updatedAt, objectId and
    the new sessionToken [S23]."""
    user = _user_or_211(db, object_id)
    _require_owner(db, req, user)
    token = users.rotate_session(user)
    user["updatedAt"] = now
    objects.save(db, USER, user)
    return ApiResponse(protocol.refresh_answer(object_id, now, token))


def update_password(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, object_id: str
) -> ApiResponse:
    """``PUT /users/<id>/updatePassword``: needs the session and the old password (210)."""
    user = _user_or_211(db, object_id)
    caller = users.for_session(db, req.session_token)
    if caller is None or caller["objectId"] != object_id:
        raise ProtocolError(Code.SESSION_MISSING)
    if not users.password_matches(user, req.body.get("old_password")):
        raise ProtocolError(Code.PASSWORD_MISMATCH)
    users.set_password(user, req.body.get("new_password"))
    token = users.rotate_session(user)
    user["updatedAt"] = now
    objects.save(db, USER, user)
    return ApiResponse(protocol.refresh_answer(object_id, now, token))
