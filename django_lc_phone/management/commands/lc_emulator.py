"""``python manage.py lc_emulator``: run the LeanCloud emulator as a real HTTP server."""

from __future__ import annotations

import argparse
from typing import Any

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    """Serve LeanCloud's REST API from the emulator until interrupted."""

    # The emulator needs nothing of the site: it must start even before LC_PHONE is set up.
    requires_system_checks: list[str] = []
    help = (
        "Run a LeanCloud-compatible emulator on 127.0.0.1. Codes are printed to the console "
        "and listed at /emulator/ and /emulator/v1/messages."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        """The emulator's own options (see ``django_lc_phone.emulator.cli``)."""
        # Imported here: nothing outside tests and development imports the emulator at run time.
        from django_lc_phone.emulator.cli import add_arguments

        add_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        """Start serving."""
        from django_lc_phone.emulator.cli import run

        run(argparse.Namespace(**options), console=self.stdout)  # type: ignore[arg-type]
