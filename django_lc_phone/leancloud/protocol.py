"""LeanCloud's REST protocol as a server speaks it: auth, errors, bodies, fields, user JSON.

The emulator (``emulator/``) and the compat layer (``compat/``) both answer LeanCloud's SDKs;
everything the two must agree on lives here, once: checking ``X-LC-Id`` with ``X-LC-Sign`` or
``X-LC-Key`` (and their tunnelled body forms), the error body ``{"code", "error"}`` with
LeanCloud's status, JSON bodies in and out, CORS, the checks of ``mobilePhoneNumber``,
``smsCode`` and ``password`` fields, and the ``_User`` JSON shape with its ISO dates. The wire
constants themselves (codes, messages, headers, signing) are ``wire.py``'s. Standard library
only: the emulator runs without Django.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from . import jsondepth
from .wire import (
    BARE_PHONE_PREFIX,
    CORS_ALLOWED_HEADERS,
    HEADER_ID,
    HEADER_KEY,
    HEADER_SESSION,
    HEADER_SIGN,
    JSON_CONTENT_TYPE,
    MASTER_SUFFIX,
    PHONE_BARE_RE,
    PHONE_E164_RE,
    SMS_CODE_RE,
    Code,
    KeyKind,
    check_key_header,
    check_sign_header,
    error_body,
    error_status,
    format_date,
    format_timestamp,
    sign_is_fresh,
)

# Bodies larger than this are refused before parsing (LeanCloud's own limit is undocumented).
MAX_BODY_BYTES: Final = 1024 * 1024

# The legacy body forms of the credentials (method tunnelling, old SDKs) [S3].
TUNNELLED_KEYS: Final = ("_ApplicationId", "_ApplicationKey", "_MasterKey")

HeaderGetter = Callable[[str], "str | None"]
Moment = datetime | float


class ProtocolError(Exception):
    """An error LeanCloud answers with ``{"code": N, "error": "..."}`` and its HTTP status."""

    def __init__(
        self,
        code: int,
        message: str | None = None,
        *,
        status: int | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(code, message)
        self.code = code
        self.body = error_body(code, message)
        self.status = status if status is not None else error_status(code)
        self.headers: dict[str, str] = dict(headers or {})


def bad_request(message: str) -> ProtocolError:
    """LeanCloud's catch-all code 1 with a specific message."""
    return ProtocolError(Code.INTERNAL, message)


# --- requests ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Credentials:
    """The app's id and keys, against which every request is checked."""

    app_id: str
    app_key: str
    master_key: str | None = None


def authenticate(
    header: HeaderGetter,
    body: MutableMapping[str, Any],
    credentials: Credentials,
    *,
    max_sign_age: float | None = None,
    clock: Callable[[], float] = time.time,
) -> KeyKind:
    """``X-LC-Id`` plus ``X-LC-Sign`` or ``X-LC-Key`` (or their tunnelled body forms): which
    key signed the request. Raises 401 ``Unauthorized.`` as LeanCloud does; the tunnelled
    credentials are removed from ``body`` either way.

    ``max_sign_age`` (seconds; None: any age, as the emulator, for LeanCloud documents no
    window) refuses an ``X-LC-Sign`` whose timestamp is further from ``clock()`` than that,
    either way, as a wrong signature: a recorded request cannot be replayed for ever."""
    tunnelled = {name: body.pop(name, None) for name in TUNNELLED_KEYS}
    app_id = header(HEADER_ID) or tunnelled["_ApplicationId"]
    sign, key = header(HEADER_SIGN), header(HEADER_KEY)
    if key is None and isinstance(tunnelled["_MasterKey"], str):
        key = f"{tunnelled['_MasterKey']},{MASTER_SUFFIX}"
    elif key is None and isinstance(tunnelled["_ApplicationKey"], str):
        key = tunnelled["_ApplicationKey"]
    kind: KeyKind | None = None
    if isinstance(app_id, str) and app_id == credentials.app_id and credentials.app_id:
        if sign is not None:
            kind = check_sign_header(sign, credentials.app_key, credentials.master_key)
            if max_sign_age is not None and not sign_is_fresh(sign, clock(), max_sign_age):
                kind = None
        elif key is not None:
            kind = check_key_header(key, credentials.app_key, credentials.master_key)
    if kind is None:
        raise ProtocolError(Code.UNAUTHORIZED)
    return kind


def session_token(header: HeaderGetter, body: MutableMapping[str, Any]) -> str | None:
    """``X-LC-Session``, or the tunnelled ``_SessionToken`` (removed from ``body``)."""
    tunnelled = body.pop("_SessionToken", None)
    value = header(HEADER_SESSION) or tunnelled
    return value if isinstance(value, str) and value else None


