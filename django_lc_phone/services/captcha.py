"""The CAPTCHA that may gate code requests and the attempts on a number under attack: the
provider's challenge, and its answer, which spends the client's answer budget."""

from __future__ import annotations

from django.http import HttpRequest

from ..guards import limits
from ..guards.identity import UNKNOWN_CLIENT, client_address
from ..providers.base import CaptchaChallenge, takes_keyword
from .provider import provider


def request_captcha() -> CaptchaChallenge:
    """A new CAPTCHA challenge."""
    return provider().request_captcha()


def verify_captcha(token: str, answer: str, *, request: HttpRequest | None = None) -> str:
    """The ``validate_token`` for a solved challenge, good for one code request (this site
    issued it). Each answer spends its challenge and one of the client's answers per minute,
    right or wrong: what bounds the records of spent challenges. A vendor's verifier is sent
    the client's address (``remote_ip``), as its siteverify asks."""
    limits.captcha_answer(request)
    address = client_address(request)
    remote_ip = None if address == UNKNOWN_CLIENT else address
    verify = provider().verify_captcha
    if takes_keyword(verify, "remote_ip"):
        validate_token = verify(token, answer, remote_ip=remote_ip)
    else:  # a provider of the site's own, from before remote_ip
        validate_token = verify(token, answer)
    limits.remember_validate_token(validate_token)
    return validate_token
