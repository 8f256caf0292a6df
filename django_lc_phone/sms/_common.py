"""What the real gateways share: SDK loading, option checks, template choice, transport errors
and the log filters that keep the SDKs' own debug output free of numbers, codes and keys."""

from __future__ import annotations

import importlib
import logging
import re
from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import Final

import requests
import urllib3
from django.core.exceptions import ImproperlyConfigured

from ..exceptions import LcPhoneError, ProviderTimeout, ProviderUnavailable
from ..redaction import REDACTED
from .base import SmsMessage

# How long a throttled number waits when the vendor does not say (their per-number limits
# are per minute at the finest: Alibaba 1/min, Tencent 30 s / 1 h / 1 day).
RETRY_AFTER: Final = 60.0
DEFAULT_TIMEOUT: Final = 10.0


def load_sdk(module: str, extra: str, package: str) -> ModuleType:
    """Import an optional SDK module, or say which extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImproperlyConfigured(
            f"This SMS gateway needs {package}: pip install 'django-lc-phone[{extra}]'"
        ) from exc


def require(gateway: str, **options: object) -> None:
    """Fail at start-up, naming (never showing) the options that are missing or empty."""
    missing = sorted(name for name, value in options.items() if not value)
    if missing:
        raise ImproperlyConfigured(
            f"{gateway}: set {', '.join(missing)} in LC_PHONE['SMS_GATEWAY_OPTIONS']"
        )


def choose(table: str | Mapping[str, str] | None, message: SmsMessage) -> str | None:
    """The vendor's id for this message: by site template name for template messages, by
    purpose (falling back to ``"generic"``) for codes; a plain string serves every message."""
    if table is None or isinstance(table, str):
        return table
    if message.template is not None:
        # A site template never falls back: sending another template's text would be wrong.
        return table.get(message.template)
    return table.get(message.purpose) or table.get("generic")


def choose_sign(sign: str | Mapping[str, str] | None, message: SmsMessage) -> str | None:
    """The signature for this message; any message may use the ``"generic"`` one."""
    if sign is None or isinstance(sign, str):
        return sign
    key = message.template if message.template is not None else message.purpose
    return sign.get(key) or sign.get("generic")


def template_values(
    message: SmsMessage, template_param: str, ttl_param: str | None
) -> dict[str, str]:
    """The template's variables by name: a site template's own, plus the code under
    ``template_param`` and, when the template shows it, the lifetime under ``ttl_param``."""
    values = dict(message.variables) if message.template is not None else {}
    if message.code is not None:
        values[template_param] = message.code
    if ttl_param:
        values[ttl_param] = str(message.ttl_minutes)
    return values


def check_generic(gateway: str, table: Mapping[str, str] | str | None) -> None:
    """Codes for every purpose need at least a ``"generic"`` entry to fall back on."""
    if isinstance(table, str) or (table and table.get("generic")):
        return
    raise ImproperlyConfigured(f"{gateway}: templates needs a 'generic' entry (the code template)")


def _causes(exc: BaseException) -> Iterable[BaseException]:
    """The exception and what it wraps: SDKs re-raise transport errors as their own types
    (Alibaba keeps them as ``inner_exception`` and ``__context__``, Tencent as ``__context__``)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = getattr(current, "inner_exception", None)
        for nxt in (inner, current.__cause__, current.__context__):
            if isinstance(nxt, BaseException):
                todo.append(nxt)


def _reason(exc: requests.RequestException) -> object:
    reason = exc.args[0] if exc.args else None
    return getattr(reason, "reason", reason)  # MaxRetryError wraps the socket-level cause


def transport_error(exc: BaseException) -> LcPhoneError | None:
    """The domain error for a failed HTTP exchange, or None when ``exc`` is not one.

    A connection that never opened sent nothing (``maybe_sent=False``, so limits can give the
    send back); a read timeout or a dropped connection may have sent the SMS.
    """
    for cause in _causes(exc):
        if isinstance(cause, requests.ConnectTimeout):
            return ProviderUnavailable(maybe_sent=False)
        if isinstance(cause, requests.Timeout | urllib3.exceptions.ReadTimeoutError):
            return ProviderTimeout()
        if isinstance(cause, requests.ConnectionError):
            if isinstance(_reason(cause), urllib3.exceptions.ReadTimeoutError):
                return ProviderTimeout()
            never_sent = isinstance(
                _reason(cause),
                urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError,
            ) or isinstance(cause, requests.exceptions.ProxyError)
            return ProviderUnavailable(maybe_sent=not never_sent)
        if isinstance(cause, requests.RequestException | OSError):
            return ProviderUnavailable(maybe_sent=True)
    return None


# --- the SDKs' own logs ------------------------------------------------------------------

# Alibaba's SendSms carries the number and the code in the query string, which urllib3 logs
# at DEBUG with every request line; Twilio's paths (and its INFO request log) name the account.
_SCRUB: Final = (
    (
        re.compile(
            r"((?:[?&]|%3F|%26)(?:PhoneNumbers|TemplateParam|Signature|AccessKeyId|"
            r"SecurityToken)=)[^&#\s\"']*"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(/Accounts/)AC[0-9a-fA-F]{32}"), rf"\1{REDACTED}"),
)


def scrub(text: str) -> str:
    """``text`` with the query values and account ids above replaced by a marker."""
    for pattern, replacement in _SCRUB:
        text = pattern.sub(replacement, text)
    return text


class ScrubQueryFilter(logging.Filter):
    """Blanks phone numbers, template parameters, keys and account ids in request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = scrub(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
        return True


_FIRST_WORD: Final = re.compile(r"([A-Za-z]{1,40})\b")


class DropPayloadFilter(logging.Filter):
    """Replaces an SDK's request/response dumps (body, headers, ``Authorization``) with their
    first word: Tencent logs ``SendRequest: <whole request>`` and ``GetResponse: <body>`` at
    DEBUG, and Alibaba's Darabonba dumps both when ``DEBUG=sdk`` is in the environment."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno <= logging.DEBUG:
            word = _FIRST_WORD.match(record.msg) if isinstance(record.msg, str) else None
            record.msg = f"{word.group(1)}: {REDACTED}" if word else REDACTED
            record.args = ()
        return True


def install_log_filter(logger_name: str, kind: type[logging.Filter]) -> None:
    """Attach a filter to an SDK's logger once per process (filters run only for records
    logged on that very logger, which is where these SDKs log)."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, kind) for f in logger.filters):
        logger.addFilter(kind())
