"""``manage.py lc_import_users``: options, progress on stderr, and the closing report."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from django_lc_phone.models import PhoneProfile
from tests.importer._records import (
    DOC_HASH,
    DOC_SALT,
    MISSING,
    e164,
    national,
    object_id,
    record,
    write_export,
)

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _call(*args: str, **options: object) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("lc_import_users", *args, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def _messy(tmp_path: Path) -> Path:
    PhoneProfile.objects.create(user=_local_user("lcuser2"), phone=e164(3), phone_verified=True)
    return write_export(
        tmp_path,
        [
            record(1),
            record(2),  # username taken
            record(3),  # phone held by a local user
            record(4, mobilePhoneNumber="12345"),
            record(5, salt=MISSING),
            record(6, objectId=MISSING),
            record(1),
        ],
        "zip",
    )


def _local_user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    model = get_user_model()
    return model._default_manager.create(**{model.USERNAME_FIELD: username})


def test_the_report_counts_and_names_objectids_never_phones_or_hashes(tmp_path: Path) -> None:
    out, err = _call(str(_messy(tmp_path)), "--batch-size", "2")

    assert "Import finished." in out
    for line in (
        "read               7",
        "created            5",
        "updated            0",
        "unchanged          0",
        "skipped            2",
    ):
        assert line in out
    assert "phone_conflict (1): phone held by another local user" in out
    assert f"    {object_id(3)}" in out
    assert "username_taken (1)" in out
    assert "invalid_phone (1)" in out
    assert "bad_password (1)" in out
    assert "duplicate (1)" in out
    assert "invalid (1)" in out
    assert "record 6" in out
    for secret in (e164(3), national(3), "12345", DOC_HASH[:20], DOC_SALT):
        assert secret not in out + err
    assert err.count("\n") == 4  # not a terminal: one progress line per batch
    assert "lc_import_users: 7 read, 5 created" in err


def test_a_second_run_reports_everything_unchanged(tmp_path: Path) -> None:
    path = write_export(tmp_path, [record(n) for n in range(1, 4)])
    _call(str(path))
    out, _ = _call(str(path))
    assert "unchanged          3" in out
    assert "created            0" in out


def test_dry_run(tmp_path: Path) -> None:
    out, _ = _call(str(_messy(tmp_path)), "--dry-run")
    assert "Dry run: nothing was written." in out
    assert "created            5" in out
    assert PhoneProfile.objects.count() == 1


def test_progress_redraws_one_line_on_a_terminal(tmp_path: Path) -> None:
    path = write_export(tmp_path, [record(n) for n in range(1, 6)])
    terminal = Terminal()
    call_command(
        "lc_import_users", str(path), "--batch-size", "2", stdout=io.StringIO(), stderr=terminal
    )
    shown = terminal.getvalue()
    assert shown.count("\r") == 3
    assert shown.endswith("\n")
    assert shown.count("\n") == 1


def test_quiet_runs_show_no_progress(tmp_path: Path) -> None:
    path = write_export(tmp_path, [record(1)])
    _, err = _call(str(path), verbosity=0)
    assert err == ""


def test_long_issue_lists_are_cut_unless_verbose(tmp_path: Path) -> None:
    path = write_export(tmp_path, [record(n, mobilePhoneNumber="1") for n in range(1, 26)])
    out, _ = _call(str(path), "--dry-run")
    assert "invalid_phone (25)" in out
    assert "... and 5 more (-v 2 lists all)" in out
    out, _ = _call(str(path), "--dry-run", verbosity=2)
    assert object_id(25) in out
    assert "more" not in out


def test_resume_through_the_command(tmp_path: Path) -> None:
    path = write_export(tmp_path, [record(n) for n in range(1, 6)])
    checkpoint = tmp_path / "cp.json"
    checkpoint.write_text(f'{{"source": "{_key(path)}", "position": 3}}')
    out, _ = _call(str(path), "--checkpoint", str(checkpoint), "--resume")
    assert "resumed after record 3" in out
    assert "created            2" in out
    assert not checkpoint.exists()


def _key(path: Path) -> str:
    from django_lc_phone.importer.records import ExportFile

    return ExportFile(path).key


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "export file or --from-api"),
        (("x.jsonl", "--from-api"), "export file or --from-api"),
        (("x.jsonl", "--resume"), "--resume needs --checkpoint"),
        (("x.jsonl", "--batch-size", "0"), "at least 1"),
        (("no-such-file.jsonl",), "cannot read"),
    ],
)
def test_bad_options_are_refused(args: tuple[str, ...], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        _call(*args)


def test_an_unreadable_export_is_a_command_error(tmp_path: Path) -> None:
    path = tmp_path / "_User.json"
    path.write_text("[{", encoding="utf-8")
    with pytest.raises(CommandError, match="not JSON"):
        _call(str(path))


def test_help_runs_in_a_real_process() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "django", "help", "lc_import_users", "--settings=tests.settings"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "--from-api" in done.stdout
    assert "--dry-run" in done.stdout
