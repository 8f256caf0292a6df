"""``python manage.py lc_cutover_check [--json] [--send-test-to NUMBER]``: is the site ready to
leave LeanCloud? Each item OK, WARN or FAIL (``django_lc_phone.cutover.readiness``); the exit
code is 1 when any item fails. Run it while the site is still on LeanCloud, and again after.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from django_lc_phone.cutover import readiness
from django_lc_phone.exceptions import InvalidPhoneNumber
from django_lc_phone.phone import normalize_phone


class Command(BaseCommand):
    help = "Report whether the site is ready to leave LeanCloud (exit code 1 on any FAIL)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--json", action="store_true", help="Print the report as JSON.")
        parser.add_argument(
            "--send-test-to",
            metavar="NUMBER",
            help="Send one test SMS to this number through the configured gateway.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        number = options["send_test_to"]
        if number is not None:
            try:
                number = normalize_phone(number)
            except InvalidPhoneNumber as exc:
                raise CommandError("--send-test-to: not a valid phone number.") from exc
        report = readiness.check(test_number=number)
        if options["json"]:
            body = {"status": report.status, "items": [asdict(item) for item in report.items]}
            self.stdout.write(json.dumps(body, indent=2, ensure_ascii=False))
        else:
            for item in report.items:
                self.stdout.write(f"{item.status:<4} {item.id}: {item.summary}")
                for object_id in item.object_ids:
                    self.stdout.write(f"       {object_id}")
            self.stdout.write(f"lc_cutover_check: {report.status}")
        if report.status == "FAIL":
            raise SystemExit(1)
