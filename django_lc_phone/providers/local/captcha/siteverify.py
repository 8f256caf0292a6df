"""The siteverify vendors: Cloudflare Turnstile, hCaptcha, and Google reCAPTCHA v2 and v3.

Each one's widget runs in the browser and hands the page a response token; ``captcha/verify/``
takes it as ``captcha_response`` and this module POSTs it, form-encoded, to the vendor's
siteverify with our ``secret`` and the client's address (``remoteip``), then reads the JSON
verdict: ``success``, the ``hostname`` the widget ran on (when ``hostnames`` is set), and for
reCAPTCHA v3 its ``score`` against ``min_score`` and its ``action``; Turnstile's ``action``
too when one is set. The documented error codes split three ways: the token was used or is
too old (:class:`CaptchaSpent`, :class:`CaptchaExpired`), our keys or request are wrong or the
vendor failed (fail closed, :class:`CaptchaUnavailable`), anything else is a wrong answer.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, ClassVar, Final

from django.core.exceptions import ImproperlyConfigured

from ....exceptions import CaptchaExpired, CaptchaSpent, InvalidCaptcha, LcPhoneError
from ...base import CaptchaChallenge
from . import remote

logger = logging.getLogger("django_lc_phone.captcha")

# Codes every one of these vendors documents for its side of the exchange.
_OURS: Final = frozenset(
    {"missing-input-secret", "invalid-input-secret", "bad-request", "internal-error"}
)


class _SiteVerify:
    """One vendor's siteverify: ``site_key`` for the widget, ``secret_key`` for the check."""

    verifier: ClassVar[str]  # what captcha/ tells the client to render
    url: ClassVar[str]
    # Error codes that say the token was shown before, or expired, and ours to fix.
    spent: ClassVar[frozenset[str]] = frozenset()
    expired: ClassVar[frozenset[str]] = frozenset()
    misconfigured: ClassVar[frozenset[str]] = _OURS

    def __init__(
        self,
        *,
        site_key: str = "",
        secret_key: str = "",
        hostnames: Any = (),
        verify_url: str | None = None,
        connect_timeout: float = remote.DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = remote.DEFAULT_READ_TIMEOUT,
    ) -> None:
        name = type(self).__name__
        remote.require(name, site_key=site_key, secret_key=secret_key)
        if not isinstance(site_key, str) or not isinstance(secret_key, str):
            raise ImproperlyConfigured(f"{name}: site_key and secret_key must be strings")
        self.site_key = site_key
        self._secret = secret_key
        self._hostnames = remote.hostnames(name, hostnames)
        self._url = verify_url or self.url
        self._timeout = remote.timeouts(name, connect_timeout, read_timeout)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(site_key={self.site_key!r})"  # never the secret

    def challenge(self) -> CaptchaChallenge:
        """The widget to render: which vendor's, with our site key."""
        return CaptchaChallenge(verifier=self.verifier, site_key=self.site_key)

    def verify(self, token: str, answer: str, *, remote_ip: str | None = None) -> str:
        """Spend the widget's response ``answer`` (``token`` is unused), then ask the vendor."""
        remote.spend(self.verifier, answer)
        verdict = remote.post(
            type(self).__name__,
            self._url,
            data=self._form(answer, remote_ip),
            timeout=self._timeout,
        )
        self._judge(verdict)
        return remote.new_validate_token()

    def _form(self, answer: str, remote_ip: str | None) -> dict[str, str]:
        form = {"secret": self._secret, "response": answer}
        if remote_ip:
            form["remoteip"] = remote_ip
        return form

    def _judge(self, verdict: Mapping[str, Any]) -> None:
        """Raise unless ``verdict`` accepts the answer, for this site."""
        if verdict.get("success") is not True:
            raise self._refusal(verdict.get("error-codes"))
        hostname = verdict.get("hostname")
        if self._hostnames and str(hostname).lower() not in self._hostnames:
            logger.info("%s CAPTCHA solved on another host", type(self).__name__)
            raise InvalidCaptcha()

    def _refusal(self, codes: object) -> LcPhoneError:
        named = (
            frozenset(c for c in codes if isinstance(c, str)) if isinstance(codes, list) else set()
        )
        if named & self.misconfigured:
            reason = ", ".join(sorted(named & self.misconfigured))
            return remote.unavailable(type(self).__name__, f"error codes {reason}")
        if named & self.spent:
            return CaptchaSpent()
        if named & self.expired:
            return CaptchaExpired()
        return InvalidCaptcha()

    def _check_action(self, verdict: Mapping[str, Any], action: str) -> None:
        if action and verdict.get("action") != action:
            logger.info("%s CAPTCHA solved for another action", type(self).__name__)
            raise InvalidCaptcha()


