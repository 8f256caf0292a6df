"""Self-contained CAPTCHA tokens: the challenge lives in the token, not in the cache.

A token is 64 hex digits: a random id (24), its expiry in Unix seconds (8) and a MAC (32) keyed
with ``SECRET_KEY`` that binds the id, the expiry and the answer. Issuing one writes nothing
anywhere, so asking for challenges fills no cache. Checking one spends its id, right answer or
wrong, with a single atomic ``cache.add`` that lives until the token expires: the only entry a
challenge ever costs, one per verify attempt.
"""

from __future__ import annotations

import math
import re
import secrets
from dataclasses import dataclass
from typing import Final

from django.utils.crypto import constant_time_compare, salted_hmac

from ....exceptions import CaptchaExpired, CaptchaSpent, InvalidCaptcha
from ....guards.windows import cache, clock

TTL: Final = 5 * 60  # seconds a challenge can be answered
# How much later than TTL from now a token may claim to expire: the clocks of the site's
# servers may differ by this much. A token claiming more was not issued here.
_CLOCK_SKEW: Final = 60
_SALT: Final = "django_lc_phone.captcha.token"  # fixed: live tokens depend on it
_SPENT: Final = "lc_phone:captcha-spent:"
_FORMAT: Final = re.compile(r"([0-9a-f]{24})([0-9a-f]{8})([0-9a-f]{32})")


def _normal(answer: str) -> str:
    """What a person typed, as compared: trimmed, any case."""
    return answer.strip().upper()


def _mac(challenge_id: str, expires: int, answer: str) -> str:
    value = f"{challenge_id}:{expires}:{_normal(answer)}"
    return salted_hmac(_SALT, value, algorithm="sha256").hexdigest()[:32]


def issue(answer: str) -> str:
    """A token for a challenge whose answer is ``answer``, valid for :data:`TTL` seconds."""
    challenge_id = secrets.token_hex(12)
    expires = math.ceil(clock()) + TTL
    return f"{challenge_id}{expires:08x}{_mac(challenge_id, expires, answer)}"


@dataclass(frozen=True)
class _Token:
    challenge_id: str
    expires: int
    mac: str


def _parse(token: str) -> _Token:
    match = _FORMAT.fullmatch(token)
    if match is None:
        raise InvalidCaptcha()  # not a token this site issues: as a wrong answer
    challenge_id, expires, mac = match.groups()
    return _Token(challenge_id, int(expires, 16), mac)


def spend(token: str, answer: str) -> None:
    """Check ``answer`` against ``token`` and use the token up, whatever the answer.

    Raises :class:`CaptchaExpired`, :class:`CaptchaSpent` (answered before) or
    :class:`InvalidCaptcha` (a wrong answer, or a token this site did not issue).
    """
    parsed = _parse(token)
    now = clock()
    if parsed.expires <= now:
        raise CaptchaExpired()
    if parsed.expires > now + TTL + _CLOCK_SKEW:
        raise InvalidCaptcha()  # an expiry no token from here has: forged
    # One try per challenge: the id is spent before the answer is looked at.
    timeout = math.ceil(parsed.expires - now) + 1
    if not cache().add(_SPENT + parsed.challenge_id, 1, timeout=timeout):
        raise CaptchaSpent()
    expected = _mac(parsed.challenge_id, parsed.expires, answer)
    if not constant_time_compare(parsed.mac, expected):
        raise InvalidCaptcha()
