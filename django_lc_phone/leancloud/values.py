"""Typed values the LeanCloud client returns, each parsed strictly from a response body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from .errors import LeanCloudBadResponse
from .wire import OBJECT_ID_RE, SESSION_TOKEN_RE, parse_date


@dataclass(frozen=True)
class LCUser:
    """A LeanCloud ``_User`` as the service returned it (the session token only when it was)."""

    object_id: str
    username: str | None
    mobile_phone_number: str | None
    mobile_phone_verified: bool
    email: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    session_token: str | None = field(default=None, repr=False)
    data: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class SignupResult:
    """The answer of ``usersByMobilePhone``: the user, and whether LeanCloud created it (201)."""

    user: LCUser
    created: bool


@dataclass(frozen=True)
class Captcha:
    """A CAPTCHA challenge: the token to answer with and the image URL to show."""

    token: str
    url: str


@dataclass(frozen=True)
class ScanPage:
    """One page of a master-key ``scan``; ``cursor`` is None on the last page."""

    results: list[dict[str, Any]]
    cursor: str | None


def _bad(reason: str) -> LeanCloudBadResponse:
    return LeanCloudBadResponse(f"incomplete LeanCloud response: {reason}", request_sent=True)


def require_object_id(body: Mapping[str, Any]) -> str:
    """The body's ``objectId``, checked to be a 24-hex string (never a 10 KB blob)."""
    value = body.get("objectId")
    if not isinstance(value, str) or not OBJECT_ID_RE.fullmatch(value):
        raise _bad("objectId missing or malformed")
    return value


def require_session_token(body: Mapping[str, Any]) -> str:
    """The body's ``sessionToken``, checked to be a plausible opaque token."""
    value = body.get("sessionToken")
    if not isinstance(value, str) or not SESSION_TOKEN_RE.fullmatch(value):
        raise _bad("sessionToken missing or malformed")
    return value


def _optional_str(body: Mapping[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or isinstance(value, str):
        return value
    raise _bad(f"{key} is not a string")


def _optional_date(body: Mapping[str, Any], key: str) -> datetime | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        if not isinstance(value, str):
            raise ValueError(key)
        return parse_date(value)
    except ValueError:
        raise _bad(f"{key} is not a LeanCloud date") from None


def parse_user(body: Mapping[str, Any], *, with_session: bool) -> LCUser:
    """Build an :class:`LCUser`; with ``with_session`` the session token must be present."""
    verified = body.get("mobilePhoneVerified", False)
    if not isinstance(verified, bool):
        raise _bad("mobilePhoneVerified is not a boolean")
    return LCUser(
        object_id=require_object_id(body),
        username=_optional_str(body, "username"),
        mobile_phone_number=_optional_str(body, "mobilePhoneNumber"),
        mobile_phone_verified=verified,
        email=_optional_str(body, "email"),
        created_at=_optional_date(body, "createdAt"),
        updated_at=_optional_date(body, "updatedAt"),
        session_token=require_session_token(body) if with_session else None,
        data={k: v for k, v in body.items() if k != "sessionToken"},
    )


def parse_scan_page(body: Mapping[str, Any]) -> ScanPage:
    """Build a :class:`ScanPage`, checking every result is an object with an objectId."""
    results = body.get("results")
    if not isinstance(results, list) or not all(isinstance(r, dict) for r in results):
        raise _bad("results is not a list of objects")
    for item in results:
        require_object_id(item)
    cursor = body.get("cursor")
    if cursor is not None and not isinstance(cursor, str):
        raise _bad("cursor is not a string")
    return ScanPage(results=results, cursor=cursor or None)
