"""CAPTCHA for the local provider: a pluggable verifier, and a small image CAPTCHA that ships.

``LC_PHONE["CAPTCHA_VERIFIER"]`` names a class with ``challenge()`` and ``verify(token,
answer)``. The built-in :class:`ImageCaptcha` draws four characters as strokes among decoys in
an SVG image (``image.py``; returned as a ``data:`` URL, so no extra endpoint is needed), and
keeps nothing until it is answered: the token carries the challenge (``tokens.py``), good for
five minutes and one try. Like LeanCloud's own CAPTCHA it is a minimum: put a stronger one
(reCAPTCHA, hCaptcha, Tencent's) behind the same two methods for real bot defence.
"""

from __future__ import annotations

import base64
import secrets
from typing import Final, Protocol

from django.utils.module_loading import import_string

from ....conf import get_settings
from ...base import CaptchaChallenge
from . import tokens
from .glyphs import ALPHABET
from .image import render_svg

__all__ = ["CaptchaVerifier", "ImageCaptcha", "get_verifier", "render_svg"]

_LENGTH: Final = 4


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


class ImageCaptcha:
    """Four characters drawn in an SVG; one try per challenge."""

    def challenge(self) -> CaptchaChallenge:
        """Draw a new challenge (nothing is stored: its token carries it)."""
        text = "".join(secrets.choice(ALPHABET) for _ in range(_LENGTH))
        svg = base64.b64encode(render_svg(text).encode()).decode()
        return CaptchaChallenge(token=tokens.issue(text), url="data:image/svg+xml;base64," + svg)

    def verify(self, token: str, answer: str) -> str:
        """Spend the challenge (right or wrong: no second guess), then check the answer."""
        tokens.spend(token, answer)
        return secrets.token_hex(24)
