"""Every export shape: JSON array, {"results": [...]}, JSON lines, and the export zip."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from pathlib import Path

import pytest

from django_lc_phone.importer import import_users
from django_lc_phone.importer.records import ExportFile, ImportSourceError, read_records
from tests.importer._records import (
    FORMATS,
    counts,
    e164,
    object_id,
    profile_of,
    record,
    run,
    snapshot,
    write_export,
)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_imports_the_same_users(tmp_path: Path, fmt: str) -> None:
    records = [record(n) for n in range(1, 6)]
    report = run(tmp_path, records, fmt, batch_size=2)
    assert counts(report) == {"read": 5, "created": 5, "updated": 0, "unchanged": 0, "issues": {}}
    assert profile_of(5).phone_e164 == e164(5)


@pytest.mark.django_db
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_second_run_from_another_format_changes_nothing(tmp_path: Path, fmt: str) -> None:
    records = [record(n) for n in range(1, 6)]
    run(tmp_path, records, "jsonl")
    before = snapshot()
    assert run(tmp_path, records, fmt).unchanged == 5
    assert snapshot() == before


def _ids(records: list[object]) -> list[str]:
    return [r["objectId"] for r in records]  # type: ignore[index]


def test_compact_documents_and_byte_order_marks(tmp_path: Path) -> None:
    array = tmp_path / "array.json"
    array.write_text(json.dumps([record(1), record(2)]), encoding="utf-8-sig")
    page = tmp_path / "page.json"
    page.write_text(json.dumps({"results": [record(3)]}), encoding="utf-8")
    pages = tmp_path / "pages.jsonl"
    pages.write_text(
        json.dumps({"results": [record(4)]}) + "\n\n" + json.dumps(record(5)) + "\n",
        encoding="utf-8",
    )
    assert _ids(list(read_records(array))) == [object_id(1), object_id(2)]
    assert _ids(list(read_records(page))) == [object_id(3)]
    assert _ids(list(read_records(pages))) == [object_id(4), object_id(5)]


def test_an_empty_file_has_no_records(tmp_path: Path) -> None:
    empty = tmp_path / "_User.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    assert list(read_records(empty)) == []


def test_the_export_zip_reads_every_user_member_in_order(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app/_User.10.jsonl", json.dumps(record(3)) + "\n")
        archive.writestr("app/_User.2.jsonl", json.dumps(record(2)) + "\n")
        archive.writestr("app/_User.json", json.dumps({"results": [record(1)]}))
        archive.writestr("app/_Role.0.jsonl", json.dumps({"objectId": object_id(9)}) + "\n")
        archive.writestr("app/_User.0.bson", b"\x00")
        archive.writestr("__MACOSX/app/._User.2.jsonl", b"\x00\x01")
        archive.writestr("app/Post.0.jsonl", json.dumps({"objectId": object_id(8)}) + "\n")
    assert _ids(list(read_records(path))) == [object_id(2), object_id(3), object_id(1)]


def _tar(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return path


def test_leancloud_s_tar_gz_export_reads_every_user_member_in_order(tmp_path: Path) -> None:
    """LeanCloud's export archive is a .tar.gz (REST ``exportData``'s ``download_url``)."""
    path = _tar(
        tmp_path / "example.tar.gz",
        {
            "app/_User.10.jsonl": json.dumps(record(3)).encode() + b"\n",
            "app/_User.2.jsonl": json.dumps(record(2)).encode() + b"\n",
            "app/_User.json": json.dumps({"results": [record(1)]}).encode(),
            "app/_Role.0.jsonl": json.dumps({"objectId": object_id(9)}).encode() + b"\n",
            # Read, never extracted: a member's path never reaches the file system.
            "../../outside/_User.99.jsonl": json.dumps(record(4)).encode() + b"\n",
        },
    )
    ids = _ids(list(read_records(path)))
    assert ids == [object_id(4), object_id(2), object_id(3), object_id(1)]
    assert not (tmp_path.parent / "outside").exists()


def test_a_tar_without_user_files_is_refused(tmp_path: Path) -> None:
    path = _tar(tmp_path / "export.tar.gz", {"_Role.0.jsonl": b"{}\n"})
    with pytest.raises(ImportSourceError, match="no _User"):
        list(read_records(path))


def test_a_zip_without_user_files_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("_Role.0.jsonl", "{}\n")
    with pytest.raises(ImportSourceError, match="no _User"):
        list(read_records(path))


def test_a_file_that_is_not_json_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "_User.json"
    path.write_text('[{"objectId": "broken"', encoding="utf-8")
    with pytest.raises(ImportSourceError, match="not JSON"):
        list(read_records(path))


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ImportSourceError, match="cannot read"):
        ExportFile(tmp_path / "nowhere.jsonl")


@pytest.mark.django_db
def test_a_zip_imports(tmp_path: Path) -> None:
    path = write_export(tmp_path, [record(1), record(2)], "zip")
    report = import_users(ExportFile(path))
    assert report.created == 2
