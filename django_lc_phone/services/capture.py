"""Password capture (``CAPTURE_PASSWORDS``): while LeanCloud is the provider, keep a hash of
each password it has just accepted, so the day it switches off the user's latest password
still works here.

Only after LeanCloud's success, in one UPDATE (its own short transaction), hashed with the
site's configured hasher (``make_password``), never logged, never returned, and never checked
while LeanCloud is the provider: ``PhoneProfile.captured_password`` is read by no backend.
``lc_cutover`` makes it the user's password when it is newer than the imported hash.

A login hashes only when it has to: there is no capture yet, or LeanCloud's record changed
since the capture was taken (``lc_updated_at``, from the delta import: the password may have
changed on LeanCloud itself). A reset and a sign-up with a password always hash: the
password is new. The cost of a hash is the trade-off: Django 5.2's PBKDF2 (1,000,000
iterations) takes about 0.27 s on one core of the CI machine.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.hashers import make_password
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ..conf import get_settings
from ..models import PhoneProfile
from .provider import known_profile, provider


def captures() -> bool:
    """Whether passwords are captured: the setting is on and the provider's passwords are not
    the site's already (the local provider keeps them itself)."""
    return get_settings().CAPTURE_PASSWORDS and not getattr(provider(), "keeps_passwords", False)


@sensitive_variables("password")
def capture_password(user: AbstractBaseUser, password: str, *, fresh: bool) -> None:
    """Keep a hash of ``password``, which LeanCloud has just accepted for ``user``.

    ``fresh``: the password was just set (a reset, a sign-up), so any older capture is stale;
    else (a login) an existing capture is kept unless LeanCloud's record changed after it.
    """
    if not captures():
        return
    profile = known_profile(user)  # the sign-in just read it: no query
    if profile is None or (not fresh and _current(profile)):
        return
    captured = {
        "captured_password": make_password(password),
        "password_captured_at": timezone.now(),
        "lc_has_password": True,
    }
    PhoneProfile.objects.filter(pk=profile.pk).update(**captured)
    for name, value in captured.items():  # the request's copy says what the row says
        setattr(profile, name, value)


def _current(profile: PhoneProfile) -> bool:
    """Whether ``profile``'s capture is as new as LeanCloud's record of the user."""
    taken = profile.password_captured_at
    if not profile.captured_password or taken is None:
        return False
    return profile.lc_updated_at is None or profile.lc_updated_at <= taken