def parse_body(raw: bytes) -> dict[str, Any]:
    """A JSON object body; empty bodies and a literal ``null`` count as ``{}`` [S13, S23].
    Nested deeper than ``jsondepth.MAX_JSON_DEPTH`` is malformed too (107)."""
    text = raw.strip()
    if not text:
        return {}
    try:
        value = jsondepth.loads(text)
    except ValueError:
        raise ProtocolError(Code.INVALID_JSON) from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ProtocolError(Code.INVALID_JSON)
    return value


# --- fields --------------------------------------------------------------------------------


def normalize_phone(value: Any) -> str:
    """E.164 form of a ``mobilePhoneNumber`` (212 if missing, 127 if malformed); a bare
    number means mainland China (``wire.BARE_PHONE_PREFIX``), as LeanCloud reads it [S1]."""
    if value is None or value == "":
        raise ProtocolError(Code.PHONE_MISSING)
    if not isinstance(value, str):
        raise ProtocolError(Code.INVALID_PHONE)
    if PHONE_E164_RE.fullmatch(value):
        return value
    if PHONE_BARE_RE.fullmatch(value):
        return BARE_PHONE_PREFIX + value
    raise ProtocolError(Code.INVALID_PHONE)


def sms_code(value: Any) -> str:
    """A well-formed 6-digit ``smsCode`` (603 for anything else, as for a wrong one)."""
    if not isinstance(value, str) or not SMS_CODE_RE.fullmatch(value):
        raise ProtocolError(Code.INVALID_SMS_CODE)
    return value


def password(value: Any) -> str:
    """A new or given password: 201 when missing, 218 when blank or not a string."""
    if value is None or value == "":
        raise ProtocolError(Code.PASSWORD_MISSING)
    if not isinstance(value, str) or not value.strip():
        raise ProtocolError(Code.INVALID_PASSWORD)
    return value


# --- answers -------------------------------------------------------------------------------


def iso(moment: Moment) -> str:
    """A LeanCloud ISO date from a datetime or a Unix timestamp in seconds."""
    return format_date(moment) if isinstance(moment, datetime) else format_timestamp(moment)


def date_value(moment: Moment) -> dict[str, str]:
    """A Date field value other than createdAt/updatedAt: ``{"__type": "Date", "iso": ...}``."""
    return {"__type": "Date", "iso": iso(moment)}


def user_body(
    *,
    object_id: str,
    username: str,
    phone: str | None,
    phone_verified: bool,
    created: Moment,
    updated: Moment,
    session_token: str | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``_User`` as LeanCloud answers it: ``sessionToken`` only in login-type answers."""
    body: dict[str, Any] = {
        "username": username,
        "emailVerified": False,
        "mobilePhoneVerified": phone_verified,
        **(extra or {}),
        "objectId": object_id,
        "createdAt": iso(created),
        "updatedAt": iso(updated),
    }
    if phone:
        body["mobilePhoneNumber"] = phone
    return with_session_token(body, session_token) if session_token else body


def with_session_token(user: Mapping[str, Any], token: str) -> dict[str, Any]:
    """A public user body plus its ``sessionToken`` (sign-up, login, ``users/me``)."""
    return {**user, "sessionToken": token}


def update_answer(object_id: str, updated: Moment) -> dict[str, str]:
    """What an update answers: ``PUT`` of an object, ``verifyMobilePhone``,
    ``changePhoneNumber`` [S23]."""
    return {"updatedAt": iso(updated), "objectId": object_id}


def refresh_answer(object_id: str, updated: Moment, token: str) -> dict[str, str]:
    """What ``refreshSessionToken`` and ``updatePassword`` answer: an update's answer and the
    new ``sessionToken`` [S23]."""
    return {**update_answer(object_id, updated), "sessionToken": token}


def created_headers(object_id: str) -> dict[str, str]:
    """A sign-up's ``Location``: relative, as the real service sends it [S23]."""
    return {"Location": f"/1.1/classes/_User/{object_id}"}


def encode(body: Mapping[str, Any]) -> bytes:
    """A JSON body as LeanCloud writes it: compact, UTF-8, not ASCII-escaped."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def response_headers(payload: bytes, *, preflight: bool = False) -> list[tuple[str, str]]:
    """Content type and length, and CORS for browser SDKs (all of it on a preflight)."""
    headers = [
        ("Content-Type", JSON_CONTENT_TYPE),
        ("Content-Length", str(len(payload))),
        ("Access-Control-Allow-Origin", "*"),
    ]
    if preflight:
        headers += [
            ("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"),
            ("Access-Control-Allow-Headers", CORS_ALLOWED_HEADERS),
            ("Access-Control-Max-Age", "86400"),
        ]
    return headers


REASONS: Final = {
    200: "OK",
    201: "Created",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def status_line(status: int) -> str:
    """A WSGI status line such as ``"400 Bad Request"``."""
    return f"{status} {REASONS.get(status, 'Error')}"
