"""``python manage.py lc_import_users``: LeanCloud's ``_User`` table into local users.

The work is ``django_lc_phone.importer``'s; this command reads options, shows progress on
stderr and prints the report.
"""

from __future__ import annotations

import argparse
import time
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from django.core.management.base import BaseCommand, CommandError, OutputWrapper

from django_lc_phone.conf import get_settings
from django_lc_phone.importer import ISSUES, ImportReport, ImportSourceError, import_users
from django_lc_phone.leancloud import LeanCloudClient, LeanCloudError
from django_lc_phone.leancloud.wire import format_date

from ...importer.delta import import_changed, load_mark, parse_since
from ...importer.records import ApiScan, ExportFile, UserSource

SHOWN_PER_ISSUE: Final = 20


class Progress:
    """A one-line progress display: redrawn in place on a terminal, one line per batch
    otherwise (so logs of a run under cron or CI stay readable)."""

    def __init__(self, stream: OutputWrapper) -> None:
        self.stream = stream
        self.started = time.monotonic()
        isatty = getattr(stream, "isatty", None)
        self.tty = bool(isatty and isatty())
        self.width = 0

    def __call__(self, report: ImportReport) -> None:
        elapsed = max(time.monotonic() - self.started, 1e-6)
        line = (
            f"lc_import_users: {report.read} read, {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged "
            f"({report.read / elapsed:.0f}/s)"
        )
        # Plain text: stderr's default style is the error colour, and this is no error.
        if self.tty:
            self.width = max(self.width, len(line))  # a shorter line must cover a longer one
            self.stream.write("\r" + line.ljust(self.width), style_func=_plain, ending="")
            self.stream.flush()
        else:
            self.stream.write(line, style_func=_plain)

    def close(self) -> None:
        """End the redrawn line."""
        if self.width:
            self.stream.write("")


def _plain(text: str) -> str:
    return text


class Command(BaseCommand):
    """Import LeanCloud users from a data export or the live API."""

    help = (
        "Import LeanCloud's _User table into local users and phone profiles, keyed by "
        "objectId: from a data export (JSON, JSON lines, or the export zip) or, with "
        "--from-api, from the live API with the master key; with --updated-since, only the "
        "users changed since then. Safe to run again."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """Source, batching, resuming and dry-run options."""
        parser.add_argument("export", nargs="?", help="export file: .json, .jsonl or .zip")
        parser.add_argument(
            "--from-api",
            action="store_true",
            help="scan the live _User table with LC_PHONE's master key (brings no passwords)",
        )
        parser.add_argument(
            "--updated-since",
            metavar="ISO|auto",
            help="with --from-api: only users changed since then (ISO 8601 with a time zone); "
            "auto: since the newest change the last complete delta run saw",
        )
        parser.add_argument("--batch-size", type=int, default=1000, help="default 1000")
        parser.add_argument("--dry-run", action="store_true", help="write nothing; same report")
        parser.add_argument(
            "--checkpoint", type=Path, help="progress file, rewritten after each batch"
        )
        parser.add_argument(
            "--resume", action="store_true", help="continue after the checkpoint's last batch"
        )
        parser.add_argument(
            "--region", help="region of national phone numbers (default LC_PHONE DEFAULT_REGION)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Run the import and print its report."""
        if bool(options["export"]) == bool(options["from_api"]):
            raise CommandError("give an export file or --from-api (one of them)")
        if options["resume"] and options["checkpoint"] is None:
            raise CommandError("--resume needs --checkpoint")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        since = self._since(options)
        progress = Progress(self.stderr) if options["verbosity"] > 0 else None
        run = {
            "batch_size": options["batch_size"],
            "dry_run": options["dry_run"],
            "checkpoint": options["checkpoint"],
            "resume": options["resume"],
            "region": options["region"],
            "progress": progress,
        }
        newest: str | None = None
        with ExitStack() as stack:
            try:
                if options["updated_since"] is None:
                    report = import_users(self._source(options, stack), **run)
                else:
                    report, newest = import_changed(self._client(stack), since, **run)
            except (ImportSourceError, LeanCloudError) as exc:
                raise CommandError(str(exc)) from exc
            finally:
                if progress is not None:
                    progress.close()
        self._print(report, show_all=options["verbosity"] > 1)
        if options["updated_since"] is not None:
            begun = format_date(since) if since is not None else "the beginning (no mark yet)"
            self.stdout.write(f"  changes since {begun}; newest seen {newest or '-'}")

    def _since(self, options: dict[str, Any]) -> datetime | None:
        """The ``--updated-since`` moment: the stored mark for ``auto`` (None: a full scan)."""
        value = options["updated_since"]
        if value is None:
            return None
        if not options["from_api"]:
            raise CommandError("--updated-since needs --from-api (an export is read whole)")
        if value == "auto":
            return load_mark()
        try:
            return parse_since(value)
        except ValueError as exc:
            raise CommandError(f"--updated-since: {exc}") from exc

    def _source(self, options: dict[str, Any], stack: ExitStack) -> UserSource:
        if options["export"]:
            try:
                return ExportFile(options["export"])
            except ImportSourceError as exc:
                raise CommandError(str(exc)) from exc
        return ApiScan(self._client(stack))

    def _client(self, stack: ExitStack) -> LeanCloudClient:
        if not get_settings().MASTER_KEY:
            raise CommandError("--from-api needs LC_PHONE['MASTER_KEY']")
        # Imported here: a site that only imports an export file needs no LeanCloud client.
        from django_lc_phone.providers.leancloud import LeanCloudProvider

        client = LeanCloudProvider.from_settings().client
        stack.callback(client.close)
        return client

    def _print(self, report: ImportReport, *, show_all: bool) -> None:
        out = self.stdout
        out.write("Dry run: nothing was written." if report.dry_run else "Import finished.")
        if report.resumed_after:
            out.write(f"  resumed after record {report.resumed_after}")
        for label, count in (
            ("read", report.read),
            ("created", report.created),
            ("updated", report.updated),
            ("unchanged", report.unchanged),
            ("skipped", report.skipped),
        ):
            out.write(f"  {label:<10}{count:>10}")
        for kind, meaning in ISSUES.items():
            found = report.issues[kind]
            if not found:
                continue
            shown = found if show_all else found[:SHOWN_PER_ISSUE]
            hidden = len(found) - len(shown)
            more = f" ... and {hidden} more (-v 2 lists all)" if hidden else ""
            out.write(f"  {kind} ({len(found)}): {meaning}")
            out.write(f"    {', '.join(shown)}{more}")
