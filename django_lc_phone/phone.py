"""The one place that turns user input into an E.164 phone number (with phonenumbers)."""

from __future__ import annotations

import re
from contextvars import ContextVar
from typing import Any, Final

import phonenumbers
from django.core.signals import request_finished, request_started

from .conf import get_settings
from .exceptions import InvalidPhoneNumber, PhoneNotAllowed
from .inputs import as_typed

# The longest number a person may type, separators and surrounding spaces included.
MAX_TYPED_LENGTH: Final = 32
# What is left once read as typed (inputs.as_typed: trimmed, any script's digits and full-width
# signs as ASCII): ASCII digits, a leading +, and the usual separators between digits.
# phonenumbers would also take letters (vanity numbers) and other punctuation; we do not.
_TYPED: Final = re.compile(r"^\+?[0-9][0-9 ().\-]{2,29}[0-9]$")
# The numbers this request has read: a sign-in reads its number in the serializer and again
# in the authentication backend (phonenumbers takes about 0.05 ms a parse). Kept for one
# request only: kept across requests, a number somebody else typed lately would be answered
# faster than one nobody did, a timing oracle. Outside a request nothing is kept.
PARSED_NUMBERS_KEPT: Final = 16  # per request: a flood in one body keeps no more
_parsed_in_request: ContextVar[dict[tuple[str, str | None], str] | None] = ContextVar(
    "lc_phone_parsed_numbers", default=None
)


def normalize_phone(value: Any, region: str | None = None) -> str:
    """E.164 for ``value`` (``+8613800138000``, ``" ＋８６ １３８-0013-8000"``), or
    :class:`InvalidPhoneNumber`.

    ``region`` (default ``LC_PHONE["DEFAULT_REGION"]``) lets national numbers through.
    """
    if not isinstance(value, str) or len(value) > MAX_TYPED_LENGTH:
        raise InvalidPhoneNumber()
    region = region if region is not None else get_settings().DEFAULT_REGION
    parsed = _parsed_in_request.get()
    if parsed is None:
        return _e164(value, region)
    e164 = parsed.get((value, region))
    if e164 is None:
        e164 = _e164(value, region)  # an error is not kept: a refused number is read again
        if len(parsed) < PARSED_NUMBERS_KEPT:
            parsed[(value, region)] = e164
    return e164


def _start_request(**_: Any) -> None:
    _parsed_in_request.set({})


def _end_request(**_: Any) -> None:
    _parsed_in_request.set(None)


request_started.connect(_start_request, dispatch_uid="django_lc_phone.phone.started")
request_finished.connect(_end_request, dispatch_uid="django_lc_phone.phone.finished")


def _e164(value: str, region: str | None) -> str:
    """:func:`normalize_phone` once the type, length and region are settled."""
    value = as_typed(value)
    if not _TYPED.fullmatch(value):
        raise InvalidPhoneNumber()
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber() from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def ensure_can_receive_codes(phone: str) -> None:
    """Refuse (:class:`PhoneNotAllowed`) an E.164 number outside ``ALLOWED_REGIONS``, of a type
    not in ``CODE_NUMBER_TYPES`` (a fixed line takes no SMS: ``+861012345678``), or of a type
    in ``BLOCKED_NUMBER_TYPES`` (premium rate, shared cost...: SMS pumping targets)."""
    conf = get_settings()
    number = phonenumbers.parse(phone, None)
    regions = conf.ALLOWED_REGIONS
    if regions is not None and phonenumbers.region_code_for_number(number) not in regions:
        raise PhoneNotAllowed()
    number_type = phonenumbers.number_type(number)
    receiving = _types(conf.CODE_NUMBER_TYPES) - _types(conf.BLOCKED_NUMBER_TYPES)
    if number_type not in receiving:
        raise PhoneNotAllowed()


def _types(names: tuple[str, ...]) -> set[int]:
    """The ``phonenumbers.PhoneNumberType`` values of these names (unknown ones: none)."""
    types = phonenumbers.PhoneNumberType
    return {value for name in names if isinstance(value := getattr(types, name, None), int)}
