"""Phone numbers as LeanCloud accepts them: ``+`` and country code, or a bare number meaning +86."""

from __future__ import annotations

import re
from typing import Any, Final

from ..wire import Code
from .errors import LCError

_E164: Final = re.compile(r"^\+[1-9][0-9]{5,14}$")
_BARE: Final = re.compile(r"^[0-9]{6,15}$")


def normalize_phone(value: Any) -> str:
    """E.164 form of a ``mobilePhoneNumber`` (212 if missing, 127 if malformed)."""
    if value is None or value == "":
        raise LCError(Code.PHONE_MISSING)
    if not isinstance(value, str):
        raise LCError(Code.INVALID_PHONE)
    if _E164.fullmatch(value):
        return value
    if _BARE.fullmatch(value):  # no country code: LeanCloud treats it as mainland China [S1]
        return "+86" + value
    raise LCError(Code.INVALID_PHONE)
