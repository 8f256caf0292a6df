"""Synthetic LeanCloud ``_User`` records and export files in every shape the importer reads."""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from pathlib import Path
from typing import Any, Final

import pytest
from django.contrib.auth import get_user_model

from django_lc_phone import importer
from django_lc_phone.importer import ImportReport, import_users
from django_lc_phone.importer.records import ExportFile
from django_lc_phone.models import PhoneProfile

# LeanCloud's own example (dashboard guide, "导出用户数据的加密算法").
DOC_SALT: Final = "h60d8x797d3oa0naxybxxv9bn7xpt2yiowz68mpiwou7gwr2"
DOC_PASSWORD: Final = "password"
DOC_HASH: Final = (
    "tA7BLW+NK0UeARng0693gCaVnljkglCB9snqlpCSUKjx2RgYp8VZZOQt0S5iUtlDrkJXfT3gknS4rRqjYsd/Ug=="
)
DOC_ENCODED: Final = f"leancloud_sha512${DOC_SALT}${DOC_HASH[:43]}"
CREATED_AT: Final = "2020-01-02T03:04:05.678Z"
MISSING: Final = object()
HASHERS: Final = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django_lc_phone.hashers.LeanCloudSHA512PasswordHasher",
]
FORMATS: Final = ("array", "results", "jsonl", "zip")
_names = itertools.count(1)


def object_id(n: int) -> str:
    return f"{n:024x}"


def national(n: int) -> str:
    """A valid mainland China mobile number, as LeanCloud stores it (no +86)."""
    return f"138{n:08d}"


def e164(n: int) -> str:
    return f"+86138{n:08d}"


def record(n: int, **fields: Any) -> dict[str, Any]:
    """User ``n`` as LeanCloud's export shows it; ``MISSING`` drops a field."""
    base: dict[str, Any] = {
        "objectId": object_id(n),
        "username": f"lcuser{n}",
        "mobilePhoneNumber": national(n),
        "mobilePhoneVerified": True,
        "emailVerified": False,
        "createdAt": CREATED_AT,
        "updatedAt": "2021-01-02T03:04:05.678Z",
        "salt": DOC_SALT,
        "password": DOC_HASH,
        "ACL": {"*": {"read": True, "write": False}},
        "authData": None,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not MISSING}


def write_export(directory: Path, records: list[Any], fmt: str = "jsonl") -> Path:
    """``records`` as an export file of format ``fmt`` (see FORMATS)."""
    n = next(_names)
    if fmt == "zip":
        path = directory / f"export-{n}.zip"
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("_User.0.jsonl", _jsonl(records))
        return path
    path = directory / f"_User-{n}.{'jsonl' if fmt == 'jsonl' else 'json'}"
    if fmt == "array":
        path.write_text(json.dumps(records, indent=2, ensure_ascii=False), encoding="utf-8")
    elif fmt == "results":
        text = json.dumps({"results": records}, indent=2, ensure_ascii=False)
        path.write_text(text, encoding="utf-8")
    else:
        path.write_text(_jsonl(records), encoding="utf-8")
    return path


def _jsonl(records: list[Any]) -> str:
    out = io.StringIO()
    for item in records:
        out.write(item if isinstance(item, str) else json.dumps(item, ensure_ascii=False))
        out.write("\n")
    return out.getvalue()


def run(directory: Path, records: list[Any], fmt: str = "jsonl", **options: Any) -> ImportReport:
    """Import ``records`` through an export file."""
    return import_users(ExportFile(write_export(directory, records, fmt)), **options)


def user_of(n: int) -> Any:
    return PhoneProfile.objects.select_related("user").get(lc_object_id=object_id(n)).user


def profile_of(n: int) -> PhoneProfile:
    return PhoneProfile.objects.get(lc_object_id=object_id(n))


def snapshot() -> tuple[list[Any], list[Any]]:
    """Every user and profile row, to compare a database before and after a run."""
    users = list(get_user_model()._default_manager.order_by("pk").values())
    profiles = list(PhoneProfile.objects.order_by("pk").values())
    return users, profiles


def counts(report: ImportReport) -> dict[str, Any]:
    return {
        "read": report.read,
        "created": report.created,
        "updated": report.updated,
        "unchanged": report.unchanged,
        "issues": {k: v for k, v in report.issues.items() if v},
    }


class Interrupted(Exception):
    """A run killed mid-way (raised by :func:`crash_on_write`)."""


def crash_on_write(monkeypatch: pytest.MonkeyPatch, call: int) -> list[int]:
    """Make the ``call``-th batch write raise :class:`Interrupted` (as a killed process would,
    mid-run); the list counts the writes."""
    real_write = importer._write
    calls: list[int] = []

    def write(plan: Any) -> None:
        calls.append(1)
        if len(calls) == call:
            raise Interrupted()
        real_write(plan)

    monkeypatch.setattr(importer, "_write", write)
    return calls
