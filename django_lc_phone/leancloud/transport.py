"""Requests to one LeanCloud server: connect-only retries, strict response parsing, one log line.

A request is repeated only when it provably never left this machine (connection refused, DNS
failure, connect timeout). Anything later (a read timeout, a dropped connection, a 5xx) may have
sent an SMS or burnt a code, so it is reported with ``request_sent=True`` and never repeated.

The bytes travel through a sender (``senders``): urllib3's pool, or an injected
``requests.Session``. Everything here runs once per call and allocates little (a body encoded
once for every attempt, a target built once), so the client costs little over a raw
keep-alive ``http.client`` call (figure 8 of the benchmarks).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests

from ..redaction import install_urllib3_filter
from . import jsondepth
from .errors import LeanCloudBadResponse, LeanCloudConnectionError, LeanCloudError, error_class_for
from .senders import Answer, Sender, sender_for

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


def _decode(raw: Answer) -> JsonObject:
    """The body as a JSON object, or :class:`LeanCloudBadResponse`."""
    content_type = raw.content_type
    if "json" not in content_type.lower():
        raise LeanCloudBadResponse(
            f"non-JSON response ({content_type or 'no content type'})", status=raw.status
        )
    try:
        body = jsondepth.loads(raw.content)  # refuses absurd nesting before json recurses
    except (ValueError, RecursionError):
        raise LeanCloudBadResponse("malformed JSON", status=raw.status) from None
    if not isinstance(body, dict):
        raise LeanCloudBadResponse("JSON body is not an object", status=raw.status)
    return body


def parse_response(raw: Answer) -> Response:
    """Turn a raw HTTP answer into a :class:`Response` or the matching LeanCloud error."""
    status = raw.status
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
    """Sends JSON requests to one LeanCloud server through one pooled sender."""

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
        self.retry = retry
        self._sleep = sleep
        self._uniform = uniform
        self.sender: Sender = sender_for(
            self.server_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            pool_maxsize=pool_maxsize,
            session=session,
        )
        install_urllib3_filter()

    def close(self) -> None:
        """Close pooled connections."""
        self.sender.close()

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
        target = f"{path}?{urlencode(params)}" if params else path
        data = None if body is None else json.dumps(body, separators=(",", ":")).encode()
        started = time.monotonic()
        retries = 0
        while True:
            try:
                raw = self.sender.send(method, target, data, headers())
                break
            except LeanCloudConnectionError as error:
                if error.request_sent or retries >= self.retry.max_connect_retries:
                    self._log(method, route, started, error, log_extra)
                    raise
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
