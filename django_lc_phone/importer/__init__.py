"""Import LeanCloud's ``_User`` table into local users and PhoneProfiles, keyed by objectId.

The records come from a data-export file or the live API (``import_records``). They go in
batches, each one transaction of a fixed number of queries whatever its size: one lookup of
the batch's objectIds, one of its phones, one of its usernames, then bulk inserts and updates.
A checkpoint written after each batch lets an interrupted run resume, and since a second run
changes nothing, re-running from the start is always safe too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.core.exceptions import FieldDoesNotExist
from django.db import IntegrityError, models, transaction
from django.utils import timezone

from ..hashers import leancloud_owned
from ..models import PhoneProfile
from .checkpoints import load_checkpoint, save_checkpoint
from .cutover import CUTOVER_FIELDS, hash_is_newer, new_profile_fields, record_on
from .names import Names
from .records import (
    ISSUES,
    ImportReport,
    ImportSourceError,
    Incoming,
    UserSource,
    parse_record,
)

__all__ = ["ISSUES", "ImportReport", "ImportSourceError", "import_users"]

PROFILE_FIELDS: Final = [
    "phone",
    "phone_verified",
    "phone_verified_at",
    "last_synced_at",
    *CUTOVER_FIELDS,
]


@dataclass
class _Plan:
    """One batch's writes, worked out before any of them is made."""

    now: datetime
    new_users: list[AbstractBaseUser] = field(default_factory=list)
    new_profiles: list[PhoneProfile] = field(default_factory=list)
    changed_users: list[AbstractBaseUser] = field(default_factory=list)
    changed_profiles: list[PhoneProfile] = field(default_factory=list)
    updated: int = 0
    unchanged: int = 0
    issues: list[tuple[str, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    usernames: set[str] = field(default_factory=set)
    phones: dict[str, str] = field(default_factory=dict)


@dataclass
class _Run:
    """What earlier batches of this run claimed. The database knows it too after a commit,
    but a dry run commits nothing, and must still report what a real run would."""

    ids: set[str] = field(default_factory=set)
    usernames: set[str] = field(default_factory=set)
    phones: dict[str, str] = field(default_factory=dict)
    revisits: bool = False  # a later batch may bring a newer version of a record: no duplicate

    def absorb(self, plan: _Plan) -> None:
        self.ids |= plan.ids
        self.usernames |= plan.usernames
        self.phones.update(plan.phones)


def import_users(
    source: UserSource,
    *,
    batch_size: int = 1000,
    dry_run: bool = False,
    checkpoint: Path | None = None,
    resume: bool = False,
    region: str | None = None,
    progress: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import every record of ``source``; see the module docstring.

    ``checkpoint`` names a file rewritten after each committed batch (and removed at the
    end); with ``resume`` the run starts after the last batch it records. ``region`` reads
    national phone numbers (default ``LC_PHONE["DEFAULT_REGION"]``).
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    report = ImportReport(dry_run=dry_run)
    state = load_checkpoint(checkpoint, source.key) if resume and checkpoint else {}
    report.resumed_after = int(state.get("position", 0))
    run = _Run(revisits=source.revisits)
    exported = source.exported
    for batch in source.batches(batch_size, state or None):
        report.read += len(batch.records)
        items = [
            item
            for number, raw in enumerate(batch.records, batch.start + 1)
            if (item := parse_record(raw, number, region, report.note, exported=exported))
            is not None
        ]
        if run.revisits:  # the newest version of each record, where the batch has two
            items = list({item.object_id: item for item in items}.values())
        _import_batch(items, run, report, dry_run=dry_run)
        if checkpoint is not None and not dry_run:
            save_checkpoint(checkpoint, {"source": source.key, **batch.resume})
        if progress is not None:
            progress(report)
    if checkpoint is not None and not dry_run:
        checkpoint.unlink(missing_ok=True)
    return report


def _import_batch(items: list[Incoming], run: _Run, report: ImportReport, *, dry_run: bool) -> None:
    for attempt in (1, 2):
        try:
            # Planning reads inside the transaction, so the plan and its writes see one state.
            with transaction.atomic():
                plan = _plan(items, run)
                if not dry_run:
                    _write(plan)
        except IntegrityError:
            # A login linked one of these objectIds or phones since we looked: look again.
            if attempt == 2:
                raise
            continue
        run.absorb(plan)
        report.created += len(plan.new_users)
        report.updated += plan.updated
        report.unchanged += plan.unchanged
        for kind, what in plan.issues:
            report.note(kind, what)
        return


def _plan(items: list[Incoming], run: _Run) -> _Plan:
    plan = _Plan(now=timezone.now())
    fresh: list[Incoming] = []
    for item in items:
        if item.object_id in plan.ids or (item.object_id in run.ids and not run.revisits):
            plan.issues.append(("duplicate", item.object_id))
        else:
            plan.ids.add(item.object_id)
            fresh.append(item)
    profiles = {
        p.lc_object_id: p
        for p in PhoneProfile.objects.select_related("user").filter(lc_object_id__in=plan.ids)
    }
    wanted = {item.phone for item in fresh if item.phone}
    holders = {
        str(phone): pk
        for phone, pk in PhoneProfile.objects.filter(phone__in=wanted).values_list("phone", "pk")
    }
    names = Names(run.usernames, plan, [item for item in fresh if item.object_id not in profiles])
    for item in fresh:
        profile = profiles.get(item.object_id)
        if profile is not None:
            _plan_update(item, _claim_phone(item, profile, holders, run, plan), profile, plan)
        elif (username := names.pick(item)) is not None:
            _plan_new(item, username, _claim_phone(item, None, holders, run, plan), plan)
    return plan


_KEEP: Final = object()  # "leave the local phone as it is"


def _claim_phone(
    item: Incoming,
    profile: PhoneProfile | None,
    holders: dict[str, int],
    run: _Run,
    plan: _Plan,
) -> str | object | None:
    """The phone to store: ``item.phone``, None, or :data:`_KEEP` when it may not be taken."""
    if item.phone_invalid:
        return _KEEP
    if item.phone is None:
        return None
    holder = holders.get(item.phone)
    claimant = run.phones.get(item.phone) or plan.phones.get(item.phone)
    mine = profile is not None and holder == profile.pk
    if (holder is not None and not mine) or claimant not in (None, item.object_id):
        # Never taken from its holder: which of the two is right is a human's call.
        plan.issues.append(("phone_conflict", item.object_id))
        return _KEEP
    plan.phones[item.phone] = item.object_id
    return item.phone


def _plan_new(item: Incoming, username: str, phone: str | object | None, plan: _Plan) -> None:
    model = get_user_model()
    user = model(**{model.USERNAME_FIELD: username})
    user.password = item.password or make_password(None)
    if item.created_at is not None and _has_date_joined():
        user.date_joined = item.created_at
    number = phone if isinstance(phone, str) else None
    verified = number is not None and item.phone_verified
    profile = PhoneProfile(
        user=user,
        phone=number,
        phone_verified=verified,
        phone_verified_at=plan.now if verified else None,
        lc_object_id=item.object_id,
        last_synced_at=plan.now,
        **new_profile_fields(item),
    )
    plan.new_users.append(user)
    plan.new_profiles.append(profile)


def _plan_update(
    item: Incoming, phone: str | object | None, profile: PhoneProfile, plan: _Plan
) -> None:
    user = profile.user
    profile_changed = user_changed = False
    if phone is not _KEEP:
        number = phone if isinstance(phone, str) else None
        verified = number is not None and item.phone_verified
        if profile.phone_e164 != (number or "") or profile.phone_verified != verified:
            profile.phone = number
            profile.phone_verified = verified
            profile.phone_verified_at = plan.now if verified else None
            profile_changed = True
    joined = item.created_at
    if joined is not None and _has_date_joined() and user.date_joined != joined:
        user.date_joined = joined
        user_changed = True
    password = item.password
    # No import replaces a newer password: the site's own, or a hash of a later record.
    wrote_hash = (
        password is not None and leancloud_owned(user.password) and hash_is_newer(item, profile)
    )
    if wrote_hash and password is not None and user.password != password:
        user.password = password
        user_changed = True
    profile_changed = record_on(profile, item, wrote_hash=wrote_hash) or profile_changed
    if profile_changed:
        profile.last_synced_at = plan.now
        plan.changed_profiles.append(profile)
    if user_changed:
        plan.changed_users.append(user)
    if profile_changed or user_changed:
        plan.updated += 1
    else:
        plan.unchanged += 1


def _has_date_joined() -> bool:
    try:
        get_user_model()._meta.get_field("date_joined")
    except FieldDoesNotExist:
        return False
    return True


def _write(plan: _Plan) -> None:
    # Any: the app works with whatever AUTH_USER_MODEL is, which the type checker cannot see.
    manager: models.Manager[Any] = get_user_model()._default_manager
    if plan.new_users:
        manager.bulk_create(plan.new_users)
        if any(user.pk is None for user in plan.new_users):
            _fetch_pks(plan.new_users)  # backends that cannot return ids from a bulk insert
        for profile, user in zip(plan.new_profiles, plan.new_users, strict=True):
            profile.user_id = user.pk  # the instance was given before it had a pk
        PhoneProfile.objects.bulk_create(plan.new_profiles)
    if plan.changed_users:
        user_fields = ["password", "date_joined"] if _has_date_joined() else ["password"]
        manager.bulk_update(plan.changed_users, user_fields)
    if plan.changed_profiles:
        # bulk_update skips auto_now: updated_at is set here, as save() would have.
        for profile in plan.changed_profiles:
            profile.updated_at = plan.now
        PhoneProfile.objects.bulk_update(plan.changed_profiles, [*PROFILE_FIELDS, "updated_at"])


def _fetch_pks(users: list[AbstractBaseUser]) -> None:
    model = get_user_model()
    name = model.USERNAME_FIELD
    values = [getattr(user, name) for user in users]
    pks = dict(model._default_manager.filter(**{f"{name}__in": values}).values_list(name, "pk"))
    for user in users:
        user.pk = pks[getattr(user, name)]
