"""The two requests the benchmarks time: a login on the site, and the same upstream call made
directly to the emulator, each as a load script over a set of users taken in turn."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

from . import wrk
from .upstream import (
    FLOOR_PATH,
    LOGIN_PATH,
    SITE_LOGIN_PATH,
    login_headers,
    site_login_body,
    upstream_login_body,
)

# What the site's JSON endpoints are sent with (the site login, the floor, the warm-up).
_JSON_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}


def site_login(phones: list[str]) -> wrk.LoadScript:
    """``POST /auth/phone/login/`` with phone + password, the users in turn."""
    return wrk.script(SITE_LOGIN_PATH, [site_login_body(p) for p in phones], _JSON_HEADERS)


def floor_login(phones: list[str]) -> wrk.LoadScript:
    """``POST /bench/floor/`` with the site login's body (``bench/floor.py``)."""
    return wrk.script(FLOOR_PATH, [site_login_body(p) for p in phones], _JSON_HEADERS)


def upstream_login(phones: list[str]) -> wrk.LoadScript:
    """``POST /1.1/login`` as our LeanCloud client sends it, the users in turn."""
    return wrk.script(LOGIN_PATH, [upstream_login_body(p) for p in phones], login_headers())


def sign_in_each(site_url: str, phones: list[str]) -> None:
    """Log every user in once, in turn (one connection): a user's first login through the site
    makes its local profile and captures its password (one hash of the site's hasher: about a
    quarter of a second with PBKDF2), which later logins do not. A warm-up of a few seconds
    under wrk reached only some users, so the timed runs paid the rest's first logins."""
    parts = urlsplit(site_url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)
    try:
        for phone in phones:
            connection.request("POST", SITE_LOGIN_PATH, site_login_body(phone), _JSON_HEADERS)
            answer = connection.getresponse()
            answer.read()
            if answer.status != 200:
                raise RuntimeError(f"warm-up login answered {answer.status}")
    finally:
        connection.close()
