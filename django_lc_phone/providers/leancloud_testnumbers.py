"""The LeanCloud provider's flows for a test number, once the site has checked its fixed code:
LeanCloud never sees that code (it would refuse it: only its own console test number has a
code LeanCloud knows), so each flow does with the master key what the code would have let
the user do.

- a login (``login`` with ``smsCode``, ``usersByMobilePhone`` for an existing account): the
  user is found by its number and signed in with ``refreshSessionToken``, which gives a new
  session and ends the user's other LeanCloud sessions (a review account's, so acceptable);
- a sign-up of a new account is refused (:class:`UnsupportedTestNumber`): create the review
  account first, with a real code or LeanCloud's console test number;
- a password reset sets the password, then refreshes the session (a reset ends them all);
- a verification sets ``mobilePhoneVerified``; a change sets the user's number, verified.

Each needs ``MASTER_KEY`` (``ProviderMisconfigured`` without one; check ``lc_phone.E033``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from ..exceptions import InvalidCode, UnsupportedTestNumber
from ..leancloud import LCUser, LeanCloudClient
from ..leancloud.values import parse_user
from .base import RemoteUser

T = TypeVar("T")


class Upstream(Protocol):
    """What these flows need of the provider: its client, and its one way to call it (the
    breaker, and LeanCloud's errors translated)."""

    client: LeanCloudClient

    def call(self, action: Callable[[], T], *, session_bound: bool = False) -> T:
        """``action`` through the breaker, its errors the app's."""


def remote(user: LCUser) -> RemoteUser:
    """The provider-neutral view of a LeanCloud user."""
    return RemoteUser(
        object_id=user.object_id,
        username=user.username,
        phone=user.mobile_phone_number,
        phone_verified=user.mobile_phone_verified,
        session_token=user.session_token,
    )


def _user_of(upstream: Upstream, phone: str) -> LCUser | None:
    """The user whose number is ``phone``, read with the master key."""
    where = {"mobilePhoneNumber": phone}
    found = upstream.call(lambda: upstream.client.query_users(where=where, limit=1))
    return parse_user(found[0], with_session=False) if found else None


def _signed_in(upstream: Upstream, object_id: str) -> RemoteUser:
    client = upstream.client
    token = upstream.call(lambda: client.refresh_session_token(object_id, use_master_key=True))
    return remote(upstream.call(lambda: client.get_current_user(token)))


def nothing(upstream: Upstream, phone: str) -> None:
    """A generic code of a test number: checked already, nothing is left to do."""


def login(upstream: Upstream, phone: str) -> RemoteUser:
    """Sign the number's user in; a number without one is a wrong code, as LeanCloud says."""
    user = _user_of(upstream, phone)
    if user is None:
        raise InvalidCode()
    return _signed_in(upstream, user.object_id)


def signup_or_login(
    upstream: Upstream, phone: str, *, username: str | None = None, password: str | None = None
) -> tuple[RemoteUser, bool]:
    """Sign the number's existing user in (never created here: :class:`UnsupportedTestNumber`)."""
    user = _user_of(upstream, phone)
    if user is None:
        raise UnsupportedTestNumber()
    return _signed_in(upstream, user.object_id), False


def reset_password(upstream: Upstream, phone: str, password: str) -> None:
    """Set the number's user's password, then end its sessions (as a reset does)."""
    user = _user_of(upstream, phone)
    if user is None:
        raise InvalidCode()
    client, object_id = upstream.client, user.object_id
    upstream.call(
        lambda: client.update_user(object_id, {"password": password}, use_master_key=True)
    )
    upstream.call(lambda: client.refresh_session_token(object_id, use_master_key=True))


def verify_phone(upstream: Upstream, phone: str) -> None:
    """Mark the number's user's number verified."""
    user = _user_of(upstream, phone)
    if user is None:
        raise InvalidCode()
    verified = {"mobilePhoneVerified": True}
    client, object_id = upstream.client, user.object_id
    upstream.call(lambda: client.update_user(object_id, verified, use_master_key=True))


def change_phone(upstream: Upstream, phone: str, *, session_token: str) -> None:
    """Give the session's user the number, verified (LeanCloud's 214 if another has it)."""
    client = upstream.client
    me = upstream.call(lambda: client.get_current_user(session_token), session_bound=True)
    fields = {"mobilePhoneNumber": phone, "mobilePhoneVerified": True}
    upstream.call(lambda: client.update_user(me.object_id, fields, use_master_key=True))
