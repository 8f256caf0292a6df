"""Objects of any class (the ``/classes`` paths the SDKs call), queries, scan and server date."""

from __future__ import annotations

import base64
import binascii
import json
import sqlite3
from typing import Any

from ..leancloud.protocol import ProtocolError, bad_request
from ..leancloud.wire import (
    MESSAGE_MASTER_KEY_REQUIRED,
    OBJECT_ID_RE,
    Code,
    format_timestamp,
    new_object_id,
)
from . import objects, queries
from .context import Context
from .http import ApiRequest, ApiResponse
from .objects import ROLE, USER

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def _skip(raw: str | None) -> int:
    if raw is None or raw == "":
        return 0
    try:
        return max(0, int(raw))
    except ValueError:
        raise bad_request("skip must be an integer.") from None


def _limit(raw: str | None, default: int = DEFAULT_LIMIT) -> int:
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request("limit must be an integer.") from None
    # Out of range is the default, not the nearest bound (0 stays: a count-only query) [S3].
    return value if 0 <= value <= MAX_LIMIT else default


def query(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, cls: str = USER
) -> ApiResponse:
    """``GET /classes/<cls>`` (and ``/users``): where, order, skip, limit, keys, count."""
    if cls == USER and emu.config.user_find_requires_master and not req.master:
        # New apps ship with _User find permission off [S2, S7].
        raise ProtocolError(Code.FORBIDDEN)
    where = queries.parse_where(req.query.get("where"))
    found = queries.sort_objects(queries.find(db, cls, where), req.query.get("order"))
    skip = _skip(req.query.get("skip"))
    page = found[skip : skip + _limit(req.query.get("limit"))]
    keys = req.query.get("keys")
    wanted = keys.split(",") if keys else None
    body: dict[str, Any] = {"results": [objects.public(o, wanted) for o in page]}
    if req.query.get("count") in ("1", "true"):
        body["count"] = len(found)
    return ApiResponse(body)


def create(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, cls: str
) -> ApiResponse:
    """``POST /classes/<cls>``: 201 with objectId and createdAt [S23]."""
    if cls == ROLE and not isinstance(req.body.get("ACL"), dict):
        raise bad_request("Role ACL is required.")  # the real answer [S23]
    obj = objects.new_object(cls, new_object_id(), now)
    objects.apply_changes(obj, req.body)
    objects.save(db, cls, obj)
    body = {"objectId": obj["objectId"], "createdAt": format_timestamp(now)}
    if req.fetch_when_save:
        body = objects.public(obj)
    headers = {"Location": f"/1.1/classes/{cls}/{obj['objectId']}"}
    return ApiResponse(body, 201, headers)


def _load_or_101(db: sqlite3.Connection, cls: str, object_id: str) -> objects.Obj:
    obj = objects.load(db, cls, object_id)
    if obj is None:
        raise ProtocolError(Code.OBJECT_NOT_FOUND)
    return obj


def get(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, cls: str, object_id: str
) -> ApiResponse:
    """``GET /classes/<cls>/<id>``: 404 with code 101 when missing."""
    keys = req.query.get("keys")
    obj = _load_or_101(db, cls, object_id)
    return ApiResponse(objects.public(obj, keys.split(",") if keys else None))


def update(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, cls: str, object_id: str
) -> ApiResponse:
    """``PUT /classes/<cls>/<id>``: objectId and updatedAt, plus changed fields with new=true."""
    obj = _load_or_101(db, cls, object_id)
    changed = objects.apply_changes(obj, req.body)
    obj["updatedAt"] = now
    objects.save(db, cls, obj)
    return ApiResponse(objects.update_answer(obj, changed, echo=req.fetch_when_save))


def delete(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, cls: str, object_id: str
) -> ApiResponse:
    """``DELETE /classes/<cls>/<id>``: ``{}`` [S23]."""
    objects.delete(db, cls, object_id)
    return ApiResponse({})


def _decode_cursor(raw: str) -> str:
    try:
        after = base64.urlsafe_b64decode(raw.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        after = ""
    if not OBJECT_ID_RE.fullmatch(after):  # never restart a scan silently from the beginning
        raise bad_request("Invalid cursor.")
    return after


def scan(
    emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float, cls: str
) -> ApiResponse:
    """``GET /scan/classes/<cls>`` with the master key: pages in objectId order with a cursor."""
    if not req.master:
        raise bad_request(MESSAGE_MASTER_KEY_REQUIRED)
    limit = _limit(req.query.get("limit")) or DEFAULT_LIMIT
    after = _decode_cursor(req.query["cursor"]) if req.query.get("cursor") else ""
    where = queries.parse_where(req.query.get("where"))
    keys = req.query.get("keys")
    wanted = keys.split(",") if keys else None
    results: list[objects.Obj] = []
    cursor = after
    # Fetch in chunks so a filtered scan over many rows stays linear.
    while len(results) < limit:
        rows = db.execute(
            "SELECT id, data FROM objects WHERE cls = ? AND id > ? ORDER BY id LIMIT ?",
            (cls, cursor, limit),
        ).fetchall()
        if not rows:
            cursor = ""
            break
        for row in rows:
            cursor = row["id"]
            obj = json.loads(row["data"])
            if queries.matches(obj, where):
                results.append(objects.public(obj, wanted))
                if len(results) == limit:
                    break
    more = (
        cursor
        and db.execute(
            "SELECT 1 FROM objects WHERE cls = ? AND id > ? LIMIT 1", (cls, cursor)
        ).fetchone()
    )
    body: dict[str, Any] = {"results": results}
    if more:
        body["cursor"] = base64.urlsafe_b64encode(cursor.encode()).decode()
    return ApiResponse(body)


def server_date(emu: Context, req: ApiRequest, db: sqlite3.Connection, now: float) -> ApiResponse:
    """``GET /date``: ``{"__type": "Date", "iso": ...}`` [S3]."""
    return ApiResponse({"__type": "Date", "iso": format_timestamp(now)})
