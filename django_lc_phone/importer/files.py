"""Reading a LeanCloud export file: a JSON array, ``{"results": [...]}`` pages, JSON lines
(streamed), or a ``.tar.gz`` or zip of ``_User*.json`` / ``_User*.jsonl`` members."""

from __future__ import annotations

import io
import json
import re
import tarfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO


class ImportSourceError(Exception):
    """A source or checkpoint that cannot be read (the message says which and why)."""


def read_records(path: Path) -> Iterator[Any]:
    """Every record of an export file, zip or tar archive, in order (``None`` for a line that
    is not JSON, so that it is reported as an invalid record and the rest still imports).

    LeanCloud's export (the dashboard's and ``POST /1.1/exportData``'s) is a ``.tar.gz``; a
    zip of the same files, or one file taken out of either, is read as well."""
    if zipfile.is_zipfile(path):
        yield from _zip_records(path)
    elif tarfile.is_tarfile(path):
        yield from _tar_records(path)
    else:
        with path.open(encoding="utf-8-sig") as stream:
            yield from _stream_records(stream, str(path))


def _zip_records(path: Path) -> Iterator[Any]:
    with zipfile.ZipFile(path) as archive:
        members = sorted((n for n in archive.namelist() if _is_user_file(n)), key=_natural)
        if not members:
            raise ImportSourceError(f"{path} holds no _User*.json or _User*.jsonl file")
        for name in members:
            with archive.open(name) as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig")
                yield from _stream_records(text, f"{path}:{name}")


def _tar_records(path: Path) -> Iterator[Any]:
    # Members are read, never extracted: no path in the archive reaches the file system.
    with tarfile.open(path) as archive:
        members = sorted(
            (m for m in archive.getmembers() if m.isfile() and _is_user_file(m.name)),
            key=lambda member: _natural(member.name),
        )
        if not members:
            raise ImportSourceError(f"{path} holds no _User*.json or _User*.jsonl file")
        for member in members:
            raw = archive.extractfile(member)
            if raw is None:  # pragma: no cover - isfile() members always have data
                continue
            with raw:
                text = io.TextIOWrapper(raw, encoding="utf-8-sig")
                yield from _stream_records(text, f"{path}:{member.name}")


def _is_user_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.startswith("_User") and base.endswith((".json", ".jsonl"))


def _natural(name: str) -> list[Any]:
    """``_User.2.jsonl`` before ``_User.10.jsonl``."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name)]


def _stream_records(stream: TextIO, where: str) -> Iterator[Any]:
    first = next((line for line in stream if line.strip()), "")
    if not first:
        return
    try:
        head = json.loads(first)
    except ValueError:
        head = None  # the first line of a document spread over many lines
    if not isinstance(head, dict):
        yield from _unwrap(_document(first + stream.read(), where))
        return
    # JSON lines: one record (or one {"results": [...]} page) per line, streamed.
    yield from _unwrap(head)
    for line in stream:
        if line.strip():
            try:
                yield from _unwrap(json.loads(line))
            except ValueError:
                yield None


def _document(text: str, where: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ImportSourceError(f"{where} is not JSON, JSON lines or an archive of them") from exc


def _unwrap(document: Any) -> Iterator[Any]:
    """The records of an array or a ``{"results": [...]}`` page; anything else is one record
    (which ``parse_record`` refuses when it is not a user)."""
    if isinstance(document, list):
        yield from document
    elif isinstance(document, dict) and isinstance(document.get("results"), list):
        yield from document["results"]
    else:
        yield document
