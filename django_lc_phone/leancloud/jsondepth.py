"""JSON nesting capped before parsing: one limit and one linear scan. Standard library only.

Python's ``json`` parser recurses once per array or object level, so a body of a few thousand
``[`` (well under any size cap) ends in ``RecursionError``, which no caller expects from a
parser. The API (``api/parsers.py``), the compat endpoints and the emulator (``protocol.py``)
refuse such a body before it is parsed, each as a parse error of its own kind.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any, Final

# Arrays and objects inside each other. The deepest body of the app's endpoints has two levels
# (``{"variables": {...}}``), an emulator object with an ACL three: this leaves room for
# clients' own data and stays far below the interpreter's recursion limit (1000).
MAX_JSON_DEPTH: Final = 32

# A JSON string (inside which brackets are text), up to its closing quote or the end of the
# text: the pattern cannot fail once it has started, so it never backtracks (linear time).
_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*(?:"|\\?\Z)', re.DOTALL)
_NOT_A_BRACKET: Final = re.compile(r"[^\[\]{}]+")
_STEP: Final = {"[": 1, "{": 1, "]": -1, "}": -1}


class JSONTooDeep(ValueError):
    """A JSON text nested deeper than the limit (a ``ValueError``, as ``json``'s own errors)."""


def too_deep(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` opens more than ``limit`` arrays or objects inside each other.

    Linear in the length of ``text``, with brackets inside strings ignored. Malformed JSON may
    be miscounted after its first error, where ``json`` stops reading (and recursing) anyway.
    """
    if text.count("[") + text.count("{") <= limit:  # the common case, without a scan
        return False
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    return max(accumulate(map(_STEP.__getitem__, brackets)), default=0) > limit


def check(text: str, limit: int = MAX_JSON_DEPTH) -> None:
    """Raise :class:`JSONTooDeep` when ``text`` is nested deeper than ``limit``."""
    if too_deep(text, limit):
        raise JSONTooDeep(f"JSON nested deeper than {limit} levels")


def loads(data: str | bytes, limit: int = MAX_JSON_DEPTH) -> Any:
    """``json.loads`` that raises :class:`JSONTooDeep` (a ``ValueError``) instead of
    recursing past ``limit``; bytes are decoded as ``json.loads`` decodes them."""
    text = (
        data if isinstance(data, str) else data.decode(json.detect_encoding(data), "surrogatepass")
    )
    check(text, limit)
    return json.loads(text)
