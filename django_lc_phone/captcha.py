"""CAPTCHA for the local provider: a pluggable verifier, and a small image CAPTCHA that ships.

``LC_PHONE["CAPTCHA_VERIFIER"]`` names a class with ``challenge()`` and ``verify(token,
answer)``. The built-in :class:`ImageCaptcha` draws four characters as an SVG image (returned
as a ``data:`` URL, so no extra endpoint is needed) and keeps only a keyed hash of the answer in
the cache, for five minutes and one try. Like LeanCloud's own CAPTCHA it is a minimum: put a
stronger one (reCAPTCHA, hCaptcha, Tencent's) behind the same two methods for real bot defence.
"""

from __future__ import annotations

import base64
import secrets
from typing import Protocol

from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.module_loading import import_string

from .conf import get_settings
from .exceptions import InvalidCaptcha
from .providers.base import CaptchaChallenge
from .ratelimit import cache

# No 0/O, 1/I/L, 2/Z, 5/S: characters people misread.
_ALPHABET = "346789ABCDEFGHJKMNPQRTUVWXY"
_LENGTH = 4
_TTL = 5 * 60


class CaptchaVerifier(Protocol):
    """Issues challenges and turns a right answer into a ``validate_token``."""

    def challenge(self) -> CaptchaChallenge:
        """A new challenge: its token, and the URL of what to show."""

    def verify(self, token: str, answer: str) -> str:
        """The ``validate_token`` for a right answer; :class:`InvalidCaptcha` otherwise."""


def get_verifier() -> CaptchaVerifier:
    """The configured verifier."""
    verifier: CaptchaVerifier = import_string(get_settings().CAPTCHA_VERIFIER)()
    return verifier


def _key(token: str) -> str:
    return (
        "lc_phone:captcha-challenge:"
        + salted_hmac("captcha.token", token, algorithm="sha256").hexdigest()[:32]
    )


def _answer_hash(token: str, answer: str) -> str:
    return salted_hmac(
        "captcha.answer", f"{token}:{answer.strip().upper()}", algorithm="sha256"
    ).hexdigest()


class ImageCaptcha:
    """Four characters in an SVG; one try per challenge."""

    def challenge(self) -> CaptchaChallenge:
        """Draw a new challenge and remember the hash of its answer."""
        token = secrets.token_hex(16)  # what captcha/verify/ accepts: [A-Za-z0-9]{4,64}
        text = "".join(secrets.choice(_ALPHABET) for _ in range(_LENGTH))
        cache().set(_key(token), _answer_hash(token, text), timeout=_TTL)
        svg = render_svg(text).encode()
        return CaptchaChallenge(token=token, url="data:image/svg+xml;base64," + _b64(svg))

    def verify(self, token: str, answer: str) -> str:
        """Spend the challenge (right or wrong: no second guess), then check the answer."""
        store = cache()
        key = _key(token)
        expected = store.get(key)
        if expected is None or not store.delete(key):  # unknown, expired or already tried
            raise InvalidCaptcha()
        if not constant_time_compare(expected, _answer_hash(token, answer)):
            raise InvalidCaptcha()
        return secrets.token_hex(24)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def render_svg(text: str) -> str:
    """``text`` as a noisy SVG: each character shifted and turned, crossed by a few lines."""
    width, height = 40 + 28 * len(text), 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}"><rect width="100%" height="100%" fill="#f4f4f4"/>'
    ]
    for index, char in enumerate(text):
        x = 22 + 28 * index + secrets.randbelow(7) - 3
        y = 40 + secrets.randbelow(11) - 5
        angle = secrets.randbelow(51) - 25
        parts.append(
            f'<text x="{x}" y="{y}" font-family="monospace" font-size="32" fill="#333" '
            f'transform="rotate({angle} {x} {y})">{char}</text>'
        )
    for _ in range(4):
        x1, y1 = secrets.randbelow(width), secrets.randbelow(height)
        x2, y2 = secrets.randbelow(width), secrets.randbelow(height)
        parts.append(
            f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="#777" stroke-width="1.5"/>'
        )
    parts.append("</svg>")
    return "".join(parts)
