"""Whose password works after the cutover: the rule both commands use, case by case."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from django_lc_phone.cutover.passwords import PasswordState

T0 = datetime(2026, 12, 1, tzinfo=UTC)
LATER = T0 + timedelta(hours=1)
IMPORTED = "leancloud_sha512$" + "s" * 48 + "$" + "h" * 43
SITE = "md5$salt$0123456789abcdef"
UNUSABLE = "!unusable"


def state(**given: object) -> PasswordState:
    fields: dict[str, object] = {
        "password": UNUSABLE,
        "password_hash_at": None,
        "captured": False,
        "captured_at": None,
        "lc_updated_at": None,
        "lc_has_password": True,
    }
    fields.update(given)
    return PasswordState(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "needs_reset"),
    [
        ({}, True),  # LeanCloud holds a password, the site has no hash of it
        ({"lc_has_password": None}, True),  # nobody knows: only the API was imported
        ({"lc_has_password": False}, False),  # an SMS-only user: codes and sessions get in
        ({"password": IMPORTED, "password_hash_at": T0, "lc_updated_at": T0}, False),
        # Changed on LeanCloud after the export: the imported hash is the old password.
        ({"password": IMPORTED, "password_hash_at": T0, "lc_updated_at": LATER}, True),
        # ... unless a capture after that change has the new one.
        (
            {
                "password": IMPORTED,
                "password_hash_at": T0,
                "captured": True,
                "captured_at": LATER + timedelta(seconds=1),
                "lc_updated_at": LATER,
            },
            False,
        ),
        ({"captured": True, "captured_at": T0, "lc_updated_at": LATER}, True),
        ({"captured": True, "captured_at": LATER, "lc_updated_at": T0}, False),
        ({"password": SITE}, False),  # a usable hash of unknown time: nothing says it is old
    ],
)
def test_who_needs_a_reset(given: dict[str, object], needs_reset: bool) -> None:
    assert state(**given).needs_reset is needs_reset


@pytest.mark.parametrize(
    ("given", "wins"),
    [
        (
            {"captured": True, "captured_at": LATER, "password": IMPORTED, "password_hash_at": T0},
            True,
        ),
        (
            {"captured": True, "captured_at": T0, "password": IMPORTED, "password_hash_at": LATER},
            False,
        ),
        ({"captured": True, "captured_at": T0, "password": UNUSABLE}, True),
        ({"captured": True, "captured_at": T0, "password": IMPORTED}, True),
        # A site password of unknown time (a staff user's own) is not LeanCloud's to replace.
        ({"captured": True, "captured_at": T0, "password": SITE}, False),
        ({"captured": False, "password": UNUSABLE}, False),
    ],
)
def test_when_a_capture_is_put_in_place(given: dict[str, object], wins: bool) -> None:
    assert state(**given).capture_wins is wins
