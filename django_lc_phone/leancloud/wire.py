"""LeanCloud's REST wire protocol: headers, signing, error codes, shapes. Standard library only.

The client (``leancloud``) and the emulator (``emulator``) both import this module, so a
wire fact lives in exactly one place. Sources are cited by the tags of
``shared/reference/leancloud-rest-api.md`` where a fact is not obvious.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Final, Literal

API_VERSION: Final = "1.1"
API_PREFIX: Final = f"/{API_VERSION}"

HEADER_ID: Final = "X-LC-Id"
HEADER_KEY: Final = "X-LC-Key"
HEADER_SIGN: Final = "X-LC-Sign"
HEADER_SESSION: Final = "X-LC-Session"
HEADER_PROD: Final = "X-LC-Prod"
MASTER_SUFFIX: Final = "master"

# The real service answers every body, errors included, with this exact content type [S23].
JSON_CONTENT_TYPE: Final = "application/json;charset=utf-8"

# Headers a browser SDK sends; the emulator allows them for CORS (§9 of the reference).
CORS_ALLOWED_HEADERS: Final = (
    "X-LC-Id, X-LC-Key, X-LC-Sign, X-LC-Session, X-LC-Prod, X-LC-UA, X-LC-Hook-Key, Content-Type"
)

OBJECT_ID_RE: Final = re.compile(r"^[0-9a-f]{24}$")
# Real tokens are 25 characters of [a-z0-9] [S23]; accept any sane opaque token, never a path.
SESSION_TOKEN_RE: Final = re.compile(r"^[A-Za-z0-9_-]{10,128}$")
SMS_CODE_RE: Final = re.compile(r"^[0-9]{6}$")
# ``mobilePhoneNumber``: E.164, or a bare number, which LeanCloud reads as mainland China's
# (+86) whatever the app's region [S1]. Android's SDK refuses, before sending, any number that
# does not match ANDROID_PHONE_RE, so apps send both ``13800138000`` and ``+8613800138000``;
# compat and the emulator read both as the same number (``protocol.normalize_phone``).
PHONE_E164_RE: Final = re.compile(r"^\+[1-9][0-9]{5,14}$")
PHONE_BARE_RE: Final = re.compile(r"^[0-9]{6,15}$")
BARE_PHONE_PREFIX: Final = "+86"
ANDROID_PHONE_RE: Final = re.compile(r"^[1+]\d+$")
CAPTCHA_TOKEN_RE: Final = re.compile(r"^[A-Za-z0-9]{4,64}$")
# requestSmsCode's own body keys; every other key is a template variable [S1, S12].
REQUEST_SMS_CODE_KEYS: Final = frozenset(
    {"mobilePhoneNumber", "smsType", "ttl", "name", "op", "template", "sign", "validate_token"}
)
# An X-LC-Sign timestamp: milliseconds, ASCII decimal (20 digits is beyond any int64 time).
_TIMESTAMP_RE: Final = re.compile(r"[0-9]{1,20}")

KeyKind = Literal["app", "master"]


class Code:
    """LeanCloud error codes used by the phone and user endpoints (§4 of the reference)."""

    INTERNAL = 1
    OBJECT_NOT_FOUND = 101
    INVALID_JSON = 107
    INCORRECT_TYPE = 111
    OPERATION_FORBIDDEN = 119
    TIMEOUT = 124
    INVALID_EMAIL = 125
    INVALID_USER_ID = 126
    INVALID_PHONE = 127
    DUPLICATE_VALUE = 137
    THRESHOLD_EXCEEDED = 154
    INSUFFICIENT_BALANCE = 160
    USERNAME_MISSING = 200
    PASSWORD_MISSING = 201
    USERNAME_TAKEN = 202
    EMAIL_TAKEN = 203
    EMAIL_MISSING = 204
    EMAIL_NOT_FOUND = 205
    SESSION_MISSING = 206
    PASSWORD_MISMATCH = 210
    USER_NOT_FOUND = 211
    PHONE_MISSING = 212
    PHONE_NOT_FOUND = 213
    PHONE_TAKEN = 214
    PHONE_NOT_VERIFIED = 215
    EMAIL_NOT_VERIFIED = 216
    INVALID_USERNAME = 217
    INVALID_PASSWORD = 218
    LOGIN_LOCKED = 219
    UNAUTHORIZED = 401
    FORBIDDEN = 403
    TOO_MANY_REQUESTS = 429
    APP_DISABLED = 503
    INVALID_SMS_SIGNATURE = 600
    SMS_TOO_FREQUENT = 601
    SMS_SEND_FAILED = 602
    INVALID_SMS_CODE = 603
    SMS_TEMPLATE_NOT_FOUND = 604
    SMS_TEMPLATE_NOT_VERIFIED = 605
    SMS_TEMPLATE_RENDER_FAILED = 606
    INVALID_CAPTCHA = 607
    CAPTCHA_TOKEN_MISSING = 608


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """How the real service reports one error code: its message and its HTTP status."""

    message: str
    status: int = 400


# Messages are the server's own where documented [S4, S6, S23]. Every application-level error in
# the recorded traffic is HTTP 400, so 400 is the default except where a status is documented.
ERRORS: Final[dict[int, ErrorSpec]] = {
    Code.INTERNAL: ErrorSpec("Internal server error. No information available."),
    Code.OBJECT_NOT_FOUND: ErrorSpec("Class or object doesn't exists.", 404),
    Code.INVALID_JSON: ErrorSpec("Malformed json object. A json dictionary is expected."),
    Code.INCORRECT_TYPE: ErrorSpec("Field set to incorrect type."),
    Code.OPERATION_FORBIDDEN: ErrorSpec("That operation isn't allowed for clients."),
    Code.TIMEOUT: ErrorSpec("The request timed out on the server."),
    Code.INVALID_EMAIL: ErrorSpec("The email address was invalid."),
    Code.INVALID_USER_ID: ErrorSpec("Invalid user id."),
    Code.INVALID_PHONE: ErrorSpec("The mobile phone number was invalid."),
    Code.DUPLICATE_VALUE: ErrorSpec("A unique field was given a value that is already taken."),
    Code.THRESHOLD_EXCEEDED: ErrorSpec("Exceeded an application threshold setting."),
    Code.INSUFFICIENT_BALANCE: ErrorSpec("Insufficient balance."),
    Code.USERNAME_MISSING: ErrorSpec("Username is missing or empty"),
    Code.PASSWORD_MISSING: ErrorSpec("Password is missing or empty."),
    Code.USERNAME_TAKEN: ErrorSpec("Username has already been taken."),
    Code.EMAIL_TAKEN: ErrorSpec("Email has already been taken."),
    Code.EMAIL_MISSING: ErrorSpec("The email is missing, and must be specified."),
    Code.EMAIL_NOT_FOUND: ErrorSpec("A user with the specified email was not found."),
    Code.SESSION_MISSING: ErrorSpec(
        "The user cannot be altered by a client without the session.", 403
    ),
    Code.PASSWORD_MISMATCH: ErrorSpec("The username and password mismatch."),
    Code.USER_NOT_FOUND: ErrorSpec("Could not find user."),
    Code.PHONE_MISSING: ErrorSpec("The mobile phone number is missing, and must be specified."),
    Code.PHONE_NOT_FOUND: ErrorSpec("A user with the specified mobile phone number was not found."),
    Code.PHONE_TAKEN: ErrorSpec("Mobile phone number has already been taken."),
    Code.PHONE_NOT_VERIFIED: ErrorSpec("Mobile phone number isn't verified."),
    Code.EMAIL_NOT_VERIFIED: ErrorSpec("Email address isn't verified."),
    Code.INVALID_USERNAME: ErrorSpec("Invalid username, it must be a non-blank string."),
    Code.INVALID_PASSWORD: ErrorSpec("Invalid password, it must be a non-blank string."),
    # REST docs and the error page say 219 with this text; the accounts guide says 1 [S2/S4/S7].
    Code.LOGIN_LOCKED: ErrorSpec("登录失败次数超过限制，请稍候再试，或者通过忘记密码重设密码。"),
    Code.UNAUTHORIZED: ErrorSpec("Unauthorized.", 401),
    Code.FORBIDDEN: ErrorSpec("Forbidden to find by class permissions.", 403),
    Code.TOO_MANY_REQUESTS: ErrorSpec("Too many requests.", 429),
    Code.APP_DISABLED: ErrorSpec("The app is temporarily disabled/readonly.", 503),
    Code.INVALID_SMS_SIGNATURE: ErrorSpec("Invalid SMS signature."),
    Code.SMS_TOO_FREQUENT: ErrorSpec("Can't send SMS too frequently."),
    Code.SMS_SEND_FAILED: ErrorSpec("Fails to send message."),
    Code.INVALID_SMS_CODE: ErrorSpec("Invalid SMS code."),
    Code.SMS_TEMPLATE_NOT_FOUND: ErrorSpec("SMS template not found."),
    Code.SMS_TEMPLATE_NOT_VERIFIED: ErrorSpec("SMS template not verified."),
    Code.SMS_TEMPLATE_RENDER_FAILED: ErrorSpec("Fails to render SMS template."),
    # Not in the official error page; unofficial lists use 607 for a failed captcha (§3.12).
    Code.INVALID_CAPTCHA: ErrorSpec("Invalid captcha code."),
    Code.CAPTCHA_TOKEN_MISSING: ErrorSpec("Missing validate token."),
}

# LeanCloud locks an account after more than this many failed logins (password or code) within
# LOGIN_LOCK_SECONDS, until that long after the last failure (219) [S2, S7].
LOGIN_LOCK_FAILURES: Final = 6
LOGIN_LOCK_SECONDS: Final = 15 * 60

# Code 1 carries several documented texts; these are the ones a caller must tell apart [S6, S4].
MESSAGE_SMS_TOO_FAST: Final = "SMS request too fast(1 request per 10s)."
MESSAGE_MASTER_KEY_REQUIRED: Final = "The request must be signed by master key."
# A path (or a method on a path) the server does not serve: HTTP 404, code 1 with this text,
# JSON as every other answer, so an SDK raises its LeanCloudError (compat and the emulator).
MESSAGE_NOT_FOUND: Final = "Not found."
NOT_FOUND_STATUS: Final = 404
MESSAGE_INTERNATIONAL_SMS_DISABLED: Final = (
    "International SMS is disabled, please enable it in console."
)


def error_body(code: int, message: str | None = None) -> dict[str, object]:
    """The JSON body LeanCloud sends for an error: ``{"code": N, "error": "..."}``."""
    spec = ERRORS.get(code)
    text = message if message is not None else (spec.message if spec else "Unknown error.")
    return {"code": code, "error": text}


def error_status(code: int) -> int:
    """The HTTP status LeanCloud uses for an error code (400 unless documented otherwise)."""
    spec = ERRORS.get(code)
    return spec.status if spec else 400


# --- request signing ([S3] "更安全的鉴权方式") ----------------------------------------------


def compute_sign(key: str, timestamp_ms: int) -> str:
    """Lowercase hex MD5 of the millisecond timestamp immediately followed by the key."""
    digest = hashlib.md5(f"{timestamp_ms}{key}".encode(), usedforsecurity=False)
    return digest.hexdigest()


def sign_header(key: str, timestamp_ms: int, *, master: bool = False) -> str:
    """The ``X-LC-Sign`` value: ``sign,timestamp`` or ``sign,timestamp,master``."""
    value = f"{compute_sign(key, timestamp_ms)},{timestamp_ms}"
    return f"{value},{MASTER_SUFFIX}" if master else value


def sign_timestamp(value: str) -> int | None:
    """The millisecond timestamp of an ``X-LC-Sign`` value, or None if it is malformed."""
    parts = value.split(",")
    # ASCII digits only: str.isdigit() also takes "²" (int() then raises) and "١٢٣" (read as 123).
    if len(parts) not in (2, 3) or not _TIMESTAMP_RE.fullmatch(parts[1]):
        return None
    return int(parts[1])


def check_sign_header(value: str, app_key: str, master_key: str | None) -> KeyKind | None:
    """Which key signed an ``X-LC-Sign`` value, or None if it is malformed or wrong.

    Uppercase hex is rejected, as by the real service [S3]. How old the timestamp may be is
    the server's choice (LeanCloud documents none): :func:`sign_is_fresh`.
    """
    timestamp = sign_timestamp(value)
    if timestamp is None:
        return None
    parts = value.split(",")
    master = len(parts) == 3
    if master and (parts[2] != MASTER_SUFFIX or not master_key):
        return None
    key = (master_key or "") if master else app_key
    expected = compute_sign(key, timestamp)
    if not hmac.compare_digest(parts[0].encode(), expected.encode()):
        return None
    return "master" if master else "app"


def sign_is_fresh(value: str, now: float, max_age: float) -> bool:
    """Whether an ``X-LC-Sign`` value's timestamp is at most ``max_age`` seconds away from
    ``now`` (Unix seconds), before or after it."""
    timestamp = sign_timestamp(value)
    return timestamp is not None and abs(timestamp / 1000 - now) <= max_age


def check_key_header(value: str, app_key: str, master_key: str | None) -> KeyKind | None:
    """Which key an ``X-LC-Key`` value carries (``key`` or ``masterKey,master``), if any."""
    if value.endswith("," + MASTER_SUFFIX):
        given = value[: -len(MASTER_SUFFIX) - 1]
        if master_key and hmac.compare_digest(given.encode(), master_key.encode()):
            return "master"
        return None
    return "app" if hmac.compare_digest(value.encode(), app_key.encode()) else None


# --- values -------------------------------------------------------------------------------


def format_date(moment: datetime) -> str:
    """UTC ISO 8601 with milliseconds and ``Z``: ``YYYY-MM-DDTHH:MM:SS.MMMZ`` [S3]."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def format_timestamp(seconds: float) -> str:
    """:func:`format_date` for a Unix timestamp in seconds."""
    return format_date(datetime.fromtimestamp(seconds, timezone.utc))


def parse_date(value: str) -> datetime:
    """Parse a LeanCloud ISO date (raises ValueError on anything else)."""
    if not value.endswith("Z"):
        raise ValueError("LeanCloud dates end with Z")
    return datetime.fromisoformat(value[:-1] + "+00:00")


_TOKEN_ALPHABET: Final = string.ascii_lowercase + string.digits


def new_object_id() -> str:
    """A fresh objectId: 24 lowercase hex characters, like a MongoDB ObjectId [S23]."""
    return secrets.token_hex(12)


def new_session_token() -> str:
    """A fresh session token: 25 characters of ``[a-z0-9]``, as the real service issues [S23]."""
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(25))
