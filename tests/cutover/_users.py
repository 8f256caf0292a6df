"""Local users as an import and the proxied sign-ins leave them, for the cutover's tests."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from django_lc_phone.leancloud.wire import new_object_id, new_session_token
from django_lc_phone.models import PhoneProfile


def imported(
    phone: str | None,
    *,
    password: str | None = None,
    **profile: Any,
) -> PhoneProfile:
    """A user and its profile; ``password`` hashed with the site's hasher when given."""
    object_id = new_object_id()
    user = get_user_model().objects.create(username=phone or f"u-{object_id}")
    if password is None:
        user.set_unusable_password()
    else:
        user.password = make_password(password)
    user.save()
    return PhoneProfile.objects.create(user=user, phone=phone, lc_object_id=object_id, **profile)


def with_capture(phone: str, password: str, at: datetime, **profile: Any) -> PhoneProfile:
    """A user whose password the site captured at ``at``."""
    return imported(
        phone,
        captured_password=make_password(password),
        password_captured_at=at,
        lc_has_password=True,
        **profile,
    )


def with_token(phone: str, **profile: Any) -> tuple[PhoneProfile, str]:
    """A user with a LeanCloud session token the site knows, and the token."""
    token = new_session_token()
    return imported(phone, lc_session_token=token, **profile), token
