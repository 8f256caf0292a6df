"""Delta imports: the ``_User`` records changed since a moment, and the mark a complete run keeps.

LeanCloud's query caps ``limit`` at 1000 and advises against deep ``skip`` on large classes,
suggesting pages by ``createdAt``/``updatedAt`` range instead; its ``scan`` cannot order by
``updatedAt`` while filtering on it (a ``scan_key`` must be strictly increasing and may not
appear in ``where``) [S3]. So the delta is a plain query ordered by ``updatedAt,objectId``, each
page asking for ``updatedAt >= `` the newest seen so far and leaving out the records already
read at exactly that moment. A record changed during the run moves to the end of the order
and is read before the run ends, so the newest ``updatedAt`` seen is a safe mark for the next.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, Final

from ..leancloud import LeanCloudClient
from ..leancloud.wire import format_date, parse_date
from ..models import ImportWatermark
from . import import_users
from .records import Batch, ImportReport, ImportSourceError

PAGE_MAX: Final = 1000  # LeanCloud's largest query page [S3]
ORDER: Final = "updatedAt,objectId"
API_MARK: Final = "api"  # ImportWatermark.source of the live API's delta runs


def parse_since(value: str) -> datetime:
    """An ``--updated-since`` moment: ISO 8601 with a time zone (``Z`` or an offset). A value
    without one is refused rather than guessed: a wrong guess would skip hours of changes."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO 8601 date and time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone: add Z or an offset such as +08:00")
    return moment


def _date(moment: str) -> dict[str, str]:
    return {"__type": "Date", "iso": moment}


def _updated(record: Any) -> str | None:
    """The record's updatedAt, in the one form pages compare (None when it has none)."""
    value = record.get("updatedAt") if isinstance(record, dict) else None
    try:
        return format_date(parse_date(value)) if isinstance(value, str) else None
    except ValueError:
        return None


class ApiDelta:
    """The live ``_User`` records changed since ``since`` (all of them when None), oldest
    change first; ``newest`` is the latest ``updatedAt`` read so far."""

    exported = False
    revisits = True  # a user changed during the run comes again, at the end of the order

    def __init__(self, client: LeanCloudClient, since: datetime | None) -> None:
        self.client = client
        self.since = format_date(since) if since is not None else None
        self.key = f"api-delta:{client.app_id}:{self.since or 'all'}"
        # After a run, the mark to keep: every change up to it has been read (``since`` itself
        # when nothing changed; None only for a full scan of an empty table).
        self.newest: str | None = self.since

    def batches(self, size: int, resume: Mapping[str, Any] | None) -> Iterator[Batch]:
        """Whole pages, as many as make ``size`` records; resumed after the newest seen."""
        state = dict(resume or {})
        if state.get("done"):
            return  # the checkpoint was taken after the last page
        position = int(state.get("position", 0))
        self.newest = state.get("after", self.since)
        tied: list[str] = list(state.get("tied", []))  # the objectIds read at exactly `newest`
        limit = min(size, PAGE_MAX)
        records: list[Any] = []
        while True:
            page, fresh = self._page(tied, limit)
            for record in fresh:
                moment = _updated(record)
                if moment is None or moment == self.newest:
                    tied.append(record["objectId"])
                else:
                    self.newest, tied = moment, [record["objectId"]]
            records.extend(fresh)
            done = len(page) < limit
            if done or len(records) >= size:
                state = {"position": position + len(records), "done": done}
                yield Batch(records, position, {**state, "after": self.newest, "tied": tied})
                position += len(records)
                records = []
            if done:
                return

    def _page(self, tied: list[str], limit: int) -> tuple[list[Any], list[Any]]:
        """The next page from ``newest`` on, and its records not read yet. The records tied
        at ``newest`` come again first; they are left out by id rather than skipped by count,
        since one of them may have changed (and moved on) meanwhile, and a count would then
        skip a record never read. Only a page of nothing but them is stepped over."""
        where = {"updatedAt": {"$gte": _date(self.newest)}} if self.newest else None
        seen = set(tied)
        skip = 0
        while skip <= len(tied):  # a page all read is of the tied: at most that many of them
            page = self.client.query_users(where=where, order=ORDER, limit=limit, skip=skip)
            fresh = [r for r in page if r.get("objectId") not in seen]
            if fresh or len(page) < limit:
                return page, fresh
            skip += len(page)
        raise ImportSourceError(f"LeanCloud repeats the users changed at {self.newest}: stopped")


def load_mark(source: str = API_MARK) -> datetime | None:
    """The newest ``updatedAt`` the last complete delta run of ``source`` saw (None: none yet)."""
    mark = ImportWatermark.objects.filter(source=source).first()
    return mark.updated_since if mark is not None else None


def import_changed(
    client: LeanCloudClient,
    since: datetime | None,
    *,
    mark: str | None = API_MARK,
    **options: Any,
) -> tuple[ImportReport, str | None]:
    """Import the records changed since ``since`` (see :func:`import_users` for ``options``)
    and the newest ``updatedAt`` read. Only a complete run (no exception, not a dry run)
    stores that as ``mark``'s watermark: an interrupted one leaves the old mark, so the next
    run reads everything again from there. So does a run that started after the old mark (or
    with no mark, anywhere but the beginning): its mark would hide the changes before it."""
    old = load_mark(mark) if mark is not None else None
    covers = since is None or (old is not None and since <= old)
    source = ApiDelta(client, since)
    report = import_users(source, **options)
    if mark is not None and covers and not report.dry_run and source.newest is not None:
        ImportWatermark.objects.update_or_create(
            source=mark, defaults={"updated_since": parse_date(source.newest)}
        )
    return report, source.newest
