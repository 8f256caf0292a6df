"""The test suite's LeanCloud: one in-process emulator that counts the calls it receives.

``LC_PHONE["HTTP_SESSION_FACTORY"]`` points at :func:`session`, so the app's real client code
(signing, JSON, error mapping) runs against the emulator with no socket.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import requests

from django_lc_phone.emulator import Emulator
from django_lc_phone.testing.inprocess import wsgi_session

SERVER_URL = "http://leancloud.test"
EMULATOR = Emulator()


class CountingApp:
    """Records (method, path) of every API request before the emulator answers it, and in
    ``headers`` the HTTP headers each one carried (names as sent, e.g. ``X-Lc-Session``).

    ``headers`` is not emptied by the ``lc`` fixture: a test that reads it clears it first.
    """

    def __init__(self, app: Emulator) -> None:
        self.app = app
        self.calls: list[tuple[str, str]] = []
        self.headers: list[dict[str, str]] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/1.1/"):
            self.calls.append((environ["REQUEST_METHOD"], path))
            self.headers.append(request_headers(environ))
        return self.app(environ, start_response)


def request_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The HTTP headers of a WSGI request, e.g. ``{"X-Lc-Sign": ...}``."""
    found = {
        name[5:].replace("_", "-").title(): str(value)
        for name, value in environ.items()
        if name.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        found["Content-Type"] = str(environ["CONTENT_TYPE"])
    return found


COUNTER = CountingApp(EMULATOR)


def session() -> requests.Session:
    """The factory named in the test settings."""
    return wsgi_session(COUNTER, SERVER_URL)


def advance_clocks(seconds: float) -> None:
    """Move the emulator's clock and the app's limiter clock together."""
    from tests.limiter import LIMITER_CLOCK

    EMULATOR.clock.advance(seconds)
    LIMITER_CLOCK.advance(seconds)
