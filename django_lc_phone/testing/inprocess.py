"""A requests transport that hands requests to a WSGI app in the same process (no socket).

With the emulator as the app, the client runs its real code path (signing, JSON, error
mapping) against LeanCloud's wire protocol with no second process. The app signals the two
connection-level faults with builtin exceptions: :class:`ConnectionAbortedError` becomes a
dropped connection and :class:`TimeoutError` a read timeout, as a real socket would give.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterable, Mapping
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict
from urllib3.exceptions import ProtocolError

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _environ(request: requests.PreparedRequest) -> dict[str, Any]:
    url = urlsplit(request.url or "")
    body = request.body or b""
    if isinstance(body, str):
        body = body.encode()
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method or "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": url.path or "/",
        "QUERY_STRING": url.query,
        "SERVER_NAME": url.hostname or "localhost",
        "SERVER_PORT": str(url.port or (443 if url.scheme == "https" else 80)),
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": url.scheme or "http",
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers.items():
        key = name.upper().replace("-", "_")
        if key == "CONTENT_TYPE":
            environ["CONTENT_TYPE"] = value
        elif key != "CONTENT_LENGTH":
            environ["HTTP_" + key] = value
    return environ


class WSGIAdapter(BaseAdapter):
    """Serves every request sent through it from ``app``."""

    def __init__(self, app: WsgiApp) -> None:
        super().__init__()
        self.app = app

    def send(  # type: ignore[override]
        self, request: requests.PreparedRequest, **kwargs: Any
    ) -> requests.Response:
        """Call the app and build a :class:`requests.Response` from what it answers."""
        captured: dict[str, Any] = {}

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> None:
            captured["status"], captured["headers"] = status, headers

        try:
            chunks = self.app(_environ(request), start_response)
            payload = b"".join(chunks)
        except ConnectionAbortedError as exc:
            cause = ProtocolError("Connection aborted.", RemoteDisconnected("emulated drop"))
            raise requests.ConnectionError(cause, request=request) from exc
        except TimeoutError as exc:
            raise requests.ReadTimeout("emulated hang", request=request) from exc
        response = requests.Response()
        response.status_code = int(captured["status"].split()[0])
        response.reason = captured["status"].partition(" ")[2]
        response.headers = CaseInsensitiveDict(dict(captured["headers"]))
        response._content = payload
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        """Nothing to release."""


def wsgi_session(
    app: WsgiApp, base_url: str, headers: Mapping[str, str] | None = None
) -> requests.Session:
    """A :class:`requests.Session` whose requests under ``base_url`` go to ``app``."""
    session = requests.Session()
    session.mount(base_url, WSGIAdapter(app))
    session.headers.update(headers or {})
    return session
