"""Helpers for the emulator tests: signed calls made with plain ``requests``, not our client."""

from __future__ import annotations

import json
import re
import time
from typing import Any, Final

import requests

from django_lc_phone.emulator import Emulator, RunningServer
from django_lc_phone.leancloud.wire import sign_header

JSON_CONTENT_TYPE: Final = "application/json;charset=utf-8"
OBJECT_ID: Final = re.compile(r"^[0-9a-f]{24}$")
SESSION_TOKEN: Final = re.compile(r"^[a-z0-9]{25}$")
DATE: Final = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")

NO_BODY: Final[Any] = object()
PASSWORD: Final = "pw-123456"


def now_ms() -> int:
    """The signing timestamp: Unix time in milliseconds."""
    return int(time.time() * 1000)


def signed_headers(
    emulator: Emulator, *, master: bool = False, session: str | None = None
) -> dict[str, str]:
    """``X-LC-Id`` and a fresh ``X-LC-Sign`` with the emulator's demo keys, as the SDKs send."""
    config = emulator.config
    key = config.master_key if master else config.app_key
    headers = {
        "X-LC-Id": config.app_id,
        "X-LC-Sign": sign_header(key, now_ms(), master=master),
        "Content-Type": "application/json",
    }
    if session is not None:
        headers["X-LC-Session"] = session
    return headers


def call(
    server: RunningServer,
    method: str,
    path: str,
    body: Any = NO_BODY,
    *,
    master: bool = False,
    session: str | None = None,
    params: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 5.0,
) -> requests.Response:
    """One signed request to the emulator over HTTP; ``body`` is sent as JSON when given."""
    merged = signed_headers(server.emulator, master=master, session=session)
    merged.update(headers or {})
    data = None if body is NO_BODY else json.dumps(body)
    return requests.request(
        method, server.url + path, params=params, data=data, headers=merged, timeout=timeout
    )


def sign_up(server: RunningServer, username: str, password: str = PASSWORD, **fields: Any) -> Any:
    """Create a user over HTTP and return the 201 body."""
    response = call(
        server, "POST", "/1.1/users", {"username": username, "password": password, **fields}
    )
    assert response.status_code == 201, response.text
    return response.json()
