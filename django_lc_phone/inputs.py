"""What people and SDKs send, read alike by both surfaces (``api/`` and ``compat/``).

- :func:`template_variables`: the rules for an SMS template's variables (how many, their
  names, their values), which ``sms-code/`` and compat's ``requestSmsCode`` both apply.

Standard library only. The emulator does not use it: it stays as strict as LeanCloud.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from .wire import REQUEST_SMS_CODE_KEYS

MAX_TEMPLATE_VARIABLES: Final = 16
MAX_TEMPLATE_VALUE_LENGTH: Final = 128
# Variable names become keys of an upstream body (and of a gateway's template): plain ones.
TEMPLATE_VARIABLE_NAME: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,31}")


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
