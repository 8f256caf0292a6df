"""Whose password will work after the cutover: the rule ``lc_cutover_check`` reports by and
``lc_cutover`` acts on, in one place.

A user's local hash is the one in ``user.password`` (an imported LeanCloud hash, or one this
site set) and, not yet in place, ``PhoneProfile.captured_password``. Each has a time:
``password_hash_at`` (the exported record's ``updatedAt``, or when a capture was put in
place) and ``password_captured_at``. LeanCloud's record of the user has ``lc_updated_at``
(the latest import's). A user needs a password reset when LeanCloud may hold a password
(``lc_has_password`` is not False) and no local hash is at least as new as that record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

from ..hashers import leancloud_owned


@dataclass(frozen=True)
class PasswordState:
    """What the site knows of one user's password (read from the user and the profile)."""

    password: str  # the user's password column
    password_hash_at: datetime | None
    captured: bool
    captured_at: datetime | None
    lc_updated_at: datetime | None
    lc_has_password: bool | None

    @property
    def usable(self) -> bool:
        """Whether ``user.password`` can check a password at all."""
        return bool(self.password) and not self.password.startswith(UNUSABLE_PASSWORD_PREFIX)

    @property
    def capture_wins(self) -> bool:
        """Whether ``lc_cutover`` puts the capture in place: it is newer than the hash in
        ``user.password``. A local password whose time nobody knows is kept unless it is an
        unusable or imported one (a staff user's own password is not LeanCloud's)."""
        if not self.captured or self.captured_at is None:
            return False
        if self.password_hash_at is None:
            return leancloud_owned(self.password)
        return self.captured_at > self.password_hash_at

    @property
    def checkable(self) -> bool:
        """Whether some local hash (in place or captured) can check the user's password."""
        return self.usable or self.captured

    @property
    def newest_hash_at(self) -> datetime | None:
        """The time of the newest local hash, None when no local hash has a known time."""
        times = [t for t in (self.password_hash_at if self.usable else None,) if t is not None]
        if self.captured and self.captured_at is not None:
            times.append(self.captured_at)
        return max(times) if times else None

    @property
    def needs_reset(self) -> bool:
        """Whether the user's latest LeanCloud password may not work here after the cutover."""
        if self.lc_has_password is False:
            return False  # LeanCloud holds no password: codes and sessions are the way in
        if not self.checkable:
            return True
        newest = self.newest_hash_at
        if newest is None or self.lc_updated_at is None:
            return False  # nothing says the local hash is older than LeanCloud's record
        return newest < self.lc_updated_at
