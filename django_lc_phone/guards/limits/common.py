"""What every budget of the policy is made of: the windows' names and periods, taking a slot of
several at once (one plan), the records of CAPTCHA answers this site issued, and a provider's
own lock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...exceptions import CaptchaRequired, Throttled, TooManyAttempts
from ..identity import digest
from ..plan import Outcome, Refused, Step, Take, run
from ..windows import Window, cache, key, retry_after

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


def take_all(steps: Sequence[Step], *, known_key: str | None = None) -> Outcome:
    """Take every step's slot (one plan), or raise what the refusing step names: its
    ``refusal`` is a :class:`Throttled` class (raised with the wait) or
    :class:`CaptchaRequired`."""
    outcome = run(steps, known_key=known_key)
    if outcome.refused is not None:
        raise refusal_of(outcome.refused)
    return outcome


def refusal_of(refused: Refused) -> Exception:
    """The error the refusing step names, with its wait."""
    refusal = refused.step.refusal
    if refusal is CaptchaRequired:
        return CaptchaRequired()
    if isinstance(refusal, type) and issubclass(refusal, Throttled):
        return refusal(retry_after=retry_after(refused.wait))
    return TooManyAttempts(retry_after=retry_after(refused.wait))


def checks(
    limits: Sequence[tuple[Window | None, str]], refusal: type[Throttled] = TooManyAttempts
) -> list[Step]:
    """One step per limit that is switched on, each refused with ``refusal``."""
    return [Take(limit, ident, refusal) for limit, ident in limits if limit is not None]


def validate_token_key(token: str | None) -> str | None:
    """The key that records a ``validate_token`` this site issued (None for no token)."""
    return key("captcha", digest("captcha", token)) if token else None


def remember_validate_token(token: str) -> None:
    """Record a ``validate_token`` this site obtained for a solved CAPTCHA (``captcha/verify/``)."""
    cache().set(validate_token_key(token), 1, timeout=CAPTCHA_TOKEN_TTL)
