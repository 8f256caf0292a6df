"""Finding 11 (step 8): live SMS codes reached the site's own logs.

Compat paths carry codes (``/1.1/resetPasswordBySmsCode/<code>``); ``django.request`` logs the
path of every 4xx (``Bad Request: /1.1/resetPasswordBySmsCode/353537``) and ``django.server``
every request line, and a code logged by a call that failed before spending it still works.
The app filters both loggers (``redaction.install_django_filters``, run by ``ready()``); the
gunicorn recipe of ``docs/security.md`` ("Logs") does the same for its access log.
"""

from __future__ import annotations

import datetime
import logging
import re
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIRequestHandler

from django_lc_phone.redaction import REDACTED, RedactUrlsFilter
from tests.compat._wire import NEW_PASSWORD, PASSWORD, PHONE, signup
from tests.compat.conftest import LC, last_code
from tests.limiter import FakeClock

SECURITY_MD = Path(__file__).resolve().parents[2] / "docs" / "security.md"
# Django's loggers that write request paths: a 4xx/5xx answer's, runserver's request lines.
DJANGO_LOGGERS = ("django.request", "django.server")


class Records(logging.Handler):
    """Every record a logger handles, as its handlers get it (after the logger's filters)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def lines(self) -> list[str]:
        return [logging.Formatter("%(name)s %(message)s").format(r) for r in self.records]


@pytest.fixture
def request_logs() -> Iterator[Records]:
    """A handler on ``django.request`` and ``django.server`` (the latter does not propagate)."""
    handler = Records()
    loggers = [logging.getLogger(name) for name in DJANGO_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield handler
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_finding11_the_app_filters_djangos_request_loggers() -> None:
    """Finding 11: ``ready()`` has put the redaction filter on both of Django's loggers."""
    for name in DJANGO_LOGGERS:
        filters = logging.getLogger(name).filters
        assert [f for f in filters if isinstance(f, RedactUrlsFilter)], name


def test_finding11_a_code_refused_before_it_is_spent_is_in_no_log_line(
    lc: LC, request_logs: Records, limiter_clock: FakeClock
) -> None:
    """Finding 11: ``resetPasswordBySmsCode`` with a live code and a weak password is refused
    (218) before the code is spent, and ``django.request`` logs the call; no record of it holds
    the code, which still resets the password afterwards."""
    signup(lc, password=PASSWORD)
    limiter_clock.advance(61)  # past the sign-up code's resend cooldown
    assert lc.post("requestPasswordResetBySmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    code = last_code(PHONE, "reset_password")
    request_logs.records.clear()
    weak = {"password": "123", "mobilePhoneNumber": PHONE}
    for path in (f"resetPasswordBySmsCode/{code}", f"resetPasswordBySmsCode/{code}/"):
        refused = lc.put(path, weak)  # the site's validators: 218 with their messages
        assert (refused.status_code, refused.json()["code"]) == (400, 218), refused.content
    logged = request_logs.lines()
    assert any("resetPasswordBySmsCode" in line for line in logged), logged
    assert [line for line in logged if code in line] == []
    assert all(f"resetPasswordBySmsCode/{REDACTED}" in line for line in logged), logged
    # The logged call spent nothing: the code is live, and it still works.
    strong = {"password": NEW_PASSWORD, "mobilePhoneNumber": PHONE}
    assert lc.put(f"resetPasswordBySmsCode/{code}", strong).status_code == 200


def test_finding11_no_code_in_the_log_lines_of_any_code_path(lc: LC, request_logs: Records) -> None:
    """Finding 11: the three paths with a code, each refused (a 4xx, logged), log no code."""
    signup(lc)
    code = "353537"
    lc.post(f"verifySmsCode/{code}", {"mobilePhoneNumber": PHONE})
    lc.post(f"verifyMobilePhone/{code}", {"mobilePhoneNumber": PHONE})
    lc.put(f"resetPasswordBySmsCode/{code}", {"password": "x", "mobilePhoneNumber": PHONE})
    lc.get("users/me?session_token=abcdefghijklmnopqrstuvwxy")
    logged = request_logs.lines()
    assert len(logged) == 4, logged
    assert [line for line in logged if code in line or "abcdefghijklmnop" in line] == []


def _runserver_handler() -> WSGIRequestHandler:
    """runserver's request handler, without a connection: enough to call ``log_message``."""
    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.request = None  # type: ignore[assignment]
    return handler


@pytest.mark.parametrize(
    ("request_line", "status"),
    [
        ("PUT /1.1/resetPasswordBySmsCode/353537 HTTP/1.1", "400"),
        ("POST /1.1/verifySmsCode/353537/ HTTP/1.1", "200"),
        ("POST /lc/1.1/verifyMobilePhone/353537 HTTP/1.1", "500"),
        ("GET /1.1/users/me?session_token=353537abcdefghijklmnopq HTTP/1.1", "200"),
    ],
)
def test_finding11_runserver_request_lines_hold_no_code(
    request_line: str, status: str, request_logs: Records
) -> None:
    """Finding 11: a ``django.server`` record as runserver writes it
    (``WSGIRequestHandler.log_message``), at every level, holds no code."""
    _runserver_handler().log_message('"%s" %s %s', request_line, status, "55")
    (line,) = request_logs.lines()
    assert line.startswith("django.server ")
    assert "353537" not in line
    assert REDACTED in line


# --- gunicorn ------------------------------------------------------------------------------------


def _recipe() -> str:
    """The ``gunicorn.conf.py`` snippet of docs/security.md's "Logs" section, as written."""
    text = SECURITY_MD.read_text(encoding="utf-8")
    section = text.split("\n## Logs\n", 1)[1].split("\n## ", 1)[0]
    snippets: list[str] = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    (snippet,) = snippets
    return snippet


def _access_line(logger_class: Any, tmp_path: Path, raw_uri: str) -> str:
    """The access-log line gunicorn's ``logger_class`` writes for one request to ``raw_uri``."""
    from gunicorn.config import Config

    config = Config()
    log_file = tmp_path / f"access-{logger_class.__name__}.log"
    config.set("accesslog", str(log_file))
    logger = logger_class(config)
    path, _, query = raw_uri.partition("?")
    environ = {
        "REQUEST_METHOD": "PUT",
        "RAW_URI": raw_uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "198.51.100.7",
    }
    response = types.SimpleNamespace(status="400 Bad Request", sent=55, headers=[])
    request = types.SimpleNamespace(headers=[("USER-AGENT", "LeanCloud-JS-SDK/4.15.3")])
    logger.access(response, request, environ, datetime.timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()
    return log_file.read_text(encoding="utf-8")


def test_finding11_the_gunicorn_recipe_keeps_codes_out_of_the_access_log(tmp_path: Path) -> None:
    """Finding 11: the doc's ``logger_class`` writes access-log lines without the code (or the
    session token), where gunicorn's own logger writes both."""
    from gunicorn.glogging import Logger

    namespace: dict[str, Any] = {}
    exec(compile(_recipe(), "gunicorn.conf.py", "exec"), namespace)  # noqa: S102 - our own doc
    uri = "/1.1/resetPasswordBySmsCode/353537?session_token=tok123secret456"
    plain = _access_line(Logger, tmp_path, uri)
    assert "353537" in plain  # what the recipe is for
    assert "tok123secret456" in plain
    redacted = _access_line(namespace["logger_class"], tmp_path, uri)
    assert '"PUT /1.1/resetPasswordBySmsCode/<redacted>?session_token=<redacted> HTTP/1.1" 400' in (
        redacted
    )
    assert "353537" not in redacted
    assert "tok123secret456" not in redacted
