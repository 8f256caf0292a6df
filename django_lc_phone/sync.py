"""Keep each local user linked to its remote user: ``services`` calls :func:`link_remote_user`
after every successful upstream authentication (and the admin's re-sync), then announces it
with ``remote_user_authenticated``.

Linking is by objectId, then by phone; only the fields that change are written (a capture or
an import written meanwhile stays), in a transaction only where a new user is created or a
unique column changes. The unique constraints on ``lc_object_id`` and ``phone`` do the real
guarding: when two requests race to create the same user, one insert fails, and the retry
finds the row the other one made. A sign-in that changes nothing writes nothing and opens no
transaction.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone
from phonenumber_field.phonenumber import PhoneNumber

from . import signals
from .conf import get_settings
from .models import PhoneProfile, profiles_with_user
from .providers.base import RemoteUser
from .queries import OneRow
from .usernames import local_username

# How stale ``last_synced_at`` may be after a sign-in that changed nothing (see ``_due``).
SYNCED_AT_PRECISION: Final = timedelta(minutes=5)


def link_remote_user(remote_user: RemoteUser) -> AbstractBaseUser:
    """The local user for ``remote_user``, created or updated; idempotent and race-safe."""
    try:
        return _link(remote_user)
    except IntegrityError:
        # A concurrent request inserted the same objectId or phone first: now it is found.
        return _link(remote_user)


def _link(remote: RemoteUser) -> AbstractBaseUser:
    # Read outside any transaction: most sign-ins change nothing, and then there is no BEGIN
    # or COMMIT to wait for. A row another request creates meanwhile makes the insert below
    # fail on a unique constraint, and link_remote_user's retry reads it.
    profile = _find(remote)
    if profile is None:
        return _create(remote)
    changed = _apply(remote, profile)
    if not changed:
        return profile.user
    fields = [*changed, "updated_at"]  # only these: a concurrent capture or import stays
    if {"phone", "lc_object_id"}.isdisjoint(changed):
        profile.save(update_fields=fields)  # one UPDATE of no unique column: nothing to retry
        return profile.user
    # A savepoint where it runs inside a transaction: a unique column may clash with a row
    # written meanwhile, and link_remote_user's retry must still be able to read.
    with transaction.atomic():
        if "phone" in changed:
            _release_recycled_phone(remote, profile)
        profile.save(update_fields=fields)
    return profile.user


def _create(remote: RemoteUser) -> AbstractBaseUser:
    """A new local user and its profile for ``remote``, announced once committed."""
    with transaction.atomic():
        user = _new_user(remote)
        # user=, not user_id=: this also caches user.lc_phone_profile for the response.
        profile = PhoneProfile(user=user)  # type: ignore[misc]
        _release_recycled_phone(remote, profile)
        _apply(remote, profile)
        profile.save()
    signals.phone_user_created.send(sender=PhoneProfile, user=user, remote_user=remote)
    return user


# A returning user's sign-in reads its profile by objectId, a first one by phone among the
# unlinked profiles: each compiled once (queries.py).
_BY_OBJECT_ID: Final = OneRow(profiles_with_user, "lc_object_id")
_UNLINKED_BY_PHONE: Final = OneRow(profiles_with_user, "phone", lc_object_id__isnull=True)


def _find(remote: RemoteUser) -> PhoneProfile | None:
    """The profile linked to ``remote``'s objectId, else an unlinked one with its phone (the
    row the provider read, when it keeps its users here: it is not read again). Read with
    the user and its token (``profiles_with_user``): the sign-in hands the token out next."""
    given = remote.profile
    if isinstance(given, PhoneProfile) and str(given.lc_object_id) == remote.object_id:
        return given
    profile = _BY_OBJECT_ID.get(remote.object_id)
    if profile is None and remote.phone:
        profile = _UNLINKED_BY_PHONE.get(remote.phone)
    return profile


def _new_user(remote: RemoteUser) -> AbstractBaseUser:
    """A local user with an unusable password: the provider owns the credentials."""
    user_model = get_user_model()
    name = local_username(username=remote.username, phone=remote.phone, object_id=remote.object_id)
    user = user_model(**{user_model.USERNAME_FIELD: name})
    user.set_unusable_password()
    user.save()
    return user


# The fields _apply copies from the remote user (last_synced_at is judged apart: _due).
_SYNCED: Final = (
    "lc_object_id",
    "phone",
    "phone_verified",
    "phone_verified_at",
    "lc_session_token",
    "lc_session_token_at",
)


def _plain(value: Any) -> Any:
    """A field value comparable across types: the row's PhoneNumber, the remote's string."""
    return str(value) if isinstance(value, PhoneNumber) else value


def _due(last_synced: datetime | None, now: datetime | None) -> bool:
    """Whether an unchanged profile's ``last_synced_at`` is old enough to be written again.

    A sign-in that changes nothing would otherwise rewrite the row (an UPDATE and a commit
    that waits for the disk) on every login, only to move a timestamp.
    """
    return last_synced is None or now is None or now - last_synced >= SYNCED_AT_PRECISION


def _release_recycled_phone(remote: RemoteUser, profile: PhoneProfile) -> None:
    """A number the provider now gives another user was recycled: the old holder loses it.
    Called before ``profile`` takes the number (its row does not have it yet)."""
    if not remote.phone:
        return
    stale = PhoneProfile.objects.filter(phone=remote.phone).exclude(pk=profile.pk)
    stale.update(phone=None, phone_verified=False, phone_verified_at=None)


def _apply(remote: RemoteUser, profile: PhoneProfile) -> list[str]:
    """Copy ``remote`` onto ``profile``; the fields that changed, with ``last_synced_at``
    when anything did or it is due (else it stays as the row has it): those to write."""
    before = {name: _plain(getattr(profile, name)) for name in _SYNCED}
    last_synced = profile.last_synced_at
    now = timezone.now()
    profile.lc_object_id = remote.object_id
    phone = remote.phone or None  # a number removed upstream is removed here
    if before["phone"] != phone:  # set only when it moved: the field parses what it is given
        profile.phone = phone
    if remote.phone_verified and not profile.phone_verified:
        profile.phone_verified_at = now
    if not remote.phone_verified:
        profile.phone_verified_at = None
    profile.phone_verified = remote.phone_verified
    token = remote.session_token
    if token and get_settings().STORE_SESSION_TOKEN and token != profile.lc_session_token:
        profile.lc_session_token = token
        profile.lc_session_token_at = now  # the newest token wins at the cutover
    changed = [name for name in _SYNCED if _plain(getattr(profile, name)) != before[name]]
    if not changed and not _due(last_synced, now):
        return []
    profile.last_synced_at = now
    return [*changed, "last_synced_at"]