class Turnstile(_SiteVerify):
    """Cloudflare Turnstile; ``action``, when set, must be the widget's ``data-action``."""

    verifier = "turnstile"
    url = "https://challenges.cloudflare.com/turnstile/v0/siteverify"
    # Turnstile tells neither apart: a token is good for one check and for 300 seconds.
    expired = frozenset({"timeout-or-duplicate"})

    def __init__(self, *, action: str = "", **options: Any) -> None:
        super().__init__(**options)
        self.action = action

    def _judge(self, verdict: Mapping[str, Any]) -> None:
        super()._judge(verdict)
        self._check_action(verdict, self.action)


class HCaptcha(_SiteVerify):
    """hCaptcha; the site key is sent too, so a token solved for another site key is refused."""

    verifier = "hcaptcha"
    url = "https://api.hcaptcha.com/siteverify"
    spent = frozenset({"already-seen-response"})
    misconfigured = _OURS | {"sitekey-secret-mismatch", "invalid-remoteip", "missing-remoteip"}

    def _form(self, answer: str, remote_ip: str | None) -> dict[str, str]:
        return {**super()._form(answer, remote_ip), "sitekey": self.site_key}


class RecaptchaV2(_SiteVerify):
    """Google reCAPTCHA v2 (the checkbox, or invisible); ``verify_url`` may name
    ``https://www.recaptcha.net/recaptcha/api/siteverify`` where google.com is not reached."""

    verifier = "recaptcha_v2"
    url = "https://www.google.com/recaptcha/api/siteverify"
    expired = frozenset({"timeout-or-duplicate"})


class RecaptchaV3(RecaptchaV2):
    """Google reCAPTCHA v3: no challenge, a score from 0.0 (a bot) to 1.0; below
    ``min_score``, or for another ``action`` than the one ``captcha/`` names, is refused."""

    verifier = "recaptcha_v3"

    def __init__(self, *, min_score: float = 0.5, action: str = "lc_phone", **options: Any) -> None:
        super().__init__(**options)
        number = isinstance(min_score, int | float) and not isinstance(min_score, bool)
        if not number or not 0.0 <= min_score <= 1.0:
            raise ImproperlyConfigured("RecaptchaV3: min_score must be a number from 0.0 to 1.0")
        if not isinstance(action, str):
            raise ImproperlyConfigured("RecaptchaV3: action must be a string")
        self.min_score = float(min_score)
        self.action = action

    def challenge(self) -> CaptchaChallenge:
        """The widget, and the action to run it with (``grecaptcha.execute``)."""
        return CaptchaChallenge(verifier=self.verifier, site_key=self.site_key, action=self.action)

    def _judge(self, verdict: Mapping[str, Any]) -> None:
        super()._judge(verdict)
        self._check_action(verdict, self.action)
        score = verdict.get("score")
        if not isinstance(score, int | float) or isinstance(score, bool) or score != score:
            raise InvalidCaptcha()  # no score (a v2 token, not a v3 one), or NaN
        if score < self.min_score:
            logger.info("reCAPTCHA v3 score %.1f is below %.1f", score, self.min_score)
            raise InvalidCaptcha()
