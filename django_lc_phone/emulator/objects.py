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

from ..wire import format_timestamp
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
    """Insert or replace; ``_User`` rows keep their unique lookup columns in step."""
    user = cls == USER
    db.execute(
        "INSERT OR REPLACE INTO objects (cls, id, data, username, email, phone, session_token)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
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


def _apply_op(current: Any, op: Mapping[str, Any]) -> Any:
    """The new value of a field after one ``{"__op": ...}`` operation."""
    name = op.get("__op")
    if name == "Increment":
        return (current or 0) + op.get("amount", 1)
    if name in ("Add", "AddUnique", "Remove"):
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


def _match_value(actual: Any, expected: Any) -> bool:
    if isinstance(expected, dict) and any(k.startswith("$") for k in expected):
        return all(_match_operator(actual, op, arg) for op, arg in expected.items())
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
    if op == "$regex":
        return isinstance(actual, str) and re.search(str(arg), actual) is not None
    if op == "$options":
        return True
    raise bad_request(f"Unsupported query operator {op}.")


def matches(obj: Obj, where: Mapping[str, Any]) -> bool:
    """Whether ``obj`` satisfies a LeanCloud ``where`` object (a documented subset)."""
    for key, expected in where.items():
        if key == "$or":
            if not any(matches(obj, sub) for sub in expected):
                return False
        elif key == "$and":
            if not all(matches(obj, sub) for sub in expected):
                return False
        elif key.startswith("_") or not _match_value(_field(obj, key), expected):
            return False
    return True


def parse_where(raw: str | None) -> dict[str, Any]:
    """The ``where`` query parameter as an object (code 107 if it is not one)."""
    if not raw:
        return {}
    try:
        where = json.loads(raw)
    except ValueError:
        raise LCError(107) from None
    if not isinstance(where, dict):
        raise LCError(107)
    return where


def _sort_key(order: str) -> list[tuple[str, bool]]:
    fields = []
    for part in order.split(","):
        part = part.strip()
        if part:
            fields.append((part.lstrip("-"), part.startswith("-")))
    return fields


def sort_objects(objs: list[Obj], order: str | None) -> list[Obj]:
    """Sort by LeanCloud's ``order`` parameter (``-field`` for descending); stable."""
    if not order:
        return objs
    for name, descending in reversed(_sort_key(order)):
        present = [o for o in objs if _field(o, name) is not None]
        missing = [o for o in objs if _field(o, name) is None]
        present.sort(key=lambda o, n=name: _field(o, n), reverse=descending)  # type: ignore[misc]
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
