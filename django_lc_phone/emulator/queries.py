"""The subset of LeanCloud's query language the emulator answers: ``where``, ``order``, finding."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Mapping
from typing import Any, Final

from ..leancloud import jsondepth
from ..leancloud.protocol import ProtocolError, bad_request
from ..leancloud.wire import format_date, format_timestamp, parse_date
from .objects import USER, Obj


def _iso(value: Any) -> Any:
    """A Date's ISO string in the one form ``createdAt``/``updatedAt`` have, so that strings
    compare as the moments do (``...00Z`` and ``...00.000Z`` are one moment)."""
    try:
        return format_date(parse_date(value)) if isinstance(value, str) else value
    except ValueError:
        return value  # not a LeanCloud date: compared as it is, matching nothing else


def _comparable(value: Any) -> Any:
    """Dates and pointers compare by their ISO string and objectId."""
    if isinstance(value, dict):
        if value.get("__type") == "Date":
            return _iso(value.get("iso"))
        if value.get("__type") == "Pointer":
            return value.get("objectId")
    return value


def _field(obj: Obj, key: str) -> Any:
    if key in ("createdAt", "updatedAt") and key in obj:
        return format_timestamp(obj[key])
    value = obj.get(key)
    if isinstance(value, dict) and value.get("__type") == "Relation":
        return value.get("objects", [])
    return _comparable(value)


_REGEX_FLAGS: Final = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL, "x": re.VERBOSE}


def _regex(pattern: Any, options: Any) -> re.Pattern[str]:
    """``$regex`` with its ``$options`` (i, m, s, x); code 1 for a pattern that cannot compile."""
    flags = 0
    for letter in options if isinstance(options, str) else "":
        if letter not in _REGEX_FLAGS:
            raise bad_request(f"Unsupported $options {letter!r}.")
        flags |= _REGEX_FLAGS[letter]
    if not isinstance(pattern, str):
        raise bad_request("$regex needs a string.")
    try:
        return re.compile(pattern, flags)
    except re.error:
        raise bad_request("Invalid regular expression.") from None


def _match_value(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict) and any(k.startswith("$") for k in expected):
        if "$regex" in expected:
            pattern = _regex(expected["$regex"], expected.get("$options"))
            if not (isinstance(actual, str) and pattern.search(actual)):
                return False
        rest = {k: v for k, v in expected.items() if k not in ("$regex", "$options")}
        return all(_match_operator(actual, op, arg) for op, arg in rest.items())
    expected = _comparable(expected)
    if isinstance(actual, list) and not isinstance(expected, list):
        return expected in actual  # arrays and relations match by containment
    return bool(actual == expected)


def _ordered(actual: Any, op: str, arg: Any) -> bool:
    try:
        if op == "$lt":
            return bool(actual < arg)
        if op == "$lte":
            return bool(actual <= arg)
        if op == "$gt":
            return bool(actual > arg)
        return bool(actual >= arg)
    except TypeError:
        return False


def _match_operator(actual: Any, op: str, arg: Any) -> bool:
    arg = [_comparable(a) for a in arg] if isinstance(arg, list) else _comparable(arg)
    if op == "$ne":
        return not _match_value(actual, arg)
    if op in ("$in", "$nin"):
        if not isinstance(arg, list):
            raise bad_request(f"{op} needs an array.")
        hit = any(_match_value(actual, a) for a in arg)
        return hit if op == "$in" else not hit
    if op == "$exists":
        return (actual is not None) == bool(arg)
    if op in ("$lt", "$lte", "$gt", "$gte"):
        return actual is not None and _ordered(actual, op, arg)
    raise bad_request(f"Unsupported query operator {op}.")


def matches(obj: Obj, where: Mapping[str, Any]) -> bool:
    """Whether ``obj`` satisfies a LeanCloud ``where`` object (a documented subset)."""
    for key, expected in where.items():
        if key in ("$or", "$and"):
            if not isinstance(expected, list) or not all(isinstance(s, dict) for s in expected):
                raise bad_request(f"{key} needs an array of objects.")
            combine = any if key == "$or" else all
            if not combine(matches(obj, sub) for sub in expected):
                return False
        elif key.startswith("$"):
            raise bad_request(f"Unsupported query operator {key}.")
        elif key.startswith("_") or not _match_value(_field(obj, key), expected):
            return False
    return True


def parse_where(raw: str | None) -> dict[str, Any]:
    """The ``where`` query parameter as an object (code 107 if it is not one, or if it is
    nested deeper than ``jsondepth.MAX_JSON_DEPTH``)."""
    if not raw:
        return {}
    try:
        where = jsondepth.loads(raw)
    except ValueError:
        raise ProtocolError(107) from None
    if not isinstance(where, dict):
        raise ProtocolError(107)
    _check_where(where)
    return where


_OPERATORS: Final = frozenset(
    {"$ne", "$in", "$nin", "$exists", "$lt", "$lte", "$gt", "$gte", "$regex", "$options"}
)


def _check_where(where: Mapping[str, Any]) -> None:
    """Refuse a malformed query up front, whether or not any object would reach the check."""
    for key, expected in where.items():
        if key in ("$or", "$and"):
            if not isinstance(expected, list) or not all(isinstance(s, dict) for s in expected):
                raise bad_request(f"{key} needs an array of objects.")
            for sub in expected:
                _check_where(sub)
        elif key.startswith("$"):
            raise bad_request(f"Unsupported query operator {key}.")
        elif isinstance(expected, dict) and any(k.startswith("$") for k in expected):
            for op, arg in expected.items():
                if op not in _OPERATORS:
                    raise bad_request(f"Unsupported query operator {op}.")
                if op in ("$in", "$nin") and not isinstance(arg, list):
                    raise bad_request(f"{op} needs an array.")
            if "$regex" in expected:
                _regex(expected["$regex"], expected.get("$options"))


def _sort_key(order: str) -> list[tuple[str, bool]]:
    fields = []
    for part in order.split(","):
        part = part.strip()
        if part:
            fields.append((part.lstrip("-"), part.startswith("-")))
    return fields


def _sortable(value: Any) -> tuple[int, Any]:
    """A key that orders values of mixed types (booleans, numbers, strings, then the rest)."""
    if isinstance(value, bool):
        return 0, value
    if isinstance(value, int | float):
        return 1, value
    if isinstance(value, str):
        return 2, value
    return 3, json.dumps(value, sort_keys=True)


def sort_objects(objs: list[Obj], order: str | None) -> list[Obj]:
    """Sort by LeanCloud's ``order`` parameter (``-field`` for descending); stable."""
    if not order:
        return objs
    for name, descending in reversed(_sort_key(order)):
        present = [o for o in objs if _field(o, name) is not None]
        missing = [o for o in objs if _field(o, name) is None]
        present.sort(key=lambda o, n=name: _sortable(_field(o, n)), reverse=descending)  # type: ignore[misc]
        objs = present + missing
    return objs


def find(db: sqlite3.Connection, cls: str, where: Mapping[str, Any]) -> list[Obj]:
    """Every object of ``cls`` matching ``where``, in creation order."""
    sql, args = "SELECT data FROM objects WHERE cls = ?", [cls]
    if cls == USER:  # use the lookup columns where the query allows it
        for key, column in (("username", "username"), ("mobilePhoneNumber", "phone")):
            if isinstance(where.get(key), str):
                sql += f" AND {column} = ?"
                args.append(where[key])
    rows = db.execute(sql + " ORDER BY rowid", args).fetchall()
    objs = [json.loads(row["data"]) for row in rows]
    return [o for o in objs if matches(o, where)]
