"""What people and SDKs send, read alike by both surfaces (``api/`` and ``compat/``).

- :func:`as_typed`: a phone number or a code as a person meant it: surrounding whitespace
  trimmed, the decimal digits of any script (a Chinese IME's full-width ones, Arabic-Indic...)
  and full-width ``+``, hyphens and spaces read as their ASCII forms. What is left must still
  pass each field's own rules (``phone.py``, ``wire.SMS_CODE_RE``).
- :func:`template_variables`: the rules for an SMS template's variables (how many, their
  names, their values), which ``sms-code/`` and compat's ``requestSmsCode`` both apply.

Standard library only. The emulator does not use it: it stays as strict as LeanCloud.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Final

from .leancloud.wire import REQUEST_SMS_CODE_KEYS

# What an input method types for the ASCII characters a number is written with (the Unicode
# spaces, category Zs, are all read as " ").
_ASCII_EQUIVALENTS: Final = {
    "\uff0b": "+",  # FULLWIDTH PLUS SIGN
    "\uff0d": "-",  # FULLWIDTH HYPHEN-MINUS
    "\u2010": "-",  # HYPHEN
    "\u2011": "-",  # NON-BREAKING HYPHEN
    "\u2012": "-",  # FIGURE DASH
    "\u2013": "-",  # EN DASH
    "\u2212": "-",  # MINUS SIGN
    "\ufe63": "-",  # SMALL HYPHEN-MINUS
    "\uff08": "(",  # FULLWIDTH LEFT PARENTHESIS
    "\uff09": ")",  # FULLWIDTH RIGHT PARENTHESIS
    "\uff0e": ".",  # FULLWIDTH FULL STOP
}

MAX_TEMPLATE_VARIABLES: Final = 16
MAX_TEMPLATE_VALUE_LENGTH: Final = 128
# Variable names become keys of an upstream body (and of a gateway's template): plain ones.
TEMPLATE_VARIABLE_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


def as_typed(value: str) -> str:
    """``value`` without surrounding whitespace, with every Unicode decimal digit as its ASCII
    digit and full-width ``+``, hyphens, dashes and spaces as ASCII: ``" ＋８６ １３８ "`` is
    ``"+86 138"``. Anything else is kept, for the field's own rules to refuse."""
    value = value.strip()
    if value.isascii():
        return value
    return "".join(_ascii(char) for char in value)


def _ascii(char: str) -> str:
    if char.isdecimal():  # Unicode category Nd: a digit of some script, 0 to 9
        return str(unicodedata.decimal(char))
    if unicodedata.category(char) == "Zs":
        return " "
    return _ASCII_EQUIVALENTS.get(char, char)


def template_variables(values: Mapping[str, object]) -> dict[str, str]:
    """``values`` as a template's variables (numbers read as text), or ``ValueError`` saying
    which rule they break: at most :data:`MAX_TEMPLATE_VARIABLES`; names of
    :data:`TEMPLATE_VARIABLE_NAME` that are not requestSmsCode's own fields
    (``wire.REQUEST_SMS_CODE_KEYS``); strings or numbers of at most
    :data:`MAX_TEMPLATE_VALUE_LENGTH` characters. The messages are English, LeanCloud-style."""
    if len(values) > MAX_TEMPLATE_VARIABLES:
        raise ValueError(f"Too many template variables (at most {MAX_TEMPLATE_VARIABLES}).")
    variables: dict[str, str] = {}
    for name, value in values.items():
        if not TEMPLATE_VARIABLE_NAME.fullmatch(name) or name in REQUEST_SMS_CODE_KEYS:
            raise ValueError(
                "A template variable's name is a letter, then up to 31 letters, digits or"
                " underscores, and none of requestSmsCode's own fields."
            )
        text = value if isinstance(value, str) else _number(value)
        if text is None or len(text) > MAX_TEMPLATE_VALUE_LENGTH:
            raise ValueError(
                "A template variable's value is a string or a number of at most"
                f" {MAX_TEMPLATE_VALUE_LENGTH} characters."
            )
        variables[name] = text
    return variables


def _number(value: object) -> str | None:
    """A JSON number as text; None for anything else (``true`` is no number here)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return str(value)
