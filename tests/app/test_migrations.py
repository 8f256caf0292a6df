"""The migrations match the models: ``makemigrations --check --dry-run`` finds nothing to do."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command


def test_no_missing_migrations() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:  # --check exits 1 when a model change has no migration
        raise AssertionError(f"missing migrations:\n{out.getvalue()}") from exc
    assert "No changes detected" in out.getvalue()
