"""Test numbers (``LC_PHONE["TEST_NUMBERS"]``): store-review numbers that get no SMS and take
one fixed code, for every purpose, until the day they expire.

An entry is ``"+8613800000000": {"code": "123456", "expires": "2027-06-30"}``: an E.164
number, a code of the codes' own format (six digits, ``wire.SMS_CODE_RE``), and the last day
it works as an ISO date in UTC (from ``2027-07-01T00:00Z`` it is refused), or no ``expires``
at all (check ``lc_phone.W031`` warns of that in production). The send budgets and the attempt
budgets apply to a test number as to any other; only the SMS and the code's check differ
(docs/security.md, "Test numbers"). The fixed code is a secret: it is never logged, and the
check messages never show it.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, TypeVar, cast

from django.utils import timezone
from django.utils.crypto import constant_time_compare

from ..conf import get_settings
from ..exceptions import ExpiredTestNumber, InvalidCode, InvalidPhoneNumber
from ..leancloud.wire import SMS_CODE_RE
from ..phone import normalize_phone

M = TypeVar("M", bound=Callable[..., Any])

# The keys an entry may have.
_KEYS: Final = frozenset({"code", "expires"})


@dataclass(frozen=True)
class FixedCode:
    """One test number's entry: its code (a secret, out of ``repr``) and its last day (UTC)."""

    code: str = field(repr=False)
    expires: datetime.date | None


def parse(number: Any, entry: Any) -> FixedCode:
    """The entry of ``number``, or ``ValueError`` saying what is wrong (never the code)."""
    if not isinstance(number, str) or not _is_e164(number):
        raise ValueError("is not a valid number in E.164 form, e.g. '+8613912345678'")
    if not isinstance(entry, Mapping) or not set(entry) <= _KEYS or "code" not in entry:
        raise ValueError("must be a dict with 'code' and, optionally, 'expires'")
    code = entry["code"]
    if not isinstance(code, str) or not SMS_CODE_RE.fullmatch(code):
        raise ValueError("has a 'code' that is not six digits (the codes' format)")
    return FixedCode(code=code, expires=_day(entry.get("expires")))


def _is_e164(number: str) -> bool:
    try:
        return normalize_phone(number, region="") == number
    except InvalidPhoneNumber:
        return False


def _day(value: Any) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("has an 'expires' that is not a date, e.g. '2027-06-30' or None")


def entries() -> dict[Any, Any]:
    """``TEST_NUMBERS`` as given (nothing when it is not a dict: check ``lc_phone.E011``)."""
    given = get_settings().TEST_NUMBERS
    return dict(given) if isinstance(given, Mapping) else {}


def today() -> datetime.date:
    """Today in UTC: the same day on every worker, whatever the site's ``TIME_ZONE``."""
    return timezone.now().astimezone(datetime.timezone.utc).date()


def is_test_number(phone: str) -> bool:
    """Whether ``phone`` (E.164) is listed, expired or not."""
    return phone in entries()


def fixed_code(phone: str) -> str | None:
    """The fixed code of ``phone`` when it is a live test number; None for any other number;
    :class:`ExpiredTestNumber` past its day, or for a malformed entry (never a real SMS)."""
    listed = entries()
    if phone not in listed:
        return None
    try:
        entry = parse(phone, listed[phone])
    except ValueError:
        raise ExpiredTestNumber() from None
    if entry.expires is not None and today() > entry.expires:
        raise ExpiredTestNumber()
    return entry.code


def ensure_usable(phone: str) -> None:
    """Refuse (:class:`ExpiredTestNumber`) a code request to an expired test number."""
    fixed_code(phone)


def spend_fixed(expected: str, code: str) -> None:
    """The fixed code, compared in constant time; :class:`InvalidCode` for any other."""
    if not constant_time_compare(expected, code):
        raise InvalidCode()


def checked_here(instead: Callable[..., object]) -> Callable[[M], M]:
    """For a provider method ``(phone, code, ...)`` whose provider checks codes upstream: for a
    test number, check the fixed code here and return ``instead(self, phone, ...)``, which
    does the rest of the flow without the code; for any other number, the method itself."""

    def decorate(method: M) -> M:
        @functools.wraps(method)
        def wrapper(self: object, phone: str, code: str, *args: Any, **kwargs: Any) -> Any:
            expected = fixed_code(phone)
            if expected is None:
                return method(self, phone, code, *args, **kwargs)
            spend_fixed(expected, code)
            return instead(self, phone, *args, **kwargs)

        return cast(M, wrapper)

    return decorate
