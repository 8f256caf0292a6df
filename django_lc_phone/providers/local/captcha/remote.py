"""What the vendors' verifiers share: one HTTP session, their options' checks, the record of
the vendor tokens already shown to us, and how a failed exchange fails closed.

A vendor token is spent here before the vendor is asked (one try each, like the image
CAPTCHA's): a keyed digest of it goes into the limits' cache with :data:`SPENT_TTL`, longer
than any vendor's token lives, so a token is never taken twice even by a vendor that would.
When the vendor cannot be reached, is too slow, or answers anything but a JSON object with
HTTP 200, the answer is refused with :class:`CaptchaUnavailable` (503 ``captcha_unavailable``):
an outage never lets a bot through. Each vendor has its circuit breaker (``"captcha:<name>"``),
so while one is down answers are refused at once instead of each waiting out the timeouts.
Nothing logged names a token, a key or an answer's body.
"""

from __future__ import annotations

import logging
import math
import secrets
from collections.abc import Mapping
from typing import Any, Final

import requests
from django.core.exceptions import ImproperlyConfigured

from ....exceptions import CaptchaSpent, CaptchaUnavailable, InvalidCaptcha, ProviderUnavailable
from ....guards import breaker
from ....guards.identity import digest
from ....guards.windows import cache

logger = logging.getLogger("django_lc_phone.captcha")

# Seconds a vendor token stays spent: Turnstile's live 300 s, reCAPTCHA's and hCaptcha's 120 s,
# Tencent's tickets 5 minutes.
SPENT_TTL: Final = 10 * 60
# The longest vendor response we forward (Turnstile documents 2048 characters; hCaptcha's and
# reCAPTCHA's tokens run to a few kilobytes): anything longer is no token of theirs.
MAX_RESPONSE: Final = 8192
DEFAULT_CONNECT_TIMEOUT: Final = 3.05
DEFAULT_READ_TIMEOUT: Final = 5.0
_SPENT: Final = "lc_phone:captcha-vendor-spent:"

# One pool of connections per vendor host for the whole process.
session = requests.Session()


def require(verifier: str, **options: object) -> None:
    """Fail at build time, naming (never showing) the options that are missing or empty."""
    missing = sorted(name for name, value in options.items() if value in (None, "", 0))
    if missing:
        raise ImproperlyConfigured(
            f"{verifier}: set {', '.join(missing)} in LC_PHONE['CAPTCHA_VERIFIER_OPTIONS']"
        )


def _seconds(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value > 0 else None


def timeouts(verifier: str, connect: object, read: object) -> tuple[float, float]:
    """``(connect, read)`` seconds for ``requests``: each a positive finite number."""
    connect_seconds, read_seconds = _seconds(connect), _seconds(read)
    if connect_seconds is None or read_seconds is None:
        name = "connect_timeout" if connect_seconds is None else "read_timeout"
        raise ImproperlyConfigured(f"{verifier}: {name} must be a positive number of seconds")
    return connect_seconds, read_seconds


def hostnames(verifier: str, value: object) -> frozenset[str]:
    """The hostnames a solved widget may come from (empty: any)."""
    names = (value,) if isinstance(value, str) else value
    if not isinstance(names, list | tuple | set | frozenset) or not all(
        isinstance(name, str) and name for name in names
    ):
        raise ImproperlyConfigured(f"{verifier}: hostnames must be a list of host names")
    return frozenset(name.lower() for name in names)


def spend(vendor: str, response: str) -> None:
    """Use ``response`` up before it is checked: :class:`CaptchaSpent` if it was shown to us
    before, :class:`InvalidCaptcha` if it cannot be a vendor's token at all."""
    if not response or len(response) > MAX_RESPONSE:
        raise InvalidCaptcha()
    key = _SPENT + digest("captcha-vendor", f"{vendor}:{response}")
    if not cache().add(key, 1, timeout=SPENT_TTL):
        raise CaptchaSpent()


def new_validate_token() -> str:
    """What a right answer earns (the same shape as the image CAPTCHA's)."""
    return secrets.token_hex(24)


def unavailable(vendor: str, reason: str) -> CaptchaUnavailable:
    """The error for a vendor that gave no verdict, logged by its reason only."""
    logger.warning("%s CAPTCHA check failed: %s", vendor, reason)
    return CaptchaUnavailable()


def post(
    vendor: str,
    url: str,
    *,
    timeout: tuple[float, float],
    data: Mapping[str, str] | None = None,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """POST to the vendor, through its breaker, and return its JSON object;
    :class:`CaptchaUnavailable` otherwise (with ``Retry-After`` while the breaker is open)."""

    def exchange() -> dict[str, Any]:
        return _exchange(vendor, url, timeout, data, content, headers)

    try:
        return breaker.call(exchange, f"captcha:{vendor}")
    except CaptchaUnavailable:
        raise
    except ProviderUnavailable as exc:  # the breaker is open: the vendor was not asked
        raise CaptchaUnavailable(retry_after=exc.retry_after) from None


def _exchange(
    vendor: str,
    url: str,
    timeout: tuple[float, float],
    data: Mapping[str, str] | None,
    content: bytes | None,
    headers: Mapping[str, str] | None,
) -> dict[str, Any]:
    try:
        answer = session.post(
            url,
            data=data if data is not None else content,
            headers=dict(headers or {}),
            timeout=timeout,
            allow_redirects=False,
        )
    except requests.RequestException as exc:  # a timeout, a refused or dropped connection
        raise unavailable(vendor, type(exc).__name__) from None
    if answer.status_code != 200:
        raise unavailable(vendor, f"HTTP {answer.status_code}")
    try:
        body = answer.json()
    except ValueError:
        raise unavailable(vendor, "not JSON") from None
    if not isinstance(body, dict):
        raise unavailable(vendor, "not a JSON object")
    return body
