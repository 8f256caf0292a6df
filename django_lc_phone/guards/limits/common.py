"""What every budget of the policy is made of: the windows' names and periods, taking a slot of
several at once, the records of CAPTCHA answers this site issued, and a provider's own lock."""

from __future__ import annotations

from dataclasses import dataclass

from ...exceptions import Throttled, TooManyAttempts
from ..identity import digest
from ..windows import Reservation, Slot, Window, cache, retry_after

CAPTCHA_TOKEN_TTL = 10 * 60
# A window that only counts (it never refuses): what the CAPTCHA thresholds read.
UNLIMITED = 2**31
MINUTE, HOUR, DAY = 60, 3600, 86400


@dataclass(frozen=True)
class AccountLock:
    """A provider's own lock on failed logins: more than ``failures`` of them within
    ``seconds`` lock the account. A provider that has one says so as ``login_lock``; the app
    then lets fewer failures through, so the lock is never set off through it."""

    failures: int
    seconds: int


def window(name: str, limit: int | None, seconds: int) -> Window | None:
    """A window of ``limit`` per ``seconds``, or None when the setting switches it off."""
    return Window(name, limit, seconds) if limit is not None else None


def take(reservation: Reservation, taken: Slot | float) -> float | None:
    """Keep a slot that was taken; else give back the reservation's and return the wait."""
    if isinstance(taken, Slot):
        reservation.slots.append(taken)
        return None
    reservation.release()
    return taken


def take_all(
    reservation: Reservation,
    checks: list[tuple[Window | None, str]],
    refusal: type[Throttled] = TooManyAttempts,
) -> None:
    """Take a slot of each limit in turn, or give them all back and raise ``refusal``."""
    for limit, ident in checks:
        if limit is not None and (wait := take(reservation, limit.hit(ident))) is not None:
            raise refusal(retry_after=retry_after(wait))


def remember_validate_token(token: str) -> None:
    """Record a ``validate_token`` this site obtained for a solved CAPTCHA (``captcha/verify/``)."""
    cache().set(f"lc_phone:captcha:{digest('captcha', token)}", 1, timeout=CAPTCHA_TOKEN_TTL)


def spend_validate_token(token: str | None) -> bool:
    """Whether ``token`` is one this site issued and nobody spent; it is spent now."""
    # delete() reports whether the key was there: one atomic check-and-spend.
    return bool(token) and bool(cache().delete(f"lc_phone:captcha:{digest('captcha', str(token))}"))
