"""Image CAPTCHAs: ``requestCaptcha`` tokens, an SVG image, and single-use validate tokens."""

from __future__ import annotations

import secrets
import sqlite3
import string
from html import escape
from typing import Any, Final

from ..leancloud.protocol import ProtocolError
from ..leancloud.wire import Code

_TOKEN_ALPHABET: Final = string.ascii_letters + string.digits


def _token(length: int) -> str:
    return "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(length))


def bounded_int(value: Any, default: int, low: int, high: int) -> int:
    """A numeric query parameter within LeanCloud's documented range, else the default."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return default
    return number if low <= number <= high else default


def create(db: sqlite3.Connection, size: int, expires: float) -> str:
    """Store a new challenge of ``size`` digits; returns its 8-character token [S1]."""
    token = _token(8)
    code = "".join(secrets.choice(string.digits) for _ in range(size))
    db.execute(
        "INSERT INTO captchas (token, code, expires) VALUES (?, ?, ?)", (token, code, expires)
    )
    return token


def answer(db: sqlite3.Connection, token: str) -> str | None:
    """The expected answer of a live challenge (for the image and the test controls)."""
    row = db.execute("SELECT code FROM captchas WHERE token = ?", (token,)).fetchone()
    return None if row is None else str(row["code"])


def verify(db: sqlite3.Connection, token: Any, code: Any, now: float, ttl: float) -> str:
    """Check an answer; the challenge is used up either way. Returns a validate token."""
    if not isinstance(token, str) or not isinstance(code, str):
        raise ProtocolError(Code.INVALID_CAPTCHA)
    row = db.execute("SELECT code, expires FROM captchas WHERE token = ?", (token,)).fetchone()
    db.execute("DELETE FROM captchas WHERE token = ?", (token,))
    if row is None or row["expires"] <= now or not secrets.compare_digest(row["code"], code):
        raise ProtocolError(Code.INVALID_CAPTCHA)
    validate_token = _token(32)
    db.execute(
        "INSERT INTO validate_tokens (token, expires) VALUES (?, ?)", (validate_token, now + ttl)
    )
    return validate_token


def consume_validate_token(
    db: sqlite3.Connection, token: Any, now: float, *, required: bool
) -> None:
    """Spend a ``validate_token`` on one SMS send; 608 if it is missing when required or bad."""
    if token is None and not required:
        return
    if not isinstance(token, str):
        raise ProtocolError(Code.CAPTCHA_TOKEN_MISSING)
    row = db.execute("SELECT expires FROM validate_tokens WHERE token = ?", (token,)).fetchone()
    db.execute("DELETE FROM validate_tokens WHERE token = ?", (token,))
    if row is None or row["expires"] <= now:
        raise ProtocolError(Code.CAPTCHA_TOKEN_MISSING)


def svg(code: str, width: int, height: int) -> str:
    """A plain SVG rendering of the challenge (the emulator needs no image library)."""
    size = max(12, int(height * 0.7))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
        f'<rect width="100%" height="100%" fill="#f3f3f3"/>'
        f'<text x="50%" y="50%" dominant-baseline="middle" text-anchor="middle" '
        f'font-family="monospace" font-size="{size}" letter-spacing="3">{escape(code)}</text></svg>'
    )
