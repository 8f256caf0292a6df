"""The importer's input side: LeanCloud ``_User`` records, their sources and the run's report.

Sources: a data-export file (a JSON array, ``{"results": [...]}``, JSON lines, or a ``.tar.gz``
or zip holding ``_User*.json`` / ``_User*.jsonl`` members, as the export gives them) and the
live API's ``_User`` scan with the master key. Both hand out batches along with the state a resumed
run starts from, which the checkpoint file (``checkpoints.py``) keeps between runs.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final, Protocol

from ..exceptions import InvalidPhoneNumber
from ..hashers import encode_exported
from ..leancloud import LeanCloudClient
from ..leancloud.wire import OBJECT_ID_RE, SESSION_TOKEN_RE, parse_date
from ..phone import normalize_phone
from .files import ImportSourceError as ImportSourceError
from .files import read_records as read_records

# LeanCloud's hash: base64 of a 64-byte SHA-512 digest. Anything else cannot be verified.
_EXPORTED_HASH: Final = re.compile(r"^[A-Za-z0-9+/]{86}==$")
SCAN_PAGE_MAX: Final = 1000  # the most one scan page returns

Note = Callable[[str, str], None]

# Every kind of problem a run reports, and what it did about it. Entries name objectIds (or
# record numbers), never phone numbers or hashes.
ISSUES: Final[Mapping[str, str]] = {
    "invalid": "skipped: not a user record, or no valid objectId",
    "duplicate": "skipped: objectId seen earlier in this run",
    "no_username": "skipped: neither the username nor lc_<objectId> is free",
    "phone_conflict": "phone held by another local user: imported without it",
    "invalid_phone": "phone number not valid: imported without it",
    "username_taken": "username taken or not valid here: named lc_<objectId> instead",
    "bad_password": "password hash or salt unusable: imported without a password",
    "bad_session_token": "session token not in LeanCloud's form: not kept",
}


@dataclass
class ImportReport:
    """What a run did. ``issues`` maps each kind of :data:`ISSUES` to objectIds."""

    read: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    resumed_after: int = 0
    dry_run: bool = False
    issues: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in ISSUES})

    @property
    def skipped(self) -> int:
        """Records not imported at all."""
        return sum(len(self.issues[k]) for k in ("invalid", "duplicate", "no_username"))

    def note(self, kind: str, what: str) -> None:
        """Record one issue of ``kind``."""
        self.issues[kind].append(what)


@dataclass(frozen=True)
class Incoming:
    """One valid ``_User`` record, as the importer stores it."""

    object_id: str
    username: str | None
    phone: str | None  # E.164; None when LeanCloud has none, or when it is not valid
    phone_invalid: bool
    phone_verified: bool
    created_at: datetime | None
    password: str | None  # the ``password`` column value, None when the record carries none
    updated_at: datetime | None = None  # LeanCloud's updatedAt
    has_password: bool | None = None  # whether LeanCloud holds one; None: the API cannot say
    session_token: str | None = None  # an exported record's, when it has LeanCloud's form


def parse_record(
    raw: Any, number: int, region: str | None, note: Note, *, exported: bool = True
) -> Incoming | None:
    """The record ``raw`` (the ``number``-th of its source), or None when it cannot be
    imported. Problems go to ``note(kind, what)``, naming objectIds and never values.
    Only an ``exported`` record says whether LeanCloud holds a password: the API never shows
    ``password``, so its records leave that unknown."""
    object_id = raw.get("objectId") if isinstance(raw, dict) else None
    if not isinstance(object_id, str) or not OBJECT_ID_RE.fullmatch(object_id):
        note("invalid", f"record {number}")
        return None
    phone, phone_invalid = _phone(raw.get("mobilePhoneNumber"), region)
    if phone_invalid:
        note("invalid_phone", object_id)
    password, bad_password = _password(raw.get("password"), raw.get("salt"))
    if bad_password:
        note("bad_password", object_id)
    username = raw.get("username")
    token = raw.get("sessionToken")
    if token in (None, "") or not exported:
        token = None
    elif not isinstance(token, str) or not SESSION_TOKEN_RE.fullmatch(token):
        note("bad_session_token", object_id)
        token = None
    return Incoming(
        object_id=object_id,
        username=username if isinstance(username, str) and username else None,
        phone=phone,
        phone_invalid=phone_invalid,
        phone_verified=raw.get("mobilePhoneVerified") is True,
        created_at=_date(raw.get("createdAt")),
        password=password,
        updated_at=_date(raw.get("updatedAt")),
        has_password=raw.get("password") not in (None, "") if exported else None,
        session_token=token,
    )


def _phone(value: Any, region: str | None) -> tuple[str | None, bool]:
    if value is None or value == "":
        return None, False
    try:
        return normalize_phone(value, region), False
    except InvalidPhoneNumber:
        return None, True


def _password(hashed: Any, salt: Any) -> tuple[str | None, bool]:
    if hashed is None or hashed == "":
        return None, False  # phone sign-ups may have no password at all
    if not isinstance(hashed, str) or not _EXPORTED_HASH.fullmatch(hashed):
        return None, True
    if not isinstance(salt, str):
        return None, True
    try:
        return encode_exported(salt, hashed), False
    except ValueError:
        return None, True


def _date(value: Any) -> datetime | None:
    if isinstance(value, dict):  # {"__type": "Date", "iso": ...}, as custom date fields are
        value = value.get("iso")
    if not isinstance(value, str):
        return None
    try:
        return parse_date(value)
    except ValueError:
        return None  # the user keeps the join date it has


# --- sources ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    """Records ``start + 1`` to ``start + len(records)`` of a source, and where a run resumes
    once they are imported."""

    records: list[Any]
    start: int
    resume: dict[str, Any]


class UserSource(Protocol):
    """Where records come from. ``key`` tells sources apart, so that a checkpoint is never
    applied to another one; ``exported`` is True for the data export (which, unlike the API,
    carries password hashes and session tokens); ``revisits`` is True for a source that may
    hand out a record again, newer, later in the same run."""

    @property
    def key(self) -> str: ...

    @property
    def exported(self) -> bool: ...

    @property
    def revisits(self) -> bool: ...

    def batches(self, size: int, resume: Mapping[str, Any] | None) -> Iterator[Batch]: ...


class ExportFile:
    """A LeanCloud data-export file (or a zip of them); JSON lines are streamed."""

    exported = True
    revisits = False

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise ImportSourceError(f"cannot read {self.path}: {exc.strerror}") from exc
        self.key = f"file:{self.path.resolve()}:{size}"

    def batches(self, size: int, resume: Mapping[str, Any] | None) -> Iterator[Batch]:
        """Batches of ``size`` records, from the position ``resume`` records."""
        position = int(resume.get("position", 0)) if resume else 0
        records = itertools.islice(read_records(self.path), position, None)
        while chunk := list(itertools.islice(records, size)):
            yield Batch(chunk, position, {"position": position + len(chunk)})
            position += len(chunk)


class ApiScan:
    """The live ``_User`` table, scanned with the master key.

    LeanCloud's API never returns ``password`` or ``salt``: users imported this way get no
    password. Import the data export as well to bring their hashes.
    """

    exported = False
    revisits = False

    def __init__(self, client: LeanCloudClient) -> None:
        self.client = client
        self.key = f"api:{client.app_id}"

    def batches(self, size: int, resume: Mapping[str, Any] | None) -> Iterator[Batch]:
        """Whole scan pages, as many as make ``size`` records; resumed by the scan's cursor."""
        position = int(resume.get("position", 0)) if resume else 0
        cursor = resume.get("cursor") if resume else None
        if position and cursor is None:
            return  # the checkpoint was taken after the last page
        records: list[Any] = []
        while True:
            page = self.client.scan_users(limit=min(size, SCAN_PAGE_MAX), cursor=cursor)
            records.extend(page.results)
            cursor = page.cursor
            if cursor is None or len(records) >= size:
                # Batches end on page boundaries, so the cursor is an exact resume point.
                yield Batch(
                    records, position, {"position": position + len(records), "cursor": cursor}
                )
                position += len(records)
                records = []
            if cursor is None:
                return
