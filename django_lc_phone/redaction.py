"""Keep secrets out of logs: mask phone numbers, scrub SMS codes and tokens from URLs. Stdlib only.

SMS codes travel in URL paths (``/verifySmsCode/<code>``...) and urllib3 logs every request line
at DEBUG, so :func:`install_urllib3_filter` rewrites those records before any handler sees them.
"""

from __future__ import annotations

import logging
import re
from typing import Final

_CODE_IN_PATH: Final = re.compile(
    r"(/(?:verifySmsCode|verifyMobilePhone|resetPasswordBySmsCode))/[^/?#\s\"']+"
)
_SECRET_IN_QUERY: Final = re.compile(
    r"([?&](?:session_token|sessionToken|smsCode|code|password|validate_token|captcha_code)=)"
    r"[^&#\s\"']*"
)
REDACTED: Final = "<redacted>"


def mask_phone(phone: str | None) -> str:
    """``+8613800138000`` -> ``+86138****8000``: enough to correlate, not enough to dial."""
    if not phone:
        return ""
    digits = phone.lstrip("+")
    keep_head = min(5, max(0, len(digits) - 6))
    head, tail = digits[:keep_head], digits[-4:] if len(digits) > 4 else ""
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


def install_urllib3_filter() -> None:
    """Attach :class:`RedactUrlsFilter` to urllib3's request logger (once per process)."""
    logger = logging.getLogger(URLLIB3_LOGGER)
    if not any(isinstance(f, RedactUrlsFilter) for f in logger.filters):
        logger.addFilter(RedactUrlsFilter())
