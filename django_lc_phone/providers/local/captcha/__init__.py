"""CAPTCHA for the local provider: a pluggable verifier, a small image CAPTCHA, and the vendors'.

``LC_PHONE["CAPTCHA_VERIFIER"]`` names a class with ``challenge()`` and ``verify(token,
answer, *, remote_ip=None)``, built with ``CAPTCHA_VERIFIER_OPTIONS`` as keyword arguments. The
built-in :class:`ImageCaptcha` draws four characters as strokes among decoys in an SVG image
(``image.py``; returned as a ``data:`` URL, so no extra endpoint is needed), and keeps nothing
until it is answered: the token carries the challenge (``tokens.py``), good for five minutes and
one try. Like LeanCloud's own CAPTCHA it is a minimum; for real bot defence use a vendor's
widget, checked server-side: Cloudflare Turnstile, hCaptcha, reCAPTCHA v2 and v3
(``siteverify.py``) or Tencent Cloud Captcha (``tencent.py``; it loads in mainland China).
"""

from __future__ import annotations

import base64
import secrets
from typing import Final, Protocol

from django.core.exceptions import ImproperlyConfigured
from django.utils.module_loading import import_string

from ....conf import get_settings
from ...base import CaptchaChallenge
from . import tokens
from .glyphs import ALPHABET
from .image import render_svg
from .siteverify import HCaptcha, RecaptchaV2, RecaptchaV3, Turnstile
from .tencent import TencentCaptcha

__all__ = [
    "CaptchaVerifier",
    "HCaptcha",
    "ImageCaptcha",
    "RecaptchaV2",
    "RecaptchaV3",
    "TencentCaptcha",
    "Turnstile",
    "build_verifier",
    "get_verifier",
    "render_svg",
]

_LENGTH: Final = 4


class CaptchaVerifier(Protocol):
    """Issues challenges and turns a right answer into a ``validate_token``."""

    def challenge(self) -> CaptchaChallenge:
        """A new challenge: its token and the URL of what to show, or the widget to render."""

    def verify(self, token: str, answer: str, *, remote_ip: str | None = None) -> str:
        """The ``validate_token`` for a right answer; :class:`InvalidCaptcha` otherwise.
        ``remote_ip`` is the client's address (None when unknown), for a vendor's check."""


def build_verifier(path: str, options: object) -> CaptchaVerifier:
    """The verifier class at ``path`` built with ``options`` as keyword arguments.

    :class:`ImproperlyConfigured` names the path and the options, never their values (keys)."""
    cls = import_string(path)
    if not isinstance(options, dict) or not all(isinstance(key, str) for key in options):
        raise ImproperlyConfigured("LC_PHONE['CAPTCHA_VERIFIER_OPTIONS'] must be a dict")
    try:
        verifier: CaptchaVerifier = cls(**options)
    except TypeError as exc:  # an unknown option: the message names it, not its value
        raise ImproperlyConfigured(f"{path}: {exc}") from None
    return verifier


def get_verifier() -> CaptchaVerifier:
    """The configured verifier (cheap to build: the vendors share one HTTP session)."""
    conf = get_settings()
    return build_verifier(conf.CAPTCHA_VERIFIER, conf.CAPTCHA_VERIFIER_OPTIONS)


class ImageCaptcha:
    """Four characters drawn in an SVG; one try per challenge."""

    def challenge(self) -> CaptchaChallenge:
        """Draw a new challenge (nothing is stored: its token carries it)."""
        text = "".join(secrets.choice(ALPHABET) for _ in range(_LENGTH))
        svg = base64.b64encode(render_svg(text).encode()).decode()
        return CaptchaChallenge(token=tokens.issue(text), url="data:image/svg+xml;base64," + svg)

    def verify(self, token: str, answer: str, *, remote_ip: str | None = None) -> str:
        """Spend the challenge (right or wrong: no second guess), then check the answer."""
        tokens.spend(token, answer)
        return secrets.token_hex(24)
