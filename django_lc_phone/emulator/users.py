"""``_User`` records: LeanCloud's validations, passwords, sessions and the login lock."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping
from typing import Any, Final

from ..leancloud import protocol
from ..leancloud.password import check_password, hash_password, make_salt
from ..leancloud.protocol import ProtocolError, normalize_phone
from ..leancloud.wire import Code, new_object_id, new_session_token
from . import objects
from .objects import USER, Obj

_EMAIL: Final = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOOKUP_COLUMNS: Final = {"username": "username", "email": "email", "phone": "phone"}


def find(db: sqlite3.Connection, column: str, value: str) -> Obj | None:
    """The user whose ``username``, ``email``, ``phone`` or ``session_token`` equals ``value``."""
    if column not in (*_LOOKUP_COLUMNS, "session_token"):
        raise ValueError(column)
    row = db.execute(
        f"SELECT id FROM objects WHERE cls = '_User' AND {column} = ?",  # noqa: S608 - fixed names
        (value,),
    ).fetchone()
    return None if row is None else objects.load(db, USER, row["id"])


def for_session(db: sqlite3.Connection, token: str | None) -> Obj | None:
    """The user a session token belongs to, if any."""
    return find(db, "session_token", token) if token else None


def check_unique(db: sqlite3.Connection, user: Obj) -> None:
    """Raise 202 / 203 / 214 if another user holds this username, email or phone."""
    for key, column, code in (
        ("username", "username", Code.USERNAME_TAKEN),
        ("email", "email", Code.EMAIL_TAKEN),
        ("mobilePhoneNumber", "phone", Code.PHONE_TAKEN),
    ):
        value = user.get(key)
        if value is not None:
            other = find(db, column, value)
            if other is not None and other["objectId"] != user["objectId"]:
                raise ProtocolError(code)


def validate_fields(user: Obj) -> None:
    """LeanCloud's per-field checks: blank username (217), email (125), phone (127)."""
    username = user.get("username")
    if username is not None and (not isinstance(username, str) or not username.strip()):
        raise ProtocolError(Code.INVALID_USERNAME)
    email = user.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.fullmatch(email)):
        raise ProtocolError(Code.INVALID_EMAIL)
    if user.get("mobilePhoneNumber") is not None:
        user["mobilePhoneNumber"] = normalize_phone(user["mobilePhoneNumber"])


def set_password(user: Obj, password: Any) -> None:
    """Store a salted hash (218 for a blank or non-string password)."""
    if not isinstance(password, str) or not password.strip():
        raise ProtocolError(Code.INVALID_PASSWORD)
    user["_salt"] = make_salt()
    user["_password"] = hash_password(password, user["_salt"])


def password_matches(user: Obj, password: Any) -> bool:
    """False for users without a password (phone sign-ups) and for wrong passwords."""
    if not isinstance(password, str) or "_password" not in user:
        return False
    return check_password(password, user["_salt"], user["_password"])


def new_user(fields: Mapping[str, Any], now: float) -> Obj:
    """An unsaved user with LeanCloud's defaults for a fresh row [S23]."""
    user = objects.new_object(USER, new_object_id(), now)
    user.update({"emailVerified": False, "mobilePhoneVerified": False})
    objects.apply_changes(user, {k: v for k, v in fields.items() if k != "password"})
    user["_sessionToken"] = new_session_token()
    return user


def store_new(db: sqlite3.Connection, user: Obj) -> Obj:
    """Validate and save a new user."""
    validate_fields(user)
    check_unique(db, user)
    objects.save(db, USER, user)
    return user


def rotate_session(user: Obj) -> str:
    """Give the user a new session token; the old one stops working."""
    user["_sessionToken"] = new_session_token()
    return str(user["_sessionToken"])


def with_session(user: Obj) -> Obj:
    """The user as login answers show it: public fields plus ``sessionToken``."""
    return protocol.with_session_token(objects.public(user), user["_sessionToken"])


# --- the login lock: more than N failures within the window locks for the window ------------


def locked(db: sqlite3.Connection, user_id: str, now: float) -> bool:
    """Whether the account is locked at ``now``."""
    row = db.execute("SELECT until FROM login_locks WHERE user_id = ?", (user_id,)).fetchone()
    return row is not None and row["until"] > now


def record_failure(
    db: sqlite3.Connection, user_id: str, now: float, limit: int, window: float
) -> None:
    """Count one failed login; lock until ``now + window`` once failures exceed ``limit``."""
    db.execute("INSERT INTO login_failures (user_id, at) VALUES (?, ?)", (user_id, now))
    db.execute("DELETE FROM login_failures WHERE at <= ?", (now - window,))
    (count,) = db.execute(
        "SELECT COUNT(*) FROM login_failures WHERE user_id = ?", (user_id,)
    ).fetchone()
    if count > limit:
        db.execute(
            "INSERT OR REPLACE INTO login_locks (user_id, until) VALUES (?, ?)",
            (user_id, now + window),
        )


def clear_failures(db: sqlite3.Connection, user_id: str) -> None:
    """Forget failures and any lock (after a successful login or a password reset)."""
    db.execute("DELETE FROM login_failures WHERE user_id = ?", (user_id,))
    db.execute("DELETE FROM login_locks WHERE user_id = ?", (user_id,))


def new_session_token_like() -> str:
    """A random 25-character ``[a-z0-9]`` name, as LeanCloud gives authData sign-ups [S23]."""
    return new_session_token()
