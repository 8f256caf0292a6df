"""The one place that turns user input into an E.164 phone number (with phonenumbers)."""

from __future__ import annotations

import re
from typing import Any, Final

import phonenumbers

from .conf import get_settings
from .exceptions import InvalidPhoneNumber

# What a person may type: ASCII digits, a leading +, and the usual separators between digits.
# phonenumbers would accept full-width digits, letters (vanity numbers) and surrounding
# whitespace; we do not (a number with a trailing space is refused, not repaired).
_TYPED: Final = re.compile(r"^\+?[0-9][0-9 ().\-]{2,29}[0-9]$")


def normalize_phone(value: Any, region: str | None = None) -> str:
    """E.164 for ``value`` (``+8613800138000``), or :class:`InvalidPhoneNumber`.

    ``region`` (default ``LC_PHONE["DEFAULT_REGION"]``) lets national numbers through.
    """
    if not isinstance(value, str) or not _TYPED.fullmatch(value):
        raise InvalidPhoneNumber()
    region = region if region is not None else get_settings().DEFAULT_REGION
    try:
        number = phonenumbers.parse(value, None if value.startswith("+") else region)
    except phonenumbers.NumberParseException:
        raise InvalidPhoneNumber() from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber()
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
