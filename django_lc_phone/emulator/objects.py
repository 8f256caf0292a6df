"""Stored objects of any class: load, save, update operators, and the query language subset.

A stored object is a dict of its public fields plus ``objectId``, ``createdAt`` and
``updatedAt`` (epoch seconds) and, for ``_User``, private keys starting with ``_`` (password
hash, salt, session token) that never leave the emulator.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ..leancloud import jsondepth, protocol
from ..leancloud.wire import Code, format_timestamp
from .errors import LCError, bad_request
from .store import dumps

Obj = dict[str, Any]

USER: Final = "_User"
ROLE: Final = "_Role"
META_FIELDS: Final = frozenset({"objectId", "createdAt", "updatedAt"})
# Fields a client body may not set directly (ACL is accepted but not modelled).
READ_ONLY_FIELDS: Final = META_FIELDS | {"ACL", "sessionToken"}
DEFAULT_RELATIONS: Final[dict[str, dict[str, str]]] = {ROLE: {"users": USER, "roles": ROLE}}


def load(db: sqlite3.Connection, cls: str, object_id: str) -> Obj | None:
    """The stored object, or None."""
    row = db.execute(
        "SELECT data FROM objects WHERE cls = ? AND id = ?", (cls, object_id)
    ).fetchone()
    return None if row is None else json.loads(row["data"])


def save(db: sqlite3.Connection, cls: str, obj: Obj) -> None:
    """Insert or update in place; ``_User`` rows keep their unique lookup columns in step.

    An update keeps the row's place, so queries without ``order`` stay in creation order (the
    real service's natural order; ``INSERT OR REPLACE`` would move updated objects to the end
    and silently delete another user holding the same username, email or phone). A unique
    column taken by another row is code 137 instead.
    """
    user = cls == USER
    try:
        db.execute(
            "INSERT INTO objects (cls, id, data, username, email, phone, session_token)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (cls, id) DO UPDATE SET data = excluded.data,"
            " username = excluded.username, email = excluded.email, phone = excluded.phone,"
            " session_token = excluded.session_token",
            (
                cls,
                obj["objectId"],
                dumps(obj),
                obj.get("username") if user else None,
                obj.get("email") if user else None,
                obj.get("mobilePhoneNumber") if user else None,
                obj.get("_sessionToken") if user else None,
            ),
        )
    except sqlite3.IntegrityError:
        raise LCError(Code.DUPLICATE_VALUE) from None


def delete(db: sqlite3.Connection, cls: str, object_id: str) -> bool:
    """Delete one object; True if it existed."""
    cursor = db.execute("DELETE FROM objects WHERE cls = ? AND id = ?", (cls, object_id))
    return cursor.rowcount > 0


def public(obj: Obj, keys: Iterable[str] | None = None) -> Obj:
    """The object as LeanCloud returns it: ISO dates, relations as stubs, no private keys."""
    out: Obj = {}
    wanted = set(keys) | META_FIELDS if keys is not None else None
    for key, value in obj.items():
        if key.startswith("_") or (wanted is not None and key not in wanted):
            continue
        if key in ("createdAt", "updatedAt"):
            out[key] = format_timestamp(value)
        elif isinstance(value, dict) and value.get("__type") == "Relation":
            out[key] = {"__type": "Relation", "className": value["className"]}
        else:
            out[key] = value
    return out


def update_answer(obj: Obj, changed: Iterable[str], *, echo: bool) -> Obj:
    """An update's answer: objectId and updatedAt, plus the changed fields when asked [S23]."""
    answer: Obj = protocol.update_answer(obj["objectId"], obj["updatedAt"])
    if echo:
        wanted = set(changed)
        answer.update({k: v for k, v in public(obj).items() if k in wanted})
    return answer


def new_object(cls: str, object_id: str, now: float) -> Obj:
    """A fresh object with its meta fields and the class's default relations."""
    obj: Obj = {"objectId": object_id, "createdAt": now, "updatedAt": now}
    for name, target in DEFAULT_RELATIONS.get(cls, {}).items():
        obj[name] = {"__type": "Relation", "className": target, "objects": []}
    return obj


# --- update operators ----------------------------------------------------------------------


def _pointer_ids(objects: Any) -> list[str]:
    if not isinstance(objects, list) or not all(
        isinstance(o, dict) and isinstance(o.get("objectId"), str) for o in objects
    ):
        raise bad_request("Relation objects must be pointers.")
    return [o["objectId"] for o in objects]


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _incorrect_type() -> LCError:
    return LCError(Code.INCORRECT_TYPE)


def _apply_op(current: Any, op: Mapping[str, Any]) -> Any:
    """The new value of a field after one ``{"__op": ...}`` operation (111 on a type clash)."""
    name = op.get("__op")
    if name == "Increment":
        amount = op.get("amount", 1)
        if not _is_number(amount) or not (current is None or _is_number(current)):
            raise _incorrect_type()
        return (current or 0) + amount
    if name in ("Add", "AddUnique", "Remove"):
        if current is not None and not isinstance(current, list):
            raise _incorrect_type()
        items = list(current or [])
        given = op.get("objects")
        if not isinstance(given, list):
            raise bad_request("objects must be an array.")
        if name == "Add":
            return items + given
        if name == "AddUnique":
            return items + [o for o in given if o not in items]
        return [o for o in items if o not in given]
    if name in ("AddRelation", "RemoveRelation"):
        ids = _pointer_ids(op.get("objects"))
        if current is not None and not (
            isinstance(current, dict) and current.get("__type") == "Relation"
        ):
            raise _incorrect_type()
        target = op["objects"][0].get("className", USER) if op["objects"] else USER
        relation = dict(current or {"__type": "Relation", "className": target, "objects": []})
        kept = [i for i in relation.get("objects", []) if i not in ids]
        relation["objects"] = kept + ids if name == "AddRelation" else kept
        return relation
    raise bad_request(f"Unsupported operation {name!r}.")


def apply_changes(obj: Obj, changes: Mapping[str, Any]) -> list[str]:
    """Apply a body's field changes in place; returns the top-level keys that changed."""
    changed: list[str] = []
    for key, value in changes.items():
        if key in READ_ONLY_FIELDS or key.startswith("_"):
            continue
        head, _, rest = key.partition(".")
        if rest:  # "authData.weixin": {"__op": "Delete"} edits one nested key
            if obj.get(head) is not None and not isinstance(obj.get(head), dict):
                raise _incorrect_type()
            container = dict(obj.get(head) or {})
            if isinstance(value, dict) and value.get("__op") == "Delete":
                container.pop(rest, None)
            else:
                container[rest] = value
            obj[head] = container
        elif isinstance(value, dict) and value.get("__op") == "Delete":
            obj.pop(key, None)
        elif isinstance(value, dict) and "__op" in value:
            obj[key] = _apply_op(obj.get(key), value)
        else:
            obj[key] = value
        changed.append(head)
    return changed


# --- queries -------------------------------------------------------------------------------


def _comparable(value: Any) -> Any:
    """Dates and pointers compare by their ISO string and objectId."""
    if isinstance(value, dict):
        if value.get("__type") == "Date":
            return value.get("iso")
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
        raise LCError(107) from None
    if not isinstance(where, dict):
        raise LCError(107)
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
