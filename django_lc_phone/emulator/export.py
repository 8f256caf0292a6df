"""``_User`` as LeanCloud's data export (数据导出) writes it, ``password`` and ``salt`` included.

LeanCloud's guides document the JSON data format as an array of REST-shaped objects or an object
whose ``results`` holds them, dates as the REST API's ISO strings, and say the ``_User`` export
also carries the hashed ``password`` and its ``salt`` ("导出用户数据的加密算法"). The emulator
writes its users that way, ``{"results": [...]}`` (``json``) or one record per line
(``jsonl``), both of which ``lc_import_users`` reads.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any, Final, TextIO

from .objects import USER, Obj, public
from .store import Store

FORMATS: Final = ("json", "jsonl")
# The emulator does not model ACLs; the export shows LeanCloud's default for an object created
# without one, readable and writable by all (INFERRED: the real export shows the object's own).
DEFAULT_ACL: Final = {"*": {"read": True, "write": True}}


def record(user: Obj) -> dict[str, Any]:
    """One stored user as its export record: public fields, ISO dates, ACL, the session token,
    and ``password`` / ``salt`` when it has a password."""
    out = public(user)
    out["ACL"] = user.get("ACL", DEFAULT_ACL)
    out["sessionToken"] = user["_sessionToken"]
    if "_password" in user:
        out["password"], out["salt"] = user["_password"], user["_salt"]
    return out


def records(store: Store) -> Iterator[dict[str, Any]]:
    """Every user, in creation order, as export records."""
    with store.transaction() as db:
        rows = db.execute(
            "SELECT data FROM objects WHERE cls = ? ORDER BY rowid", (USER,)
        ).fetchall()
    for row in rows:
        yield record(json.loads(row["data"]))


def write(store: Store, stream: TextIO, fmt: str = "json") -> int:
    """Write the export to ``stream`` in ``fmt`` (:data:`FORMATS`); the number of records."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}")
    exported = list(records(store))
    if fmt == "json":
        json.dump({"results": exported}, stream, ensure_ascii=False)
        stream.write("\n")
    else:
        for item in exported:
            stream.write(json.dumps(item, ensure_ascii=False) + "\n")
    return len(exported)


def write_file(store: Store, path: str | os.PathLike[str], fmt: str | None = None) -> int:
    """:func:`write` to a new file, readable by its owner only: it holds hashes and tokens.
    ``fmt`` None takes the format from the name (``.jsonl``: JSON lines, else ``json``)."""
    name = os.fspath(path)
    chosen = fmt or ("jsonl" if name.endswith(".jsonl") else "json")
    descriptor = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with open(descriptor, "w", encoding="utf-8") as stream:
        return write(store, stream, chosen)
