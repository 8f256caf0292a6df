"""Keep each local user linked to its remote user: the receiver of ``remote_user_authenticated``.

Linking is by objectId, then by phone, inside one transaction, and the unique constraints on
``lc_object_id`` and ``phone`` do the real guarding: when two requests race to create the same
user, one insert fails, and the retry finds the row the other one made.
"""

from __future__ import annotations

from typing import Any, Final

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.dispatch import receiver
from django.utils import timezone

from . import signals
from .conf import get_settings
from .models import PhoneProfile
from .providers.base import RemoteUser

# Placeholder addresses for users whose USERNAME_FIELD is an email: reserved, never delivered.
PLACEHOLDER_EMAIL_DOMAIN: Final = "phone.invalid"


@receiver(signals.remote_user_authenticated, dispatch_uid="django_lc_phone.sync.link")
def link_remote_user(sender: Any, remote_user: RemoteUser, **kwargs: Any) -> AbstractBaseUser:
    """The local user for ``remote_user``, created or updated; idempotent and race-safe."""
    try:
        return _link(remote_user)
    except IntegrityError:
        # A concurrent request inserted the same objectId or phone first: now it is found.
        return _link(remote_user)


def _link(remote: RemoteUser) -> AbstractBaseUser:
    created = False
    with transaction.atomic():
        profile = (
            PhoneProfile.objects.select_related("user")
            .filter(lc_object_id=remote.object_id)
            .first()
        )
        if profile is None and remote.phone:
            profile = (
                PhoneProfile.objects.select_related("user")
                .filter(phone=remote.phone, lc_object_id__isnull=True)
                .first()
            )
        if profile is None:
            user = _new_user(remote)
            # user=, not user_id=: this also caches user.lc_phone_profile for the response.
            profile = PhoneProfile(user=user)  # type: ignore[misc]
            created = True
        else:
            user = profile.user
        _release_recycled_phone(remote, profile)
        _apply(remote, profile)
        profile.save()
    if created:
        signals.phone_user_created.send(sender=PhoneProfile, user=user, remote_user=remote)
    return user


def _new_user(remote: RemoteUser) -> AbstractBaseUser:
    """A local user with an unusable password: the provider owns the credentials."""
    user_model = get_user_model()
    user = user_model(**{user_model.USERNAME_FIELD: local_username(remote)})
    user.set_unusable_password()
    user.save()
    return user


def local_username(remote: RemoteUser) -> str:
    """The ``USERNAME_FIELD`` value of a new local user (of ``AUTH_USER_MODEL``) for ``remote``.

    The remote username (else the phone) when the field's validators accept it and no user has
    it, else ``lc_<objectId>``. When ``USERNAME_FIELD`` is an ``EmailField`` (custom user models
    that sign in by email), ``@phone.invalid`` is appended: a valid address, so the user passes
    its model's validation and the admin can save it, on a domain reserved never to exist
    (RFC 2606), so no mail meant for the user can reach anyone else.
    """
    user_model = get_user_model()
    name = user_model.USERNAME_FIELD
    field = user_model._meta.get_field(name)
    wanted = remote.username or remote.phone
    if wanted:
        value = _for_field(field, wanted)
        if (
            _valid(field, value)
            and not user_model._default_manager.filter(**{name: value}).exists()
        ):
            return value
    # Unique upstream, so not checked here: the unique constraint has the last word.
    return _for_field(field, f"lc_{remote.object_id}")


def _for_field(field: Any, value: str) -> str:
    if isinstance(field, models.EmailField):
        return f"{value}@{PLACEHOLDER_EMAIL_DOMAIN}"
    return value


def _valid(field: Any, value: str) -> bool:
    if not isinstance(field, models.Field):
        return True
    try:
        field.run_validators(value)
    except ValidationError:
        return False
    return True


def _release_recycled_phone(remote: RemoteUser, profile: PhoneProfile) -> None:
    """A number the provider now gives another user was recycled: the old holder loses it."""
    if not remote.phone or profile.phone_e164 == remote.phone:
        return
    stale = PhoneProfile.objects.filter(phone=remote.phone).exclude(pk=profile.pk)
    stale.update(phone=None, phone_verified=False, phone_verified_at=None)


def _apply(remote: RemoteUser, profile: PhoneProfile) -> None:
    now = timezone.now()
    profile.lc_object_id = remote.object_id
    profile.phone = remote.phone or None  # a number removed upstream is removed here
    if remote.phone_verified and not profile.phone_verified:
        profile.phone_verified_at = now
    if not remote.phone_verified:
        profile.phone_verified_at = None
    profile.phone_verified = remote.phone_verified
    if remote.session_token and get_settings().STORE_SESSION_TOKEN:
        profile.lc_session_token = remote.session_token
    profile.last_synced_at = now
