"""Importer cases under a custom user model (``custom_user.EmailUser``: email, no date_joined).

Not collected with the rest of the suite (no ``test_`` prefix): ``test_custom_user.py`` runs
this file in a subprocess with ``tests.settings_custom_user``, since a process has one user
model.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.test import override_settings

from tests.importer._records import (
    DOC_PASSWORD,
    HASHERS,
    e164,
    object_id,
    profile_of,
    record,
    run,
    snapshot,
    user_of,
)

pytestmark = pytest.mark.django_db


def test_the_custom_user_model_is_in_use() -> None:
    assert settings.AUTH_USER_MODEL == "custom_user.EmailUser"
    assert get_user_model().USERNAME_FIELD == "email"


@override_settings(PASSWORD_HASHERS=HASHERS)
def test_users_import_with_placeholder_addresses_and_log_in(tmp_path: Path) -> None:
    report = run(tmp_path, [record(1), record(2, username="not an address part")])

    assert report.created == 2
    assert user_of(1).get_username() == "lcuser1@phone.invalid"
    assert user_of(2).get_username() == f"lc_{object_id(2)}@phone.invalid"
    assert report.issues["username_taken"] == [object_id(2)]
    assert profile_of(1).phone_e164 == e164(1)
    user = authenticate(username="lcuser1@phone.invalid", password=DOC_PASSWORD)
    assert user == user_of(1)
    assert user_of(1).password.startswith("md5$")


def test_updates_and_idempotency_without_date_joined(tmp_path: Path) -> None:
    run(tmp_path, [record(1), record(2)])
    before = snapshot()
    assert run(tmp_path, [record(1), record(2)]).unchanged == 2
    assert snapshot() == before
    report = run(tmp_path, [record(1, mobilePhoneVerified=False), record(2)])
    assert (report.updated, report.unchanged) == (1, 1)
    assert not profile_of(1).phone_verified
