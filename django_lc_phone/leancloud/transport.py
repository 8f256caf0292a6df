"""One pooled HTTP session to LeanCloud: timeouts, connect-only retries, strict response parsing.

A request is repeated only when it provably never left this machine (connection refused, DNS
failure, connect timeout). Anything later (a read timeout, a dropped connection, a 5xx) may have
sent an SMS or burnt a code, so it is reported with ``request_sent=True`` and never repeated.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter

from ..redaction import install_urllib3_filter
from .errors import (
    LeanCloudBadResponse,
    LeanCloudConnectionError,
    LeanCloudError,
    LeanCloudTimeout,
    error_class_for,
)

logger = logging.getLogger("django_lc_phone.leancloud")

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, for requests that were never sent."""

    max_connect_retries: int = 1
    backoff_base: float = 0.1
    backoff_cap: float = 2.0

    def delay(self, retry_number: int, uniform: Callable[[float, float], float]) -> float:
        """Seconds to wait before retry ``retry_number`` (1-based)."""
        ceiling = min(self.backoff_cap, self.backoff_base * 2 ** (retry_number - 1))
        return uniform(0.0, ceiling)


@dataclass(frozen=True)
class Response:
    """A successful LeanCloud answer: HTTP status and JSON object body."""

    status: int
    body: JsonObject


def _reason(exc: requests.RequestException) -> object:
    """The underlying urllib3 cause of a requests exception, if it carries one."""
    reason = exc.args[0] if exc.args else None
    return getattr(reason, "reason", reason)  # MaxRetryError wraps the underlying cause


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True only for failures while opening the connection (nothing reached the server)."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.ProxyError):
        return True
    return isinstance(
        _reason(exc), urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError
    )


def _describe(exc: requests.RequestException) -> str:
    """Exception class names only: requests' own messages hold the URL, and with it SMS codes
    (``Max retries exceeded with url: /1.1/verifySmsCode/<code>``)."""
    reason = _reason(exc)
    if isinstance(reason, BaseException):
        return f"{type(exc).__name__} ({type(reason).__name__})"
    return type(exc).__name__


def _connection_error(exc: requests.RequestException) -> LeanCloudConnectionError:
    if isinstance(exc, requests.ConnectTimeout):
        return LeanCloudTimeout("connect timeout", request_sent=False)
    if isinstance(exc, requests.Timeout) or isinstance(
        _reason(exc), urllib3.exceptions.ReadTimeoutError
    ):  # requests raises a plain ConnectionError when the read times out after the headers
        return LeanCloudTimeout("read timeout", request_sent=True)
    if isinstance(exc, requests.ConnectionError):
        sent = not _never_sent(exc)
        return LeanCloudConnectionError(_describe(exc), request_sent=sent)
    return LeanCloudConnectionError(_describe(exc), request_sent=True)


def _decode(raw: requests.Response) -> JsonObject:
    """The body as a JSON object, or :class:`LeanCloudBadResponse`."""
    content_type = raw.headers.get("Content-Type", "")
    if "json" not in content_type.lower():
        raise LeanCloudBadResponse(
            f"non-JSON response ({content_type or 'no content type'})", status=raw.status_code
        )
    try:
        body = json.loads(raw.content)
    except (ValueError, RecursionError):  # RecursionError: absurdly deep nesting
        raise LeanCloudBadResponse("malformed JSON", status=raw.status_code) from None
    if not isinstance(body, dict):
        raise LeanCloudBadResponse("JSON body is not an object", status=raw.status_code)
    return body


def parse_response(raw: requests.Response) -> Response:
    """Turn a raw HTTP answer into a :class:`Response` or the matching LeanCloud error."""
    status = raw.status_code
    if 300 <= status < 400:
        # Never follow: X-LC-Sign and X-LC-Session would go to whatever host it names.
        raise LeanCloudBadResponse("redirect refused", status=status)
    body = _decode(raw)
    code, message = body.get("code"), body.get("error")
    if 200 <= status < 300:
        if "error" in body:
            raise LeanCloudBadResponse("error body with a success status", status=status)
        return Response(status, body)
    if isinstance(code, int) and not isinstance(code, bool) and isinstance(message, str):
        cls = error_class_for(code, message, status)
        raise cls(message, code=code, status=status, request_sent=True)
    raise LeanCloudBadResponse("error status without a LeanCloud error body", status=status)


class Transport:
    """Sends JSON requests to one LeanCloud server over a pooled :class:`requests.Session`."""

    def __init__(
        self,
        server_url: str,
        *,
        connect_timeout: float,
        read_timeout: float,
        retry: RetryPolicy,
        pool_maxsize: int = 10,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        uniform: Callable[[float, float], float] = random.uniform,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.timeout = (connect_timeout, read_timeout)
        self.retry = retry
        self._sleep = sleep
        self._uniform = uniform
        self.session = session or requests.Session()
        if session is None:
            adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
            self.session.mount("http://", adapter)
            self.session.mount("https://", adapter)
        install_urllib3_filter()

    def close(self) -> None:
        """Close pooled connections."""
        self.session.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        route: str,
        headers: Callable[[], Mapping[str, str]],
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        log_extra: str = "",
    ) -> Response:
        """Send one call; ``headers`` is called per attempt so each carries a fresh signature.

        ``route`` is the path template used in logs (it never contains a code or an id).
        """
        url = self.server_url + path
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        started = time.monotonic()
        retries = 0
        while True:
            try:
                raw = self.session.request(
                    method,
                    url,
                    data=data,
                    params=params,
                    headers=dict(headers()),
                    timeout=self.timeout,
                    allow_redirects=False,
                )
                break
            except requests.RequestException as exc:
                error = _connection_error(exc)
                if error.request_sent or retries >= self.retry.max_connect_retries:
                    self._log(method, route, started, error, log_extra)
                    # Not chained: the requests exception's text holds the URL (SMS codes).
                    raise error from None
                retries += 1
                self._sleep(self.retry.delay(retries, self._uniform))
        try:
            response = parse_response(raw)
        except LeanCloudError as error:
            self._log(method, route, started, error, log_extra)
            raise
        self._log(method, route, started, response, log_extra)
        return response

    @staticmethod
    def _log(
        method: str,
        route: str,
        started: float,
        outcome: Response | LeanCloudError,
        extra: str,
    ) -> None:
        elapsed_ms = (time.monotonic() - started) * 1000
        if isinstance(outcome, Response):
            logger.info(
                "leancloud %s %s -> %s in %.1fms%s",
                method,
                route,
                outcome.status,
                elapsed_ms,
                extra,
            )
        else:
            logger.warning(
                "leancloud %s %s -> %s status=%s code=%s sent=%s in %.1fms%s",
                method,
                route,
                type(outcome).__name__,
                outcome.status,
                outcome.code,
                outcome.request_sent,
                elapsed_ms,
                extra,
            )
