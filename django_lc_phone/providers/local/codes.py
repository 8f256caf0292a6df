"""The local provider's verification codes: issued from ``secrets``, stored as keyed hashes.

A code is six random digits, valid ``CODE_TTL_MINUTES``, usable once, and bound to its number,
its purpose and (for a phone change) its user. Only an HMAC of the code and its binding is
stored, keyed with ``SECRET_KEY``, so a database dump reveals no live code. Failed attempts
are counted by ``limits.attempt`` per number, so asking for a new code resets nothing. A test
number (``TEST_NUMBERS``) is issued nothing and takes its fixed code, for every purpose.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from ...conf import get_settings
from ...exceptions import InvalidCode
from ...models import PhoneCode
from ..testnumbers import fixed_code, spend_fixed

_KEY_SALT = "django_lc_phone.codes"  # fixed: stored hashes depend on it


def _digest(phone: str, purpose: str, user_id: object, code: str) -> str:
    binding = f"{purpose}\n{phone}\n{user_id or ''}\n{code}"
    return salted_hmac(_KEY_SALT, binding, algorithm="sha256").hexdigest()


def issue(phone: str, purpose: str, user: AbstractBaseUser | None = None) -> str:
    """A new code for ``phone`` and ``purpose``; the older unused ones stop working."""
    code = f"{secrets.randbelow(10**6):06d}"
    now = timezone.now()
    user_id = user.pk if user is not None else None
    with transaction.atomic():
        PhoneCode.objects.filter(phone=phone, purpose=purpose, used_at__isnull=True).update(
            used_at=now
        )
        PhoneCode.objects.create(
            phone=phone,
            purpose=purpose,
            user_id=user_id,
            code_hash=_digest(phone, purpose, user_id, code),
            expires_at=now + timedelta(minutes=get_settings().CODE_TTL_MINUTES),
        )
    return code


def spend(phone: str, purpose: str, code: str, user: AbstractBaseUser | None = None) -> None:
    """Use the code, or raise :class:`InvalidCode` (wrong, expired, used, or bound elsewhere).

    One UPDATE finds and spends it, and decides between concurrent requests with the same
    code: one wins. The digest is compared by the database, not in constant time, which
    tells an attacker nothing: it is keyed with ``SECRET_KEY``, so a guess cannot steer its
    digest towards the stored one. A code is live only until a newer one is asked for
    (:func:`issue` voids the older ones).
    """
    expected = fixed_code(phone)
    if expected is not None:
        spend_fixed(expected, code)  # a test number's: reusable, bound to nothing
        return
    now = timezone.now()
    user_id = user.pk if user is not None else None
    live = PhoneCode.objects.filter(
        phone=phone,
        purpose=purpose,
        code_hash=_digest(phone, purpose, user_id, code),
        used_at__isnull=True,
        expires_at__gt=now,
    )
    bound = live.filter(user__isnull=True) if user is None else live.filter(user_id=user.pk)
    if not bound.update(used_at=now):
        raise InvalidCode()


# How many live codes :func:`match_any` checks at most (the newest): a bound on its work.
MATCH_ANY_CANDIDATES = 1000


def match_any(purpose: str, code: str) -> str:
    """The number whose live code of ``purpose`` (not bound to a user) is ``code``, without
    spending it; :class:`InvalidCode` when none, or more than one, matches.

    For clients that send a code without its number (LeanCloud's JS SDK before 4.15.3 does,
    for ``verifyMobilePhone`` and ``resetPasswordBySmsCode``); the caller then spends the code
    with :func:`spend` and the number found, so one UPDATE still decides between concurrent
    uses. The binding includes the number, so each candidate's hash is computed in turn;
    only the newest :data:`MATCH_ANY_CANDIDATES` live codes are checked. A code matching two
    numbers is refused: it cannot tell whose it is.
    """
    now = timezone.now()
    live = (
        PhoneCode.objects.filter(
            purpose=purpose, used_at__isnull=True, expires_at__gt=now, user__isnull=True
        )
        .order_by("-created_at", "-pk")
        .values_list("phone", "code_hash")[:MATCH_ANY_CANDIDATES]
    )
    found = {
        phone
        for phone, code_hash in live
        if constant_time_compare(code_hash, _digest(phone, purpose, None, code))
    }
    if len(found) != 1:
        raise InvalidCode()
    return found.pop()


def purge_expired() -> int:
    """Delete codes past their lifetime or used (housekeeping); the number deleted."""
    now = timezone.now()
    expired = PhoneCode.objects.filter(expires_at__lte=now)
    used = PhoneCode.objects.filter(used_at__isnull=False)
    return int(expired.delete()[0]) + int(used.delete()[0])
