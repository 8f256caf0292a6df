"""LeanCloudClient: one method per LeanCloud endpoint the app needs. No Django imports.

Credentials are fixed per client; a user's session token is passed to each call that needs it
and never stored, so one client is safely shared by every thread of a process.

The calls are grouped by kind: ``base`` (credentials, signing, one ``_call``), ``codes`` (SMS
codes, phones, CAPTCHA) and ``users`` (sign-in, users, the scan).
"""

from __future__ import annotations

from .base import SmsType
from .codes import CodeCalls
from .users import UserCalls

__all__ = ["LeanCloudClient", "SmsType"]


class LeanCloudClient(CodeCalls, UserCalls):
    """A client for LeanCloud's SMS and user REST API (version 1.1).

    Requests are signed with ``X-LC-Sign`` so no key ever travels on the wire; the master key
    signs only the calls that need it (the ``_User`` scan, and calls made with
    ``use_master_key=True``).
    """
