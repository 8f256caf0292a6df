"""Stored objects of any class: load, save, and the update operators (queries: ``queries.py``).

A stored object is a dict of its public fields plus ``objectId``, ``createdAt`` and
``updatedAt`` (epoch seconds) and, for ``_User``, private keys starting with ``_`` (password
hash, salt, session token) that never leave the emulator.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any, Final

from ..leancloud import protocol
from ..leancloud.protocol import ProtocolError, bad_request
from ..leancloud.wire import Code, format_timestamp
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
        raise ProtocolError(Code.DUPLICATE_VALUE) from None


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


def _incorrect_type() -> ProtocolError:
    return ProtocolError(Code.INCORRECT_TYPE)


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
