"""The client's plumbing: credentials, signed headers, one ``_call`` over the transport, and the
argument checks every endpoint method makes before any I/O."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal

import requests

from ... import __version__
from ...redaction import mask_phone
from ..errors import LeanCloudBadResponse, LeanCloudInvalidArgument, LeanCloudMasterKeyMissing
from ..transport import Response, RetryPolicy, Transport
from ..wire import (
    API_PREFIX,
    HEADER_ID,
    HEADER_SESSION,
    HEADER_SIGN,
    OBJECT_ID_RE,
    SESSION_TOKEN_RE,
    SMS_CODE_RE,
    sign_header,
)

SmsType = Literal["sms", "voice"]

_USER_AGENT: Final = f"django-lc-phone/{__version__}"


def _check(pattern_ok: bool, what: str) -> None:
    if not pattern_ok:
        raise LeanCloudInvalidArgument(f"invalid {what}")


def _check_code(code: str) -> str:
    _check(isinstance(code, str) and SMS_CODE_RE.fullmatch(code) is not None, "SMS code")
    return code


def _check_object_id(object_id: str) -> str:
    _check(isinstance(object_id, str) and OBJECT_ID_RE.fullmatch(object_id) is not None, "objectId")
    return object_id


def _check_session(token: str) -> str:
    ok = isinstance(token, str) and SESSION_TOKEN_RE.fullmatch(token) is not None
    _check(ok, "session token")
    return token


def _check_phone(phone: str) -> str:
    _check(isinstance(phone, str) and 0 < len(phone) <= 32, "phone number")
    return phone


def _with_ttl(body: dict[str, Any], ttl: int | None) -> dict[str, Any]:
    """Add ``ttl`` (minutes, 1 to 30) to ``body`` after checking it."""
    if ttl is not None:
        _check(isinstance(ttl, int) and not isinstance(ttl, bool) and 0 < ttl <= 30, "ttl")
        body["ttl"] = ttl
    return body


def _with_validate_token(body: dict[str, Any], validate_token: str | None) -> dict[str, Any]:
    if validate_token is not None:
        _check(isinstance(validate_token, str) and 0 < len(validate_token) <= 256, "token")
        body["validate_token"] = validate_token
    return body


def _incomplete(field_name: str) -> LeanCloudBadResponse:
    return LeanCloudBadResponse(f"incomplete LeanCloud response: {field_name}")


class ClientBase:
    """Credentials, the transport and ``_call``; the endpoint methods live in its subclasses."""

    def __init__(
        self,
        app_id: str,
        app_key: str,
        *,
        server_url: str,
        master_key: str | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        pool_maxsize: int = 10,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not app_id or not app_key:
            raise ValueError("app_id and app_key are required")
        self.app_id = app_id
        self._app_key = app_key
        self._master_key = master_key
        self._clock = clock
        self._static_headers = {
            HEADER_ID: app_id,
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        }
        self.transport = Transport(
            server_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry or RetryPolicy(),
            pool_maxsize=pool_maxsize,
            session=session,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"LeanCloudClient(app_id={self.app_id!r}, server_url={self.transport.server_url!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.transport.close()

    # --- plumbing ---------------------------------------------------------------------------

    def _key(self, master: bool) -> str:
        key = self._master_key if master else self._app_key
        if not key:
            raise LeanCloudMasterKeyMissing()
        return key

    def _headers(self, master: bool, session_token: str | None) -> dict[str, str]:
        """A fresh signature (per attempt) on a copy of the static headers."""
        headers = self._static_headers.copy()
        stamp = int(self._clock() * 1000)
        headers[HEADER_SIGN] = sign_header(self._key(master), stamp, master=master)
        if session_token is not None:
            headers[HEADER_SESSION] = session_token
        return headers

    def _call(
        self,
        method: str,
        route: str,
        *,
        path: str | None = None,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        master: bool = False,
        session_token: str | None = None,
        phone: str | None = None,
    ) -> Response:
        # Both checks fail before any I/O. No key is kept in a local here: an error page shows
        # the locals of every frame of a traceback that passes through this call.
        self._key(master)
        if session_token is not None:
            _check_session(session_token)
        return self.transport.request(
            method,
            API_PREFIX + (path or route),
            route=API_PREFIX + route,
            headers=lambda: self._headers(master, session_token),
            body=body,
            params=params,
            log_extra=f" phone={mask_phone(phone)}" if phone else "",
        )
