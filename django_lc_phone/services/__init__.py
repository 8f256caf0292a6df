"""Use cases: the only code that applies the limits, calls a provider, writes the app's models
and sends its signals. The surfaces (``api/``, ``compat/``, the backends, the admin) validate
input, call one function here and translate what it raises.

Order in every flow: the caller has validated the input's shape; the flow takes its budgets
(``guards.limits``) once; the provider is called outside any database transaction; then the
local state changes in one short transaction. Code sends that depend on whether a number has
an account (login, reset, a phone change, a verification asked for by number) leave the
request through ``deliveries`` (``sends.deliver_code``), so neither the answer nor its timing
tells who has one.

One module per kind of flow: ``generic`` (codes for any number), ``signin``, ``passwords``,
``phones`` (verify and change), ``notices`` (the old number told of a change), ``accounts``
(renames, re-sync, the number of a code), ``captcha``, ``sends`` (the deliveries' task);
``provider`` holds what they share.
"""

from __future__ import annotations

from .accounts import AccountChanges, phone_of_code, resync, update_account
from .captcha import request_captcha, verify_captcha
from .generic import check_code, send_code, send_code_kwargs
from .passwords import change_password, reset_password, send_password_reset_code
from .phones import (
    change_phone,
    own_phone,
    phone_to_verify,
    send_phone_change_code,
    send_verification_code,
    send_verification_code_to_number,
    verify_number,
    verify_phone,
)
from .provider import known_profile, profile_of, provider, reset_provider
from .sends import deliver_code
from .signin import (
    AccountKind,
    NewAccount,
    SignupResult,
    login_with_account,
    login_with_code,
    login_with_password,
    send_login_code,
    signup,
    signup_with_username,
)

__all__ = [
    "AccountChanges",
    "AccountKind",
    "NewAccount",
    "SignupResult",
    "change_password",
    "change_phone",
    "check_code",
    "deliver_code",
    "known_profile",
    "login_with_account",
    "login_with_code",
    "login_with_password",
    "own_phone",
    "phone_of_code",
    "phone_to_verify",
    "profile_of",
    "provider",
    "request_captcha",
    "reset_password",
    "reset_provider",
    "resync",
    "send_code",
    "send_code_kwargs",
    "send_login_code",
    "send_password_reset_code",
    "send_phone_change_code",
    "send_verification_code",
    "send_verification_code_to_number",
    "signup",
    "signup_with_username",
    "update_account",
    "verify_captcha",
    "verify_number",
    "verify_phone",
]
