"""Tencent Cloud Captcha (TCaptcha): its widget loads in mainland China, where Google's and
Cloudflare's may not.

The widget's callback gives a ``ticket`` and a ``randstr``; ``captcha/verify/`` takes them as
``captcha_response`` and ``captcha_randstr``. They are checked with Tencent Cloud API 3.0's
``DescribeCaptchaResult`` (version 2019-07-22, ``captcha.tencentcloudapi.com``), one JSON POST
signed here with TC3-HMAC-SHA256 (no SDK: the ``tencentcloud-sdk-python-captcha`` package is
not a dependency). ``CaptchaCode`` 1 is a pass; 8 an expired ticket, 9 a reused one, and every
other code (a wrong ``randstr``, a ticket of another app, 21: the risk engine's refusal) is a
wrong answer, as is ``EvilLevel`` 100. An API error (``Response.Error``: keys, signature,
clock, rate) fails closed, except a malformed ticket, which is the client's.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any, Final

from django.core.exceptions import ImproperlyConfigured

from ....exceptions import CaptchaExpired, CaptchaSpent, InvalidCaptcha
from ...base import CaptchaChallenge
from . import remote

logger = logging.getLogger("django_lc_phone.captcha")

ENDPOINT: Final = "captcha.tencentcloudapi.com"
_SERVICE: Final = "captcha"
_ACTION: Final = "DescribeCaptchaResult"
_VERSION: Final = "2019-07-22"
_CONTENT_TYPE: Final = "application/json; charset=utf-8"
_CAPTCHA_TYPE: Final = 9  # "fixed value: 9"
_PASSED: Final = 1
_EXPIRED: Final = 8
_REUSED: Final = 9
_EVIL: Final = 100
_MAX_RANDSTR: Final = 64
# API errors that are the request's values, i.e. the client's ticket: a wrong answer.
_CLIENTS: Final = ("InvalidParameter", "InvalidParameterValue")


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def tc3_headers(
    *, secret_id: str, secret_key: str, host: str, payload: bytes, timestamp: int
) -> dict[str, str]:
    """The headers of a signed ``DescribeCaptchaResult`` POST to ``https://<host>/``
    (Tencent Cloud API 3.0, signature v3: TC3-HMAC-SHA256 over content-type and host)."""
    date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
    signed_headers = "content-type;host"
    canonical = "\n".join(
        (
            "POST",
            "/",
            "",
            f"content-type:{_CONTENT_TYPE}\nhost:{host}\n",
            signed_headers,
            hashlib.sha256(payload).hexdigest(),
        )
    )
    scope = f"{date}/{_SERVICE}/tc3_request"
    to_sign = "\n".join(
        ("TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest())
    )
    key = _hmac(_hmac(_hmac(f"TC3{secret_key}".encode(), date), _SERVICE), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Authorization": (
            f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, "
            f"SignedHeaders={signed_headers}, Signature={signature}"
        ),
        "Content-Type": _CONTENT_TYPE,
        "Host": host,
        "X-TC-Action": _ACTION,
        "X-TC-Timestamp": str(timestamp),
        "X-TC-Version": _VERSION,
    }


class TencentCaptcha:
    """TCaptcha: ``captcha_app_id`` and ``app_secret_key`` from the Captcha console, and a
    Tencent Cloud API key (``secret_id``, ``secret_key``) allowed to call it."""

    verifier = "tencent"

    def __init__(
        self,
        *,
        captcha_app_id: int | str = "",
        app_secret_key: str = "",
        secret_id: str = "",
        secret_key: str = "",
        endpoint: str = ENDPOINT,
        connect_timeout: float = remote.DEFAULT_CONNECT_TIMEOUT,
        read_timeout: float = remote.DEFAULT_READ_TIMEOUT,
    ) -> None:
        remote.require(
            "TencentCaptcha",
            captcha_app_id=captcha_app_id,
            app_secret_key=app_secret_key,
            secret_id=secret_id,
            secret_key=secret_key,
        )
        if not str(captcha_app_id).isdigit() or isinstance(captcha_app_id, bool):
            raise ImproperlyConfigured("TencentCaptcha: captcha_app_id must be a number")
        if not isinstance(endpoint, str) or not endpoint or "/" in endpoint:
            raise ImproperlyConfigured("TencentCaptcha: endpoint must be a host name")
        self.app_id = int(captcha_app_id)
        self._app_secret = str(app_secret_key)
        self._secret_id = str(secret_id)
        self._secret_key = str(secret_key)
        self._host = endpoint
        self._timeout = remote.timeouts("TencentCaptcha", connect_timeout, read_timeout)

    def __repr__(self) -> str:
        return f"TencentCaptcha(captcha_app_id={self.app_id})"  # never the keys

    def challenge(self) -> CaptchaChallenge:
        """The widget to render: ``new TencentCaptcha(site_key, callback)``."""
        return CaptchaChallenge(verifier=self.verifier, site_key=str(self.app_id))

    def verify(self, token: str, answer: str, *, remote_ip: str | None = None) -> str:
        """Spend the ``ticket`` (``answer``), then check it and its ``randstr`` (``token``)."""
        if not token or len(token) > _MAX_RANDSTR:
            raise InvalidCaptcha()
        remote.spend(self.verifier, answer)
        payload = json.dumps(
            {
                "CaptchaType": _CAPTCHA_TYPE,
                "Ticket": answer,
                "UserIp": remote_ip or "",
                "Randstr": token,
                "CaptchaAppId": self.app_id,
                "AppSecretKey": self._app_secret,
            },
            separators=(",", ":"),
        ).encode()
        headers = tc3_headers(
            secret_id=self._secret_id,
            secret_key=self._secret_key,
            host=self._host,
            payload=payload,
            timestamp=int(time.time()),  # Tencent's clock, not the limits' (tests move that)
        )
        body = remote.post(
            "Tencent",
            f"https://{self._host}/",
            content=payload,
            headers=headers,
            timeout=self._timeout,
        )
        self._judge(body.get("Response"))
        return remote.new_validate_token()

    def _judge(self, response: Any) -> None:
        if not isinstance(response, dict):
            raise remote.unavailable("Tencent", "no Response")
        error = response.get("Error")
        if error is not None:
            name = str(error.get("Code", "")) if isinstance(error, dict) else ""
            if name.split(".")[0] in _CLIENTS:
                raise InvalidCaptcha()
            raise remote.unavailable("Tencent", f"API error {name[:60] or '?'}")
        code = response.get("CaptchaCode")
        # The integer itself: JSON's true, or 1.0, also equals 1 in Python.
        if type(code) is int and code == _PASSED and response.get("EvilLevel") != _EVIL:
            return
        if code == _EXPIRED:
            raise CaptchaExpired()
        if code == _REUSED:
            raise CaptchaSpent()
        logger.info(
            "Tencent CAPTCHA refused: CaptchaCode %s", code if isinstance(code, int) else "?"
        )
        raise InvalidCaptcha()
