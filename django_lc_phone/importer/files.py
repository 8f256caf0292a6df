"""Reading a LeanCloud export file: a JSON array, ``{"results": [...]}`` pages, JSON lines
(streamed), or a ``.tar.gz`` or zip of ``_User*.json`` / ``_User*.jsonl`` members."""

from __future__ import annotations

import codecs
import json
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, Final

# The most bytes read as one piece: one JSON-lines record, or a whole JSON document (an array,
# a ``{"results": [...]}`` page). Bigger is refused with an error, never read into memory: a
# hostile archive's member can unpack to any size. JSON lines stream, whatever their number.
MAX_DOCUMENT: Final = 512 * 2**20

# What a damaged or hostile file or archive raises while it is read (a truncated gzip stream is
# EOFError, a bad deflate block zlib.error, an encrypted or unsupported zip member
# RuntimeError / NotImplementedError).
_UNREADABLE: Final = (
    OSError,
    EOFError,
    RuntimeError,
    tarfile.TarError,
    zipfile.BadZipFile,
    zlib.error,
    lzma.LZMAError,
)


class ImportSourceError(Exception):
    """A source or checkpoint that cannot be read (the message says which and why)."""


def read_records(path: Path) -> Iterator[Any]:
    """Every record of an export file, zip or tar archive, in order (``None`` for a line that
    is not JSON or not UTF-8, so that it is reported as an invalid record and the rest still
    imports).

    LeanCloud's export (the dashboard's and ``POST /1.1/exportData``'s) is a ``.tar.gz``; a
    zip of the same files, or one file taken out of either, is read as well. A file that is
    damaged, not UTF-8, or holds a piece larger than :data:`MAX_DOCUMENT` is an
    :class:`ImportSourceError`."""
    try:
        if zipfile.is_zipfile(path):
            yield from _zip_records(path)
        elif tarfile.is_tarfile(path):
            yield from _tar_records(path)
        else:
            with path.open("rb") as stream:
                yield from _stream_records(stream, str(path))
    except _UNREADABLE as exc:
        raise ImportSourceError(f"{path} cannot be read: {type(exc).__name__}") from exc


def _zip_records(path: Path) -> Iterator[Any]:
    with zipfile.ZipFile(path) as archive:
        members = sorted((n for n in archive.namelist() if _is_user_file(n)), key=_natural)
        if not members:
            raise ImportSourceError(f"{path} holds no _User*.json or _User*.jsonl file")
        for name in members:
            with archive.open(name) as raw:
                yield from _stream_records(raw, f"{path}:{name}")


def _tar_records(path: Path) -> Iterator[Any]:
    # Members are read, never extracted: no path in the archive reaches the file system, and
    # links (symbolic or hard) are no regular files, so they are not followed.
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
                yield from _stream_records(raw, f"{path}:{member.name}")


def _is_user_file(name: str) -> bool:
    base = name.rsplit("/", 1)[-1]
    return base.startswith("_User") and base.endswith((".json", ".jsonl"))


def _natural(name: str) -> list[Any]:
    """``_User.2.jsonl`` before ``_User.10.jsonl``."""
    return [(0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name)]


def _lines(raw: IO[bytes], where: str) -> Iterator[bytes]:
    """The lines of ``raw`` (a UTF-8 byte order mark at its start removed), each read with a
    bound: a line longer than :data:`MAX_DOCUMENT` is an :class:`ImportSourceError`."""
    first = True
    while line := raw.readline(MAX_DOCUMENT + 1):
        if first:
            line, first = line.removeprefix(codecs.BOM_UTF8), False
        if len(line) > MAX_DOCUMENT:
            raise ImportSourceError(f"{where} has a piece larger than {MAX_DOCUMENT} bytes")
        yield line


def _text(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportSourceError(f"{where} is not UTF-8") from None


def _stream_records(raw: IO[bytes], where: str) -> Iterator[Any]:
    lines = _lines(raw, where)
    first = next((line for line in lines if line.strip()), b"")
    if not first:
        return
    try:
        head = json.loads(_text(first, where))
    except ValueError:
        head = None  # the first line of a document spread over many lines
    if not isinstance(head, dict):
        rest = raw.read(MAX_DOCUMENT + 1 - len(first))
        if len(first) + len(rest) > MAX_DOCUMENT:
            raise ImportSourceError(
                f"{where} is a JSON document larger than {MAX_DOCUMENT} bytes: "
                "export it as JSON lines"
            )
        yield from _unwrap(_document(_text(first + rest, where), where))
        return
    # JSON lines: one record (or one {"results": [...]} page) per line, streamed.
    yield from _unwrap(head)
    for line in lines:
        if line.strip():
            try:
                yield from _unwrap(json.loads(line.decode("utf-8")))
            except ValueError:  # not JSON, or not UTF-8 (UnicodeDecodeError)
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
