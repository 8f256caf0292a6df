"""Keep secrets out of logs: mask phone numbers, scrub SMS codes and tokens from URLs. Stdlib only.

SMS codes travel in URL paths (``/verifySmsCode/<code>``...): urllib3 logs every request line
at DEBUG, Django logs the path of every 4xx and 5xx answer (``django.request``) and the request
line of every request to ``runserver`` (``django.server``). :func:`install_urllib3_filter` and
:func:`install_django_filters` (run by the app's ``ready()``) rewrite those records before any
handler sees them. A web server's own access log is the deployment's: ``docs/security.md``
("Logs") has the gunicorn recipe, with :func:`redact_url`.
"""

from __future__ import annotations

import logging
import re
import string
from typing import Final

# Any case and any run of slashes: a badly formed client's ``verifySmsCode//123456`` or
# ``?SESSION_TOKEN=`` must not put its code or token in a log either.
_CODE_IN_PATH: Final = re.compile(
    r"(/(?:verifySmsCode|verifyMobilePhone|resetPasswordBySmsCode))/+[^/?#\s\"']+",
    re.IGNORECASE,
)
_SECRET_IN_QUERY: Final = re.compile(
    # ``where`` is a query on the scan; it can hold a full phone number.
    r"([?&](?:session_token|sessionToken|smsCode|code|password|validate_token|captcha_code|"
    r"captcha_response|where)=)"
    r"[^&#\s\"']*",
    re.IGNORECASE,
)
REDACTED: Final = "<redacted>"


def mask_phone(phone: str | None) -> str:
    """``+8613800138000`` -> ``+86138****8000``: enough to correlate, not enough to dial.

    At least four digits are always hidden (``+12025550123`` -> ``+120****0123``), and only ASCII
    digits are kept, so nothing else the caller passed (a newline, say) reaches a log line.
    """
    if not phone:
        return ""
    digits = "".join(char for char in phone if char in string.digits)
    keep_tail = min(4, max(0, len(digits) - 4))
    keep_head = min(5, max(0, len(digits) - keep_tail - 4))
    head, tail = digits[:keep_head], digits[len(digits) - keep_tail :]
    return ("+" if phone.startswith("+") else "") + head + "****" + tail


def redact_url(url: str) -> str:
    """Replace SMS codes in LeanCloud paths and secret query parameters with a marker."""
    url = _CODE_IN_PATH.sub(rf"\1/{REDACTED}", url)
    return _SECRET_IN_QUERY.sub(rf"\1{REDACTED}", url)


class RedactUrlsFilter(logging.Filter):
    """A logging filter that applies :func:`redact_url` to a record's message and arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact_url(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact_url(a) if isinstance(a, str) else a for a in record.args)
        return True


URLLIB3_LOGGER: Final = "urllib3.connectionpool"
# Django's loggers that name request paths: an answer's (4xx/5xx) and runserver's request lines.
DJANGO_LOGGERS: Final = ("django.request", "django.server")


def install_filter(name: str) -> None:
    """Attach :class:`RedactUrlsFilter` to the logger ``name`` (once per process). A logger's
    filters see only the records logged on it, not those of its children."""
    logger = logging.getLogger(name)
    if not any(isinstance(f, RedactUrlsFilter) for f in logger.filters):
        logger.addFilter(RedactUrlsFilter())


def install_urllib3_filter() -> None:
    """Redact urllib3's request lines (the LeanCloud client's calls)."""
    install_filter(URLLIB3_LOGGER)


def install_django_filters() -> None:
    """Redact the paths of ``django.request`` and the request lines of ``django.server``."""
    for name in DJANGO_LOGGERS:
        install_filter(name)
