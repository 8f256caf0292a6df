"""Importing from the live API (the emulator over HTTP), then the export that brings passwords.

LeanCloud never returns ``password`` or ``salt`` through its API, and neither does the
emulator: a scan brings users and phones, and the data export brings the hashes. The export
is made here from the emulator's own store, as the dashboard's export shows a ``_User`` row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import override_settings
from rest_framework.test import APIClient

from django_lc_phone.emulator import Emulator, RunningServer
from django_lc_phone.emulator.objects import USER, public
from django_lc_phone.importer import import_users
from django_lc_phone.importer.records import ApiScan, ExportFile
from django_lc_phone.models import PhoneProfile
from django_lc_phone.providers.leancloud import LeanCloudProvider
from tests.app._api import lc_phone_settings
from tests.importer._records import (
    DOC_PASSWORD,
    HASHERS,
    Interrupted,
    crash_on_write,
    e164,
    record,
    run,
    user_of,
    write_export,
)

pytestmark = pytest.mark.django_db

# username, password, phone (None: no phone), verified
PEOPLE = [
    ("alice", "alice-Passw0rd-1", "+8613800000001", True),
    ("bob", "bob-Passw0rd-2", None, False),
    ("carol", "carol-Passw0rd-3", "+8613800000003", False),
    ("dave", "dave-Passw0rd-4", "+8613800000004", True),
    ("erin", "erin-Passw0rd-5", "+8613800000005", True),
]


def _master_headers(emulator: Emulator) -> dict[str, str]:
    config = emulator.config
    return {"X-LC-Id": config.app_id, "X-LC-Key": f"{config.master_key},master"}


def _seed(server: RunningServer) -> dict[str, str]:
    """The PEOPLE as LeanCloud users, made over HTTP; their objectIds by username."""
    ids = {}
    for username, password, phone, verified in PEOPLE:
        body: dict[str, Any] = {"username": username, "password": password}
        if phone:
            body.update(mobilePhoneNumber=phone, mobilePhoneVerified=verified)
        response = requests.post(
            f"{server.url}/1.1/users",
            json=body,
            headers=_master_headers(server.emulator),
            timeout=5,
        )
        assert response.status_code == 201, response.text
        ids[username] = response.json()["objectId"]
    return ids


def emulator_export(emulator: Emulator) -> list[dict[str, Any]]:
    """The emulator's ``_User`` rows as LeanCloud's data export has them: public fields, ISO
    dates, and the ``password`` hash and ``salt`` that the API never shows."""
    with emulator.store.transaction() as db:
        rows = db.execute("SELECT data FROM objects WHERE cls = ? ORDER BY id", (USER,))
        stored = [json.loads(row["data"]) for row in rows.fetchall()]
    exported = []
    for obj in stored:
        row = public(obj)
        if "_password" in obj:
            row.update(password=obj["_password"], salt=obj["_salt"])
        exported.append(row)
    return exported


@pytest.fixture
def live(emulator_server: RunningServer) -> Iterator[RunningServer]:
    """LC_PHONE pointed at the HTTP emulator (real sockets, no in-process session)."""
    with lc_phone_settings(SERVER_URL=emulator_server.url, HTTP_SESSION_FACTORY=None):
        yield emulator_server


def _scan() -> ApiScan:
    return ApiScan(LeanCloudProvider.from_settings().client)


def test_from_api_imports_users_and_phones_but_no_passwords(live: RunningServer) -> None:
    ids = _seed(live)

    report = import_users(_scan(), batch_size=2)  # pages of 2: the cursor is followed

    assert (report.read, report.created) == (5, 5)
    for username, _password, phone, verified in PEOPLE:
        profile = PhoneProfile.objects.select_related("user").get(lc_object_id=ids[username])
        assert profile.user.get_username() == username
        assert profile.phone_e164 == (phone or "")
        assert profile.phone_verified == verified
        assert not profile.user.has_usable_password()
    assert import_users(_scan()).unchanged == 5


@override_settings(PASSWORD_HASHERS=HASHERS)
def test_then_the_export_brings_the_passwords_and_users_log_in(
    live: RunningServer, tmp_path: Path
) -> None:
    _seed(live)
    import_users(_scan(), batch_size=2)
    export = write_export(tmp_path, emulator_export(live.emulator), "zip")

    report = import_users(ExportFile(export))

    assert (report.created, report.updated, report.unchanged) == (0, 5, 0)
    for username, password, _phone, _verified in PEOPLE:
        assert authenticate(username=username, password=password + "x") is None
        user = authenticate(username=username, password=password)
        assert user is not None
        assert user.get_username() == username
        user.refresh_from_db()
        assert user.password.startswith("md5$")  # re-hashed with the default hasher
    # The re-hashed passwords are the site's now: importing the export again keeps them.
    assert import_users(ExportFile(export)).unchanged == 5


def test_an_interrupted_scan_resumes_from_its_cursor(
    live: RunningServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(live)
    checkpoint = tmp_path / "api.checkpoint"
    crash_on_write(monkeypatch, call=2)
    with pytest.raises(Interrupted):
        import_users(_scan(), batch_size=2, checkpoint=checkpoint)
    state = json.loads(checkpoint.read_text())
    assert state["position"] == 2
    assert state["cursor"]
    monkeypatch.undo()

    report = import_users(_scan(), batch_size=2, checkpoint=checkpoint, resume=True)

    assert (report.resumed_after, report.read, report.created) == (2, 3, 3)
    assert PhoneProfile.objects.count() == 5
    assert not checkpoint.exists()


def test_the_command_imports_from_the_api(live: RunningServer, capsys: Any) -> None:
    _seed(live)
    call_command("lc_import_users", "--from-api", "--batch-size", "3")
    out = capsys.readouterr().out
    assert "created            5" in out
    assert PhoneProfile.objects.count() == 5


def test_the_command_needs_the_master_key(live: RunningServer) -> None:
    with (
        lc_phone_settings(SERVER_URL=live.url, HTTP_SESSION_FACTORY=None, MASTER_KEY=""),
        pytest.raises(CommandError, match="MASTER_KEY"),
    ):
        call_command("lc_import_users", "--from-api")
    with (
        lc_phone_settings(
            SERVER_URL=live.url, HTTP_SESSION_FACTORY=None, MASTER_KEY="not-the-master-key"
        ),
        pytest.raises(CommandError),
    ):
        call_command("lc_import_users", "--from-api", verbosity=0)
    assert PhoneProfile.objects.count() == 0


@override_settings(PASSWORD_HASHERS=HASHERS)
def test_imported_user_logs_in_through_the_api_with_the_local_provider(tmp_path: Path) -> None:
    """The issue's acceptance: a user imported from an export with LeanCloud's documented
    hash (its guide's own salt and password) signs in with the original password through
    ``auth/phone/login/`` once the local provider is selected."""
    run(tmp_path, [record(1)])

    with lc_phone_settings(PROVIDER="local"):
        response = APIClient().post(
            "/auth/phone/login/",
            {"phone": e164(1), "password": DOC_PASSWORD},
            format="json",
        )

    assert response.status_code == 200, response.content
    assert user_of(1).password.startswith("md5$")
