"""Step 10's attack: password capture, the cutover commands, compat's username and email
logins, and hostile export archives.

Each test names the finding it proves (``Finding N``) and failed before its fix; the tests
marked ``Holds`` pin a claim the attack could not break.
"""

from __future__ import annotations

import io
import json
import os
import tarfile
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from django_lc_phone.guards.limits import remember_validate_token
from django_lc_phone.importer import files, import_users
from django_lc_phone.importer.records import ExportFile, ImportSourceError, read_records
from django_lc_phone.models import PhoneProfile
from django_lc_phone.sms import locmem
from tests.app._api import lc_phone_settings
from tests.compat._wire import assert_error
from tests.compat.conftest import LC
from tests.importer._records import record
from tests.security._util import POSTGRESQL_ONLY, ip

User = get_user_model()
LOCMEM = "django_lc_phone.sms.locmem.LocmemGateway"
PASSWORD = "Correct-Horse-9"
WRONG = "wrong-Password-9"
CHANGELIST = "admin:lc_phone_phoneprofile_changelist"


@pytest.fixture
def compat(db: None, settings: Any) -> Iterator[None]:
    """The local provider behind compat's URLs."""
    settings.ROOT_URLCONF = "tests.compat.urls"
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        yield
    locmem.outbox.clear()


def _client(n: int) -> LC:
    return LC(Client(REMOTE_ADDR=ip(n)))


def _login(lc: LC, password: str = PASSWORD, **names: str) -> Any:
    return lc.post("login", {**names, "password": password})


# --- finding 1: a dotless ı gave an email a budget of its own -----------------------------------


@POSTGRESQL_ONLY
def test_a_dotless_i_reaches_the_account_so_it_spends_its_budget(compat: None) -> None:
    """Finding 1 (medium): an email is found with ``iexact`` (``UPPER()`` on both sides), and
    ``UPPER('ı') = 'I'``, so ``alıce@example.com`` signs in as ``alice@example.com``; but the
    budget key folded ``ı`` to itself, so each spelling with a dotless ı (2^k of them for k
    i's) had budgets of its own, the account's 5 per client, CAPTCHA step-up and 100 a day
    multiplied. Now the key upper-cases before folding: every spelling spends one budget."""
    User.objects.create_user("alice", "alice@example.com", PASSWORD)
    lc = _client(1)
    assert _login(lc, email="alıce@example.com").status_code == 200  # the same account
    spellings = (
        "alıce@example.com",
        "ALıCE@example.com",
        "alıce@example.com ",
        "AlıcE@Example.com",
    )
    for spelling in (*spellings, "alice@example.com"):
        assert_error(_login(lc, WRONG, email=spelling), 210)
    # Five failures at the account, whatever the spelling: the client stops.
    assert_error(_login(lc, email="alice@example.com"), 219)


def test_dotless_spellings_share_the_step_up_of_the_account(compat: None) -> None:
    """Finding 1, across clients: failures at ``alıce@`` from many clients step ``alice@`` up
    to a CAPTCHA for a new client (before: none, the dotless spelling counted apart)."""
    User.objects.create_user("alice", "alice@example.com", PASSWORD)
    for n in range(5):
        assert_error(_login(_client(10 + n), WRONG, email="alıce@example.com"), 210)
    newcomer = _client(20)
    assert_error(_login(newcomer, email="alice@example.com"), 608)
    remember_validate_token("solved-token-j1")
    body = {"email": "alice@example.com", "password": PASSWORD, "validate_token": "solved-token-j1"}
    assert newcomer.post("login", body).status_code == 200


# --- finding 2: the admin's lookups spelled out a captured hash ---------------------------------


def test_a_captured_hash_cannot_be_probed_through_admin_lookups(
    admin_client: Client, db: None
) -> None:
    """Finding 2 (medium): ``?captured_password__startswith=<prefix>`` on the profiles' change
    list was allowed (a field of the model itself), so a staff member with only the view
    permission could read the capture one character at a time from the result count, and
    crack it offline. Now refused (400) like the session token, as are the user's own
    ``password`` through a profile and the capture through the users' list."""
    user = User.objects.create_user("carol", "carol@example.com", "x")
    captured = make_password(PASSWORD)
    PhoneProfile.objects.create(user=user, phone="+8613700137002", captured_password=captured)
    prefix = captured[:24]
    for lookup in (
        "captured_password__startswith",
        "captured_password",
        "user__password__startswith",
    ):
        probe = admin_client.get(reverse(CHANGELIST), {lookup: prefix})
        assert probe.status_code == 400, lookup
        assert captured not in probe.content.decode()
    opts = User._meta
    users = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    probe = admin_client.get(users, {"lc_phone_profile__captured_password__startswith": prefix})
    assert probe.status_code == 400
    # Ordinary filters still work, and the change page shows no capture.
    assert admin_client.get(reverse(CHANGELIST), {"phone_verified__exact": "0"}).status_code == 200
    page = admin_client.get(reverse("admin:lc_phone_phoneprofile_change", args=[user.pk]))
    assert captured not in page.content.decode()


