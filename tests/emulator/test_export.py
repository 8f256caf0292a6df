"""The emulator's ``_User`` as LeanCloud's data export, and its round trip through
``lc_import_users`` to password logins on the local provider."""

from __future__ import annotations

import argparse
import io
import json
import stat
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command
from django.test import override_settings
from rest_framework.test import APIClient

from django_lc_phone.emulator import RunningServer, cli, export, users
from django_lc_phone.leancloud.password import check_password
from tests.app._api import lc_phone_settings
from tests.emulator._support import DATE, OBJECT_ID, SESSION_TOKEN, call
from tests.importer._records import HASHERS

# username, password (None: none), phone (None: none), verified
PEOPLE: list[tuple[str, str | None, str | None, bool]] = [
    ("alice", "alice-Passw0rd-1", "+8613800000001", True),
    ("carol", "carol-Passw0rd-3", "+8613800000003", False),
    ("erin", "erin-Passw0rd-5", None, False),
]
CODE_USER = "+8613800000009"  # signed up by code: verified, no password


def _seed(server: RunningServer) -> None:
    for username, password, phone, verified in PEOPLE:
        body: dict[str, Any] = {"username": username, "password": password, "level": 3}
        if phone:
            body.update(mobilePhoneNumber=phone, mobilePhoneVerified=verified)
        if username == "erin":
            body["email"] = "erin@example.com"
        assert call(server, "POST", "/1.1/users", body, master=True).status_code == 201
    server.emulator.add_test_number(CODE_USER, "123456")
    assert call(server, "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": CODE_USER}).ok
    body = {"mobilePhoneNumber": CODE_USER, "smsCode": "123456"}
    assert call(server, "POST", "/1.1/usersByMobilePhone", body).status_code == 201
    auth = {"authData": {"weixin": {"openid": "o-1", "access_token": "t"}}}  # username only
    assert call(server, "POST", "/1.1/users", auth).status_code == 201


def _by_name(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {str(r["username"]): r for r in records}


def test_each_record_has_the_exports_fields(emulator_server: RunningServer) -> None:
    _seed(emulator_server)
    records = _by_name(list(export.records(emulator_server.emulator.store)))
    assert len(records) == 5
    for item in records.values():
        assert OBJECT_ID.fullmatch(item["objectId"])
        assert DATE.fullmatch(item["createdAt"])
        assert DATE.fullmatch(item["updatedAt"])
        assert SESSION_TOKEN.fullmatch(item["sessionToken"])
        assert item["ACL"] == {"*": {"read": True, "write": True}}
        assert isinstance(item["emailVerified"], bool)
        assert isinstance(item["mobilePhoneVerified"], bool)
        assert not any(key.startswith("_") for key in item)
    alice = records["alice"]
    assert (alice["mobilePhoneNumber"], alice["mobilePhoneVerified"], alice["level"]) == (
        "+8613800000001", True, 3,
    )  # fmt: skip
    assert check_password("alice-Passw0rd-1", alice["salt"], alice["password"])
    assert len(alice["password"]) == 88
    assert len(alice["salt"]) == 48
    assert records["erin"]["email"] == "erin@example.com"
    assert "mobilePhoneNumber" not in (records["erin"])
    assert "password" not in records[CODE_USER]
    assert "salt" not in records[CODE_USER]
    [social] = [r for r in records.values() if "authData" in r]
    assert social["authData"]["weixin"]["openid"] == "o-1"
    assert "password" not in social


def test_the_control_needs_the_master_key(emulator_server: RunningServer) -> None:
    _seed(emulator_server)
    url = f"{emulator_server.url}/emulator/v1/export/_User"
    for headers, status in [({}, 401), ({"X-LC-Id": "x", "X-LC-Key": "y"}, 401)]:
        answer = requests.get(url, headers=headers, timeout=5)
        assert (answer.status_code, answer.json()["code"]) == (status, 401)
    config = emulator_server.emulator.config
    app = {"X-LC-Id": config.app_id, "X-LC-Key": config.app_key}
    assert requests.get(url, headers=app, timeout=5).status_code == 403
    master = {"X-LC-Id": config.app_id, "X-LC-Key": f"{config.master_key},master"}
    document = requests.get(url, headers=master, timeout=5)
    assert document.status_code == 200
    assert len(document.json()["results"]) == 5
    lines = requests.get(url, headers=master, params={"format": "jsonl"}, timeout=5)
    assert lines.headers["Content-Type"].startswith("application/x-ndjson")
    assert [json.loads(line) for line in lines.text.splitlines()] == document.json()["results"]
    assert requests.get(url, headers=master, params={"format": "xml"}, timeout=5).status_code == 400


@pytest.mark.django_db
@override_settings(PASSWORD_HASHERS=HASHERS)
@pytest.mark.parametrize("name", ["users.json", "users.jsonl"])
def test_round_trip_to_password_logins_on_the_local_provider(
    emulator_server: RunningServer, tmp_path: Path, name: str
) -> None:
    _seed(emulator_server)
    out_file = tmp_path / name
    count = export.write_file(emulator_server.emulator.store, out_file)
    assert count == 5
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    if name.endswith(".jsonl"):
        assert len(out_file.read_text().splitlines()) == 5
    else:
        assert len(json.loads(out_file.read_text())["results"]) == 5
    out = io.StringIO()
    call_command("lc_import_users", str(out_file), stdout=out, stderr=io.StringIO())
    assert "read               5" in out.getvalue()
    assert "created            5" in out.getvalue()
    with lc_phone_settings(PROVIDER="local"):
        for _username, password, phone, _verified in PEOPLE:
            if phone is None or password is None:
                continue
            client = APIClient()
            wrong = {"phone": phone, "password": password + "x"}
            assert client.post("/auth/phone/login/", wrong, format="json").status_code != 200
            right = {"phone": phone, "password": password}
            answer = client.post("/auth/phone/login/", right, format="json")
            assert answer.status_code == 200, answer.content


def test_the_command_line_writes_the_export_of_a_state_file(tmp_path: Path) -> None:
    state, out_file = tmp_path / "state.sqlite3", tmp_path / "_User.jsonl"
    emulator = cli.build(cli_options(state=str(state)))
    with emulator.store.transaction() as db:
        users.store_new(db, users.new_user({"username": "zoe"}, 1_700_000_000.0))
    emulator.store.close()
    console = io.StringIO()
    cli.run(cli_options(state=str(state), export=str(out_file)), console)
    assert "Exported 1 _User record(s)" in console.getvalue()
    [line] = out_file.read_text().splitlines()
    assert json.loads(line)["username"] == "zoe"
    assert json.loads(line)["createdAt"] == "2023-11-14T22:13:20.000Z"


def cli_options(**given: Any) -> Any:
    """Parsed options as ``python -m django_lc_phone.emulator`` makes them."""
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    argv = [f"--{k.replace('_', '-')}={v}" for k, v in given.items()]
    return parser.parse_args(argv)
