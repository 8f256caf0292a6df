"""What an import records on a PhoneProfile for the cutover: LeanCloud's times, password, token.

The rules, each a comparison of the record's ``updatedAt`` with what the profile already knows,
so that no import (an older export, a replayed delta) ever replaces something newer:

- ``lc_updated_at`` moves forward only: the newest ``updatedAt`` any import has read.
- ``lc_has_password`` comes from export records (the API never shows ``password``), unless the
  record is older than what the profile knows already.
- an exported hash is written only when the record is newer than ``password_hash_at`` (and,
  as ever, only over a password LeanCloud still owns); ``password_hash_at`` then takes its time.
- an exported session token is kept when the record is newer than ``lc_session_token_at``
  (a sign-in through the site stores its own token with its own time: the newest wins).

``captured_password`` and ``password_captured_at`` belong to sign-ins, never to the import.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from ..models import PhoneProfile
from .records import Incoming

# The profile columns these rules write, for bulk_update.
CUTOVER_FIELDS: Final = [
    "lc_updated_at",
    "lc_has_password",
    "password_hash_at",
    "lc_session_token",
    "lc_session_token_at",
]


def _newer(moment: datetime | None, than: datetime | None) -> bool:
    """Whether a record of ``moment`` is newer than what a profile knew at ``than``. A record
    with no date is newer only than nothing known; one of the same moment is not newer."""
    if than is None:
        return True
    return moment is not None and moment > than


def hash_is_newer(item: Incoming, profile: PhoneProfile | None) -> bool:
    """Whether ``item``'s hash may replace the profile's (no profile: a new user)."""
    return profile is None or _newer(item.updated_at, profile.password_hash_at)


def new_profile_fields(item: Incoming) -> dict[str, object]:
    """The cutover columns of the profile of a user the import creates."""
    token = item.session_token if item.updated_at is not None else None
    return {
        "lc_updated_at": item.updated_at,
        "lc_has_password": item.has_password,
        "password_hash_at": item.updated_at if item.password is not None else None,
        "lc_session_token": token or "",
        "lc_session_token_at": item.updated_at if token else None,
    }


def record_on(profile: PhoneProfile, item: Incoming, *, wrote_hash: bool) -> bool:
    """Apply the rules to an existing ``profile``; whether any of its columns changed.
    ``wrote_hash`` says the import is writing ``item``'s hash to the user's password, or
    confirming the one it holds is still LeanCloud's at a newer time."""
    before = [getattr(profile, name) for name in CUTOVER_FIELDS]
    moment = item.updated_at
    if item.has_password is not None and not _older(moment, profile.lc_updated_at):
        profile.lc_has_password = item.has_password
    if moment is not None and (profile.lc_updated_at is None or moment > profile.lc_updated_at):
        profile.lc_updated_at = moment
    if wrote_hash:
        profile.password_hash_at = moment
    token = item.session_token
    if token and moment is not None and _newer(moment, profile.lc_session_token_at):
        profile.lc_session_token = token
        profile.lc_session_token_at = moment
    return [getattr(profile, name) for name in CUTOVER_FIELDS] != before


def _older(moment: datetime | None, than: datetime | None) -> bool:
    return moment is not None and than is not None and moment < than
