"""The data steps of ``lc_cutover``, each idempotent: a second run changes nothing.

1. Captured passwords are put in place: a capture newer than the hash in ``user.password``
   (``passwords.PasswordState.capture_wins``) becomes the user's password.
2. LeanCloud session tokens the site knows (``PhoneProfile.lc_session_token``: the newest of
   the export's ``sessionToken`` and the one each proxied sign-in stored) become compat
   sessions, stored hashed, so an app on LeanCloud's SDK keeps its signed-in user when its
   server moves. A token seen before LeanCloud's record last changed may have been rotated
   or revoked since: it is carried over only if LeanCloud, asked while it still answers,
   accepts it. A compat session that exists already (even an ended one) is left as it is, so
   an ended session is never brought back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db import transaction

from ..compat.sessions import token_hash
from ..leancloud.wire import SESSION_TOKEN_RE
from ..models import CompatSession, PhoneProfile
from .passwords import PasswordState

BATCH: Final = 1000

# Asks LeanCloud whether it still accepts a session token; None when it cannot be asked.
SessionCheck = Callable[[str], bool]


@dataclass
class CutoverReport:
    """What a run did; every count is of users (objectIds are the only identities shown)."""

    passwords_placed: int = 0
    passwords_kept: int = 0  # a capture older than the password in place
    sessions_carried: int = 0
    sessions_known: int = 0  # a compat session for the token exists already
    sessions_dropped: int = 0  # possibly rotated, and LeanCloud did not (or could not) confirm it


def password_state(profile: PhoneProfile) -> PasswordState:
    """The password facts of ``profile`` and its user (``select_related("user")``)."""
    return PasswordState(
        password=str(profile.user.password or ""),
        password_hash_at=profile.password_hash_at,
        captured=bool(profile.captured_password),
        captured_at=profile.password_captured_at,
        lc_updated_at=profile.lc_updated_at,
        lc_has_password=profile.lc_has_password,
    )


def in_batches(queryset: Any) -> Iterator[list[PhoneProfile]]:
    """``queryset`` in primary-key order, ``BATCH`` rows at a time (no server-side cursor)."""
    last = 0
    while True:
        rows = list(queryset.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not rows:
            return
        yield rows
        last = rows[-1].pk


def place_captured_passwords(report: CutoverReport) -> None:
    """Step 1: each capture newer than the password in place becomes the user's password."""
    captured = PhoneProfile.objects.select_related("user").exclude(captured_password="")
    for rows in in_batches(captured):
        users, profiles = [], []
        for profile in rows:
            if not password_state(profile).capture_wins:
                report.passwords_kept += 1
                continue
            profile.user.password = profile.captured_password
            profile.password_hash_at = profile.password_captured_at
            users.append(profile.user)
            profiles.append(profile)
        with transaction.atomic():
            get_user_model()._default_manager.bulk_update(users, ["password"])
            PhoneProfile.objects.bulk_update(profiles, ["password_hash_at"])
        report.passwords_placed += len(profiles)


def _possibly_rotated(profile: PhoneProfile) -> bool:
    """LeanCloud's record changed after the token was seen (a password change there rotates
    the session): only LeanCloud can say whether it still works."""
    seen, changed = profile.lc_session_token_at, profile.lc_updated_at
    return changed is not None and (seen is None or seen < changed)


def carry_sessions_over(report: CutoverReport, check: SessionCheck | None) -> None:
    """Step 2: each known LeanCloud session becomes a compat session (hashed)."""
    with_token = PhoneProfile.objects.exclude(lc_session_token="").only(
        "pk", "user_id", "lc_session_token", "lc_session_token_at", "lc_updated_at"
    )
    for rows in in_batches(with_token):
        wanted = {
            token_hash(p.lc_session_token): p
            for p in rows
            if SESSION_TOKEN_RE.fullmatch(p.lc_session_token)
        }
        known = set(
            CompatSession.objects.filter(token_hash__in=list(wanted)).values_list(
                "token_hash", flat=True
            )
        )
        report.sessions_known += len(known)
        new = []
        for digest, profile in wanted.items():
            if digest in known:
                continue
            if _possibly_rotated(profile) and (
                check is None or not check(profile.lc_session_token)
            ):
                report.sessions_dropped += 1
                continue
            new.append(CompatSession(user_id=profile.user_id, token_hash=digest))
        CompatSession.objects.bulk_create(new, ignore_conflicts=True)
        report.sessions_carried += len(new)


def run(check: SessionCheck | None) -> CutoverReport:
    """Both steps; ``check`` asks LeanCloud about possibly rotated tokens (None: drop them)."""
    report = CutoverReport()
    place_captured_passwords(report)
    carry_sessions_over(report, check)
    return report
