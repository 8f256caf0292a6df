"""The one place that turns user input into an E.164 phone number (with phonenumbers)."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final

import phonenumbers

from .conf import get_settings
from .exceptions import InvalidPhoneNumber, PhoneNotAllowed
from .inputs import as_typed

# The longest number a person may type, separators and surrounding spaces included.
MAX_TYPED_LENGTH: Final = 32
# What is left once read as typed (inputs.as_typed: trimmed, any script's digits and full-width
# signs as ASCII): ASCII digits, a leading +, and the usual separators between digits.
# phonenumbers would also take letters (vanity numbers) and other punctuation; we do not.
_TYPED: Final = re.compile(r"^\+?[0-9][0-9 ().\-]{2,29}[0-9]$")
# Numbers parsed lately: a sign-in reads its number in the serializer and again in the
# authentication backend, and the same people sign in again and again (phonenumbers takes
# about 0.05 ms a parse). Bounded: a flood of new numbers only turns the oldest out.
PARSED_NUMBERS_KEPT: Final = 4096


def normalize_phone(value: Any, region: str | None = None) -> str:
    """E.164 for ``value`` (``+8613800138000``, ``" ＋８６ １３８-0013-8000"``), or
    :class:`InvalidPhoneNumber`.

    ``region`` (default ``LC_PHONE["DEFAULT_REGION"]``) lets national numbers through.
    """
    if not isinstance(value, str) or len(value) > MAX_TYPED_LENGTH:
        raise InvalidPhoneNumber()
    region = region if region is not None else get_settings().DEFAULT_REGION
    return _e164(value, region)


@lru_cache(maxsize=PARSED_NUMBERS_KEPT)
def _e164(value: str, region: str | None) -> str:
    """:func:`normalize_phone` once the type, length and region are settled (an error is not
    kept: a refused number is read again each time)."""
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
