"""A gateway that POSTs each message to your own HTTP endpoint, signed as Standard Webhooks.

For a sender of your own (an SMS vendor this package has no gateway for, a queue, a carrier
API behind your firewall), like Supabase's Send SMS hook or Ory Kratos's HTTP courier. The
body is JSON (:func:`payload`); the headers are ``webhook-id``, ``webhook-timestamp`` and
``webhook-signature`` as www.standardwebhooks.com specifies (HMAC-SHA256 with a ``whsec_``
secret), so any Standard Webhooks library verifies them.

The receiver answers: 2xx sent; 429 throttled (``Retry-After`` honoured); a 4xx with
``{"error": "invalid_phone"}`` a bad number; any other 4xx not delivered; 5xx an outage
(maybe sent). A request is repeated, with the same ``webhook-id``, only when it provably never
left this machine (connection refused, DNS failure, connect timeout): after a read timeout or
a 5xx the receiver may have sent the SMS, and a second try could deliver two codes.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import math
import random
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import urlsplit

import requests
from django.core.exceptions import ImproperlyConfigured
from requests.adapters import HTTPAdapter

from ..exceptions import (
    InvalidPhoneNumber,
    LcPhoneError,
    ProviderUnavailable,
    SendThrottled,
    SmsNotDelivered,
)
from ..redaction import mask_phone
from . import _signature as signature
from ._common import DEFAULT_TIMEOUT, RETRY_AFTER, transport_error
from .base import SmsMessage

logger = logging.getLogger(__name__)

EVENT_TYPE: Final = "sms.send"
# The error a receiver answers (in a 4xx JSON body) for a number it cannot send to.
INVALID_PHONE: Final = "invalid_phone"
DEFAULT_CONNECT_TIMEOUT: Final = 3.05
DEFAULT_CONNECT_RETRIES: Final = 1
# Headers the gateway writes itself: the signature covers them, an option must not change them.
_RESERVED: Final = frozenset(
    {
        signature.ID_HEADER,
        signature.TIMESTAMP_HEADER,
        signature.SIGNATURE_HEADER,
        "content-type",
        "content-length",
    }
)
# Our URL or secret is wrong (the receiver refused the signature, or is not there): nothing
# was sent, and nothing the user can fix. Redirects are refused likewise (never followed: the
# body holds the code).
_MISCONFIGURED: Final = frozenset({401, 403, 404, 405, 410})
_MAX_RETRY_AFTER: Final = 86400.0
_ERROR_BODY_BYTES: Final = 4096
# A receiver's error as logged: only what has a code's shape (lower case, short); anything else
# (a message, an echo of the request, our secret) stays out of the logs.
_CODE_SHAPE: Final = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
_SECONDS: Final = re.compile(r"[0-9]{1,9}")


def payload(message: SmsMessage) -> dict[str, Any]:
    """The JSON body: the spec's ``type`` / ``timestamp`` / ``data`` shape (docs/gateways.md).

    ``timestamp`` is when the provider handed the message over, not when this attempt left.
    """
    created = datetime.fromtimestamp(message.created_at, timezone.utc)
    return {
        "type": EVENT_TYPE,
        "timestamp": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "data": {
            "phone": message.phone,
            "channel": message.channel,
            "purpose": message.purpose,
            "code": message.code,
            "text": str(message.text),
            "template": message.template,
            "variables": dict(message.variables),
            "ttl_minutes": message.ttl_minutes,
        },
    }


# --- options -------------------------------------------------------------------------------


def _url_problem(url: object) -> str | None:
    if not url:
        return "set url"
    if not isinstance(url, str):
        return "url must be a str"
    try:
        parts = urlsplit(url)
        _ = parts.port  # ValueError for a port that is not a number
    except ValueError:
        return "url must be an http(s) URL with a host"
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return "url must be an http(s) URL with a host"
    return None


def _secret_problem(secret: object) -> str | None:
    if not secret:
        return "set secret"
    given = [secret] if isinstance(secret, str) else secret
    if not isinstance(given, list | tuple) or not given:
        return "secret must be a 'whsec_' str, or a list of them (newest first)"
    for one in given:
        try:
            signature.decode_secret(one)
        except ValueError as exc:
            return str(exc)
    return None


def _number(value: object) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    return math.isfinite(value) and value > 0


def _headers_problem(headers: object) -> str | None:
    if headers is None:
        return None
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        return "headers must be a dict of str to str"
    if any(name.lower() in _RESERVED for name in headers):
        return f"headers must not set {', '.join(sorted(_RESERVED))}"
    return None


def option_problems(options: Mapping[str, Any]) -> list[str]:
    """What is wrong with these ``SMS_GATEWAY_OPTIONS``, by option name (never a value); the
    constructor and system check ``lc_phone.E030`` both ask."""
    found = [_url_problem(options.get("url")), _secret_problem(options.get("secret"))]
    for name in ("timeout", "connect_timeout"):
        if name in options and not _number(options[name]):
            found.append(f"{name} must be a positive number of seconds")
    retries = options.get("connect_retries", DEFAULT_CONNECT_RETRIES)
    if not (isinstance(retries, int) and not isinstance(retries, bool) and 0 <= retries <= 5):
        found.append("connect_retries must be an int from 0 to 5")
    if not isinstance(options.get("voice", False), bool):
        found.append("voice must be True or False")
    found.append(_headers_problem(options.get("headers")))
    return [problem for problem in found if problem]


def is_private(url: str) -> bool:
    """Whether ``url`` is https, or names this machine (``localhost``, a loopback address):
    what check ``lc_phone.W030`` wants when DEBUG is off."""
    parts = urlsplit(url)
    host = (parts.hostname or "").rstrip(".").lower()
    if parts.scheme.lower() == "https" or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# --- the receiver's answer -----------------------------------------------------------------


def retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (seconds or an HTTP date), within 1 s to a day."""
    if not value:
        return None
    value = value.strip()
    if _SECONDS.fullmatch(value):
        seconds = float(value)
    else:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
        seconds = when.timestamp() - time.time()
    return min(max(seconds, 1.0), _MAX_RETRY_AFTER)


