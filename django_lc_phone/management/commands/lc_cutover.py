"""``python manage.py lc_cutover``: the data steps of the cutover off LeanCloud, idempotently:
captured passwords put in place and LeanCloud's sessions carried over as compat sessions
(``django_lc_phone.cutover.steps``). Run it last, while LeanCloud still answers, right
before the settings flip to the local provider (docs/migrating-off-leancloud.md).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand

from django_lc_phone.cutover import steps
from django_lc_phone.exceptions import ProviderError
from django_lc_phone.services import provider


def _session_check() -> steps.SessionCheck | None:
    """LeanCloud's own answer on a session token, while LeanCloud is still the provider."""
    check = getattr(provider(), "session_is_live", None)
    return check if callable(check) else None


class Command(BaseCommand):
    help = "Put captured passwords in place and carry LeanCloud's sessions over (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        check = _session_check()
        if check is None:
            self.stderr.write(
                "lc_cutover: LeanCloud is not the provider: sessions it may have rotated since "
                "the site saw them are dropped, not checked."
            )
        try:
            report = steps.run(check)
        except ProviderError as exc:
            self.stderr.write(f"lc_cutover: LeanCloud did not answer ({type(exc).__name__}).")
            raise SystemExit(1) from exc
        counts = ", ".join(
            f"{name.replace('_', ' ')} {value}" for name, value in asdict(report).items()
        )
        self.stdout.write(f"lc_cutover: {counts}")
