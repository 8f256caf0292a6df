"""The username a new local user gets: one rule for users linked at sign-in (``sync.py``),
users the local provider creates and users ``lc_import_users`` brings in.

The remote username (else the phone) when the user model's ``USERNAME_FIELD`` validators
accept it and no user has it, else ``lc_<objectId>``. When ``USERNAME_FIELD`` is an
``EmailField`` (custom user models that sign in by email), ``@phone.invalid`` is appended: a
valid address, so the user passes its model's validation and the admin can save it, on a domain
reserved never to exist (RFC 2606), so no mail meant for the user can reach anyone else.
"""

from __future__ import annotations

from typing import Any, Final

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models

# Placeholder addresses for users whose USERNAME_FIELD is an email: reserved, never delivered.
PLACEHOLDER_EMAIL_DOMAIN: Final = "phone.invalid"


def local_username(*, username: str | None, phone: str | None, object_id: str) -> str:
    """The ``USERNAME_FIELD`` value of a new local user (of ``AUTH_USER_MODEL``)."""
    user_model = get_user_model()
    name = user_model.USERNAME_FIELD
    field = user_model._meta.get_field(name)
    wanted = username or phone
    if wanted:
        value = for_field(field, wanted)
        if (
            is_valid(field, value)
            and not user_model._default_manager.filter(**{name: value}).exists()
        ):
            return value
    # Unique upstream, so not checked here: the unique constraint has the last word.
    return for_field(field, f"lc_{object_id}")


def for_field(field: Any, value: str) -> str:
    """``value`` shaped for the username field: an address when it is an ``EmailField``."""
    if isinstance(field, models.EmailField):
        return f"{value}@{PLACEHOLDER_EMAIL_DOMAIN}"
    return value


def is_valid(field: Any, value: str) -> bool:
    """Whether the username field's validators accept ``value``."""
    if not isinstance(field, models.Field):
        return True
    try:
        field.run_validators(value)
    except ValidationError:
        return False
    return True


def follow_phone(user: Any, old_phone: str | None, new_phone: str, object_id: str) -> None:
    """After a phone change, a username that is the old number becomes the new one (or
    ``lc_<objectId>`` when another user has that name): a username must not keep a number its
    user gave up, where anybody could find it."""
    if not old_phone:
        return
    model = get_user_model()  # not type(user): a request's user is a lazy object
    name = model.USERNAME_FIELD
    field = model._meta.get_field(name)
    if getattr(user, name) != for_field(field, old_phone):
        return
    value = for_field(field, new_phone)
    taken = model._default_manager.filter(**{name: value}).exclude(pk=user.pk).exists()
    if taken or not is_valid(field, value):
        value = for_field(field, f"lc_{object_id}")
    setattr(user, name, value)
    user.save(update_fields=[name])