def classify(status: int, error: str | None, wait: float | None) -> LcPhoneError | None:
    """The domain error for the receiver's answer (None: sent)."""
    if 200 <= status < 300:
        return None
    if status == 429:
        return SendThrottled(retry_after=wait or RETRY_AFTER)
    if status >= 500:
        return ProviderUnavailable(retry_after=wait, maybe_sent=True)
    if status >= 400 and error == INVALID_PHONE:
        return InvalidPhoneNumber()
    if status < 400 or status in _MISCONFIGURED:
        return ProviderUnavailable(maybe_sent=False)
    return SmsNotDelivered()


def _error_of(response: requests.Response) -> str | None:
    """The ``error`` of a JSON answer's first few KB, if it has one (receivers' bodies vary)."""
    if "json" not in response.headers.get("Content-Type", "").lower():
        return None
    try:
        body = json.loads(response.raw.read(_ERROR_BODY_BYTES, decode_content=True))
    except Exception:  # cut off, not JSON, or the connection died while reading: no code
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, str) else None


class WebhookGateway:
    """POSTs each message to ``url``, signed with ``secret``; options as in docs/gateways.md."""

    def __init__(
        self,
        *,
        url: str = "",
        secret: str | Sequence[str] = "",
        timeout: float = DEFAULT_TIMEOUT,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT,
        connect_retries: int = DEFAULT_CONNECT_RETRIES,
        headers: Mapping[str, str] | None = None,
        voice: bool = False,
    ) -> None:
        options = {
            "url": url,
            "secret": secret,
            "timeout": timeout,
            "connect_timeout": connect_timeout,
            "connect_retries": connect_retries,
            "headers": headers,
            "voice": voice,
        }
        problems = option_problems(options)
        if problems:
            raise ImproperlyConfigured(
                f"WebhookGateway: {'; '.join(problems)} in LC_PHONE['SMS_GATEWAY_OPTIONS']"
            )
        self._url = url
        # Several secrets sign each message once each (the spec's zero-downtime rotation).
        self._keys = [
            signature.decode_secret(one)
            for one in ([secret] if isinstance(secret, str) else secret)
        ]
        self._timeout = (connect_timeout, timeout)
        self._retries = connect_retries
        self._headers = dict(headers or {})
        self.supports_voice = voice
        self._session = requests.Session()
        # urllib3's own retries off: a retried POST can send a code twice (ours are above).
        adapter = HTTPAdapter(max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def send(self, message: SmsMessage) -> None:
        """One delivery (repeated only if it never left); raises the domain error for any
        refusal or failure."""
        masked = mask_phone(message.phone)
        msg_id = signature.new_id()
        body = json.dumps(payload(message), separators=(",", ":")).encode()
        try:
            response = self._post(msg_id, body)
        except LcPhoneError as failed:
            _log_failure(failed, masked, msg_id, None, None)
            raise
        with response:
            status = response.status_code
            code = _error_of(response) if status >= 400 else None
            error = classify(status, code, retry_after(response.headers.get("Retry-After")))
        if error is not None:
            _log_failure(error, masked, msg_id, status, code)
            raise error
        logger.info(
            "SMS webhook %s to %s sent (%s, status %s)", message.channel, masked, msg_id, status
        )

    def _post(self, msg_id: str, body: bytes) -> requests.Response:
        """The answer, after at most ``connect_retries`` repeats of a request that never left."""
        attempt = 0
        while True:
            try:
                return self._session.post(
                    self._url,
                    data=body,
                    headers=self._signed(msg_id, body),
                    timeout=self._timeout,
                    allow_redirects=False,
                    stream=True,  # an error body is read only up to a few KB
                )
            except requests.RequestException as exc:
                error = transport_error(exc) or ProviderUnavailable(maybe_sent=True)
                left = isinstance(error, ProviderUnavailable) and not error.maybe_sent
                if not left or attempt >= self._retries:
                    # ``from None``: requests' message quotes the URL.
                    raise error from None
            attempt += 1
            time.sleep(random.uniform(0.0, min(2.0, 0.1 * 2 ** (attempt - 1))))  # noqa: S311

    def _signed(self, msg_id: str, body: bytes) -> dict[str, str]:
        """The headers of one attempt: the options' own, then the JSON type and the signature."""
        stamped = signature.headers(self._keys, msg_id, body)
        return {**self._headers, "Content-Type": "application/json", **stamped}


def _log_failure(
    error: LcPhoneError, masked: str, msg_id: str, status: int | None, code: str | None
) -> None:
    """The masked number, our id and the receiver's status and error code: never the body."""
    logger.warning(
        "SMS webhook to %s failed: %s (%s, status %s, error %s)",
        masked,
        type(error).__name__,
        msg_id,
        status,
        (code if _CODE_SHAPE.fullmatch(code) else "(not a code)") if code else None,
    )