# --- finding 3: lc_cutover_check raised on a gateway that cannot send ---------------------------


def test_a_gateway_that_cannot_write_is_a_failed_item_not_a_traceback(
    db: None, tmp_path: Path
) -> None:
    """Finding 3 (low): the test send caught only the app's own errors, so a gateway whose
    settings trip it on sending (the file gateway at a path that cannot be written: an
    ``OSError``; any custom gateway's own exception) made ``lc_cutover_check`` raise. Now a
    FAIL item naming the exception's type, exit code 1, and the number still masked."""
    blocked = tmp_path / "a-file"
    blocked.write_text("")
    options = {"path": str(blocked / "sms.jsonl")}  # a folder that is a file: mkdir fails
    gateway = "django_lc_phone.sms.file.FileGateway"
    out = StringIO()
    with (
        lc_phone_settings(PROVIDER="local", SMS_GATEWAY=gateway, SMS_GATEWAY_OPTIONS=options),
        pytest.raises(SystemExit) as exit_,
    ):
        call_command("lc_cutover_check", "--json", "--send-test-to", "+8613800138000", stdout=out)
    assert exit_.value.code == 1
    items = {item["id"]: item for item in json.loads(out.getvalue())["items"]}
    assert items["sms_test_send"]["status"] == "FAIL"
    assert "FileExistsError" in items["sms_test_send"]["summary"]
    assert "13800138000" not in out.getvalue()


# --- finding 4: hostile export archives crashed the import --------------------------------------


def _tar(path: Path, *members: tuple[str, bytes | None, str]) -> Path:
    """A ``.tar.gz`` of ``(name, data, link target)`` members (data None: a symbolic link)."""
    with tarfile.open(path, "w:gz") as archive:
        for name, data, target in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type, info.linkname = tarfile.SYMTYPE, target
                archive.addfile(info)
            else:
                info.size = len(data)
                archive.addfile(info, io.BytesIO(data))
    return path


def _line(n: int) -> bytes:
    return json.dumps(record(n)).encode() + b"\n"


@pytest.mark.django_db
def test_a_line_that_is_not_utf8_is_an_invalid_record(tmp_path: Path) -> None:
    """Finding 4 (low): a JSON-lines member with a byte that is not UTF-8 raised
    ``UnicodeDecodeError`` out of the import (a traceback from ``lc_import_users``, the rest
    of the file not imported). Now that line is an invalid record and the others import."""
    path = _tar(
        tmp_path / "export.tar.gz", ("_User.jsonl", _line(1) + b"\xff\xfe{}\n" + _line(2), "")
    )
    report = import_users(ExportFile(path))
    assert report.created == 2
    assert len(report.issues["invalid"]) == 1


@pytest.mark.parametrize(
    ("member", "data", "message"),
    [
        ("_User.json", b"\xff\xfe[\x00", "not UTF-8"),  # a UTF-16 document
        ("_User.json", b"[" + _line(1) * 40, "larger than"),  # a huge member
        ("_User.jsonl", _line(1) + b"x" * 4096, "larger than"),  # a huge line, no newline
    ],
)
def test_a_hostile_member_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, member: str, data: bytes, message: str
) -> None:
    """Finding 4: a document that is not UTF-8 crashed; a member or line of any size was read
    whole into memory (a gzip bomb unpacks to any size). Now each is an ``ImportSourceError``,
    read with a bound (``MAX_DOCUMENT``, lowered here)."""
    monkeypatch.setattr(files, "MAX_DOCUMENT", 2048)
    path = _tar(tmp_path / "export.tar.gz", (member, data, ""))
    with pytest.raises(ImportSourceError, match=message):
        list(read_records(path))


def test_a_truncated_archive_is_a_clear_error_for_the_command(tmp_path: Path) -> None:
    """Finding 4: a truncated ``.tar.gz`` raised ``EOFError`` (a traceback); now the
    command stops with its error, before anything is imported."""
    whole = _tar(tmp_path / "whole.tar.gz", ("_User.jsonl", os.urandom(4096) + _line(1), ""))
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[:-200])
    with pytest.raises(ImportSourceError, match="cannot be read"):
        list(read_records(cut))
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("lc_import_users", str(cut), stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_holds_links_and_traversal_names_are_read_never_extracted(tmp_path: Path) -> None:
    """Holds: a symbolic link member is never followed (not a regular file), and a member
    named ``../../_User.json`` is read in memory, so nothing lands outside (or inside) the
    archive's folder."""
    folder = tmp_path / "in"
    folder.mkdir()
    path = _tar(
        folder / "export.tar.gz",
        ("_User.0.json", None, "/etc/passwd"),
        ("../../_User.1.jsonl", _line(1), ""),
    )
    before = sorted(p.name for p in tmp_path.rglob("*"))
    report = import_users(ExportFile(path))
    assert report.created == 1
    assert sorted(p.name for p in tmp_path.rglob("*")) == before
