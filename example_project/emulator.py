"""The example site's LeanCloud emulator: one per process, shared by the WSGI app and the client.

The site serves it at ``/1.1/`` and ``/emulator/``; the app's LeanCloud client reaches the same
object in-process through :func:`session` (``LC_PHONE["HTTP_SESSION_FACTORY"]``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any

import requests
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from django_lc_phone.emulator import Emulator, EmulatorConfig
from django_lc_phone.testing.inprocess import wsgi_session

# The base URL the app's client uses in-process; requests to it never touch the network
# (https, so the system check for a clear-text SERVER_URL has nothing to say).
INPROCESS_URL = "https://emulator.example.invalid"

# The scheme and host of the site request being served, so that the links the emulator builds
# from its own address (a CAPTCHA's image URL) point at this site, which serves /1.1/ too.
_site: ContextVar[tuple[str, str] | None] = ContextVar("example_site", default=None)


@functools.cache
def emulator() -> Emulator:
    """The site's emulator, keeping its users in ``EMULATOR_STATE`` across restarts."""
    config = EmulatorConfig(
        app_id=settings.LEANCLOUD_APP_ID,
        app_key=settings.LEANCLOUD_APP_KEY,
        master_key=settings.LEANCLOUD_MASTER_KEY,
        echo_codes=True,
    )
    return Emulator(config, state_path=settings.EMULATOR_STATE)


def now() -> float:
    """The emulator's clock, as ``LC_PHONE["CLOCK"]``: moving it (``POST /emulator/v1/clock``)
    moves the site's own limits too, so a demo can skip the resend cooldown."""
    return emulator().clock.now()


def _as_site(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """The emulator, seeing in-process requests as if they came to this site's address."""
    site = _site.get()
    if site is not None:
        environ = {**environ, "wsgi.url_scheme": site[0], "HTTP_HOST": site[1]}
    return emulator()(environ, start_response)


def session() -> requests.Session:
    """``LC_PHONE["HTTP_SESSION_FACTORY"]`` in emulator mode."""
    return wsgi_session(_as_site, INPROCESS_URL)


class SiteAddressMiddleware:
    """Remembers the current request's scheme and host for :func:`_as_site` (emulator mode)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        """Serve the request with its address known to the in-process emulator."""
        token = _site.set((request.scheme or "http", request.get_host()))
        try:
            return self.get_response(request)
        finally:
            _site.reset(token)
