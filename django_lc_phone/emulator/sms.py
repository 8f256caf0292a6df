"""SMS codes as LeanCloud handles them: send limits, 6-digit single-use codes, templates, outbox.

Choices where LeanCloud's behaviour is undocumented (§5.2 of the reference), made strict so
that the app under test cannot lean on leniency the real service may not have:
- a code is bound to its number and to the endpoint pair that issued it (a login code does not
  reset a password);
- a new code replaces the previous unexpired one for the same number and purpose;
- a wrong guess does not burn the code (LeanCloud documents no per-code attempt cap).
"""

from __future__ import annotations

import re
import secrets
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from ..leancloud.protocol import ProtocolError, bad_request, normalize_phone
from ..leancloud.wire import MESSAGE_SMS_TOO_FAST, SMS_CODE_RE, Code, format_timestamp
from .config import EmulatorConfig

# Purposes: which sender issued a code, so only its paired verifier accepts it.
GENERIC: Final = "generic"  # requestSmsCode -> verifySmsCode, usersByMobilePhone, signup
LOGIN: Final = "login"  # requestLoginSmsCode -> login
VERIFY: Final = "verify_phone"  # requestMobilePhoneVerify -> verifyMobilePhone
RESET: Final = "reset_password"  # requestPasswordResetBySmsCode -> resetPasswordBySmsCode
CHANGE: Final = "change_phone"  # requestChangePhoneNumber -> changePhoneNumber

_VARIABLE: Final = re.compile(r"\{\{\{?\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}?\}\}")
DAY: Final = 24 * 3600.0


@dataclass(frozen=True)
class Message:
    """One SMS (or voice call) as the outbox records it."""

    phone: str
    code: str | None
    sms_type: str
    template: str | None
    purpose: str
    text: str


def parse_ttl(value: Any, default: int, maximum: int) -> int:
    """A ``ttl`` in minutes, given as a number or a numeric string (the docs send ``"5"``)."""
    if value is None:
        return default
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= maximum:
        raise bad_request(f"ttl must be an integer between 1 and {maximum} minutes.")
    return value


# --- limits ------------------------------------------------------------------------------


def _count(db: sqlite3.Connection, phone: str, since: float, channel: str | None = None) -> int:
    sql, args = "SELECT COUNT(*) FROM sends WHERE phone = ? AND at > ?", [phone, since]
    if channel is not None:
        sql += " AND channel = ?"
        args.append(channel)
    return int(db.execute(sql, args).fetchone()[0])


def check_limits(
    db: sqlite3.Connection, config: EmulatorConfig, phone: str, channel: str, now: float
) -> None:
    """Raise code 1 inside the 10 s resend window, 601 for the per-minute and daily caps."""
    limits = config.limits
    db.execute("DELETE FROM sends WHERE at <= ?", (now - DAY,))
    if _count(db, phone, now - limits.resend_interval):
        raise ProtocolError(Code.INTERNAL, MESSAGE_SMS_TOO_FAST)
    too_many = (
        _count(db, phone, now - limits.signature_interval) > 0
        or (channel == "sms" and _count(db, phone, now - DAY, "sms") >= limits.verification_per_day)
        or (
            channel == "notify"
            and _count(db, phone, now - DAY, "notify") >= limits.notification_per_day
        )
        or (channel == "voice" and _voice_capped(db, phone, now, config))
    )
    if too_many:
        raise ProtocolError(Code.SMS_TOO_FREQUENT)


def _voice_capped(db: sqlite3.Connection, phone: str, now: float, config: EmulatorConfig) -> bool:
    limits = config.limits
    return (
        _count(db, phone, now - limits.voice_interval, "voice") > 0
        or _count(db, phone, now - 3600, "voice") >= limits.voice_per_hour
        or _count(db, phone, now - DAY, "voice") >= limits.voice_per_day
    )


def record_send(db: sqlite3.Connection, phone: str, channel: str, now: float) -> None:
    """Count a delivered message against the number's limits."""
    db.execute("INSERT INTO sends (phone, channel, at) VALUES (?, ?, ?)", (phone, channel, now))


# --- codes -------------------------------------------------------------------------------


