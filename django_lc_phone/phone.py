"""The one place that turns user input into an E.164 phone number (with phonenumbers)."""

from __future__ import annotations

import re
from typing import Any, Final

import phonenumbers

from .conf import get_settings
from .exceptions import InvalidPhoneNumber

# What a person may type: ASCII digits, a leading +, and the usual separators. phonenumbers
# would accept full-width digits and letters (vanity numbers); we do not.
_TYPED: Final = re.compile(r"^\+?[0-9][0-9 ().\-]{3,30}$")


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
