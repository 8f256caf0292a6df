"""The two requests the benchmarks time: a login on the site, and the same upstream call made
directly to the emulator, each as a load script over a set of users taken in turn."""

from __future__ import annotations

from . import wrk
from .upstream import (
    LOGIN_PATH,
    SITE_LOGIN_PATH,
    login_headers,
    site_login_body,
    upstream_login_body,
)


def site_login(phones: list[str]) -> wrk.LoadScript:
    """``POST /auth/phone/login/`` with phone + password, the users in turn."""
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    return wrk.script(SITE_LOGIN_PATH, [site_login_body(p) for p in phones], headers)


def upstream_login(phones: list[str]) -> wrk.LoadScript:
    """``POST /1.1/login`` as our LeanCloud client sends it, the users in turn."""
    return wrk.script(LOGIN_PATH, [upstream_login_body(p) for p in phones], login_headers())