def new_code(test_numbers: Mapping[str, str], phone: str) -> tuple[str, bool]:
    """A fresh 6-digit code, or the console test number's fixed (reusable) one.

    ``phone`` is normalized; a test number may be configured bare (``138...`` means +86).
    """
    for number, fixed in test_numbers.items():
        if _same_phone(number, phone):
            return fixed, True
    return f"{secrets.randbelow(1_000_000):06d}", False


def _same_phone(configured: str, phone: str) -> bool:
    try:
        return normalize_phone(configured) == phone
    except ProtocolError:  # a malformed test number matches nothing
        return False


def store_code(
    db: sqlite3.Connection,
    *,
    phone: str,
    purpose: str,
    code: str,
    reusable: bool,
    expires: float,
    user_id: str | None = None,
) -> None:
    """Remember a code; it replaces any earlier code for the same number and purpose."""
    db.execute(
        "INSERT OR REPLACE INTO codes (phone, purpose, code, expires, user_id, reusable)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (phone, purpose, code, expires, user_id, int(reusable)),
    )


def consume_code(
    db: sqlite3.Connection, *, phone: str, purpose: str, code: Any, now: float
) -> sqlite3.Row:
    """Check and burn a code; 603 for a wrong, expired, reused or malformed one."""
    if not isinstance(code, str) or not SMS_CODE_RE.fullmatch(code):
        raise ProtocolError(Code.INVALID_SMS_CODE)
    row = db.execute(
        "SELECT * FROM codes WHERE phone = ? AND purpose = ?", (phone, purpose)
    ).fetchone()
    if row is None or row["expires"] <= now or not secrets.compare_digest(row["code"], code):
        raise ProtocolError(Code.INVALID_SMS_CODE)
    if not row["reusable"]:
        db.execute("DELETE FROM codes WHERE phone = ? AND purpose = ?", (phone, purpose))
    found: sqlite3.Row = row
    return found


def require_issued_to(row: sqlite3.Row, user: Mapping[str, Any]) -> None:
    """603 unless the code was sent for this user: a number that changed hands within a
    code's lifetime must not let its previous owner into the new owner's account."""
    if row["user_id"] != user["objectId"]:
        raise ProtocolError(Code.INVALID_SMS_CODE)


# --- templates ---------------------------------------------------------------------------


def render(text: str, variables: Mapping[str, Any]) -> str:
    """Fill ``{{{var}}}`` placeholders (606 if one is missing or contains 【】)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            raise ProtocolError(Code.SMS_TEMPLATE_RENDER_FAILED)
        rendered = str(variables[name])
        if "【" in rendered or "】" in rendered:
            raise ProtocolError(Code.SMS_TEMPLATE_RENDER_FAILED)
        return rendered

    return _VARIABLE.sub(value, text)


def template_has_code(text: str) -> bool:
    """Whether a template is a verification template (it shows ``{{{code}}}``)."""
    return any(m.group(1) == "code" for m in _VARIABLE.finditer(text))


def default_text(config: EmulatorConfig, code: str, ttl: int, name: Any, op: Any) -> str:
    """LeanCloud's default verification text [S1]."""
    app = name if isinstance(name, str) and name else config.app_name
    action = op if isinstance(op, str) and op else "短信验证"
    return f"您正在使用{app}服务进行{action}操作，您的验证码是：{code}，请在{ttl}分钟内完成验证。"


def outbox_insert(db: sqlite3.Connection, message: Message, now: float) -> None:
    """Append to the outbox read by ``GET /emulator/v1/messages``."""
    db.execute(
        "INSERT INTO outbox (phone, code, sms_type, template, purpose, text, created)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            message.phone,
            message.code,
            message.sms_type,
            message.template,
            message.purpose,
            message.text,
            now,
        ),
    )


def outbox_json(row: sqlite3.Row) -> dict[str, Any]:
    """An outbox row in the documented JSON shape."""
    return {
        "mobilePhoneNumber": row["phone"],
        "code": row["code"],
        "smsType": row["sms_type"],
        "template": row["template"],
        "purpose": row["purpose"],
        "text": row["text"],
        "createdAt": format_timestamp(row["created"]),
    }
