"""The user endpoints: sign-up and login, the current user, updates, ``_User`` scans and queries."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from ..values import (
    LCUser,
    ScanPage,
    SignupResult,
    parse_scan_page,
    parse_user,
    require_object_id,
    require_session_token,
)
from .base import (
    ClientBase,
    _check,
    _check_code,
    _check_object_id,
    _check_phone,
    _with_validate_token,
)


class UserCalls(ClientBase):
    """Sign-in by code or password, reading and updating users, and scanning ``_User``."""

    # --- sign-up and login ------------------------------------------------------------------

    def signup_or_login_by_mobile_phone(
        self,
        phone: str,
        sms_code: str,
        *,
        username: str | None = None,
        password: str | None = None,
    ) -> SignupResult:
        """``POST /usersByMobilePhone``: log in the phone's user, creating it if there is none.

        ``username`` and ``password`` only matter when the user is created.
        """
        body: dict[str, Any] = {"mobilePhoneNumber": _check_phone(phone)}
        body["smsCode"] = _check_code(sms_code)
        if username is not None:
            body["username"] = username
        if password is not None:
            body["password"] = password
        response = self._call("POST", "/usersByMobilePhone", body=body, phone=phone)
        user = parse_user(response.body, with_session=True)
        return SignupResult(user=user, created=response.status == 201)

    def request_login_sms_code(self, phone: str, *, validate_token: str | None = None) -> None:
        """``POST /requestLoginSmsCode``: send a login code to an existing, verified phone."""
        body = _with_validate_token({"mobilePhoneNumber": _check_phone(phone)}, validate_token)
        self._call("POST", "/requestLoginSmsCode", body=body, phone=phone)

    def login_with_sms_code(self, phone: str, sms_code: str) -> LCUser:
        """``POST /login`` with phone + SMS code; returns the user with its session token."""
        body = {"mobilePhoneNumber": _check_phone(phone), "smsCode": _check_code(sms_code)}
        response = self._call("POST", "/login", body=body, phone=phone)
        return parse_user(response.body, with_session=True)

    def login_with_password(self, phone: str, password: str) -> LCUser:
        """``POST /login`` with phone + password; returns the user with its session token."""
        _check(isinstance(password, str) and password != "", "password")
        body = {"mobilePhoneNumber": _check_phone(phone), "password": password}
        response = self._call("POST", "/login", body=body, phone=phone)
        return parse_user(response.body, with_session=True)

    # --- users ------------------------------------------------------------------------------

    def get_current_user(self, session_token: str) -> LCUser:
        """``GET /users/me``: the user a session token belongs to (211 if it is invalid)."""
        response = self._call("GET", "/users/me", session_token=session_token)
        return parse_user(response.body, with_session=True)

    def get_user(
        self,
        object_id: str,
        *,
        session_token: str | None = None,
        use_master_key: bool = False,
    ) -> LCUser:
        """``GET /classes/_User/<objectId>`` (what the official SDKs call for a fetch)."""
        path = f"/classes/_User/{_check_object_id(object_id)}"
        response = self._call(
            "GET",
            "/classes/_User/<objectId>",
            path=path,
            master=use_master_key,
            session_token=session_token,
        )
        return parse_user(response.body, with_session=False)

    def update_user(
        self,
        object_id: str,
        fields: Mapping[str, Any],
        *,
        session_token: str | None = None,
        use_master_key: bool = False,
    ) -> dict[str, Any]:
        """``PUT /classes/_User/<objectId>``: needs the user's session or the master key.

        Returns LeanCloud's answer (``objectId`` and ``updatedAt``).
        """
        _check(isinstance(fields, Mapping) and len(fields) > 0, "fields")
        path = f"/classes/_User/{_check_object_id(object_id)}"
        response = self._call(
            "PUT",
            "/classes/_User/<objectId>",
            path=path,
            body=dict(fields),
            master=use_master_key,
            session_token=session_token,
        )
        require_object_id(response.body)
        return response.body

    def refresh_session_token(
        self,
        object_id: str,
        *,
        session_token: str | None = None,
        use_master_key: bool = False,
    ) -> str:
        """``PUT /users/<objectId>/refreshSessionToken``: returns the new token; the old one
        stops working."""
        path = f"/users/{_check_object_id(object_id)}/refreshSessionToken"
        response = self._call(
            "PUT",
            "/users/<objectId>/refreshSessionToken",
            path=path,
            master=use_master_key,
            session_token=session_token,
        )
        require_object_id(response.body)
        return require_session_token(response.body)

    def update_password(
        self, object_id: str, old_password: str, new_password: str, *, session_token: str
    ) -> str:
        """``PUT /users/<objectId>/updatePassword``: returns the user's new session token."""
        _check(bool(old_password) and bool(new_password), "password")
        path = f"/users/{_check_object_id(object_id)}/updatePassword"
        body = {"old_password": old_password, "new_password": new_password}
        response = self._call(
            "PUT",
            "/users/<objectId>/updatePassword",
            path=path,
            body=body,
            session_token=session_token,
        )
        return require_session_token(response.body)

    def scan_users(
        self,
        *,
        limit: int = 1000,
        cursor: str | None = None,
        where: Mapping[str, Any] | None = None,
        keys: list[str] | None = None,
    ) -> ScanPage:
        """``GET /scan/classes/_User`` with the master key: one page of every user."""
        _check(isinstance(limit, int) and 0 < limit <= 1000, "limit")
        params: dict[str, str] = {"limit": str(limit)}
        if cursor:
            _check(isinstance(cursor, str) and len(cursor) <= 1024, "cursor")
            params["cursor"] = cursor
        if where:
            params["where"] = json.dumps(where, separators=(",", ":"))
        if keys:
            params["keys"] = ",".join(keys)
        body = self._call("GET", "/scan/classes/_User", params=params, master=True).body
        return parse_scan_page(body)

    def query_users(
        self,
        *,
        where: Mapping[str, Any] | None = None,
        order: str | None = None,
        limit: int = 100,
        skip: int = 0,
    ) -> list[dict[str, Any]]:
        """``GET /classes/_User`` with the master key: one page of a query (limit 1 to 1000,
        which LeanCloud would otherwise silently turn into 100 [S3])."""
        _check(isinstance(limit, int) and 0 < limit <= 1000, "limit")
        _check(isinstance(skip, int) and skip >= 0, "skip")
        params: dict[str, str] = {"limit": str(limit)}
        if skip:
            params["skip"] = str(skip)
        if where:
            params["where"] = json.dumps(where, separators=(",", ":"))
        if order:
            params["order"] = order
        body = self._call("GET", "/classes/_User", params=params, master=True).body
        return parse_scan_page(body).results

    def iter_users(self, *, batch_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every ``_User`` object, page by page through :meth:`scan_users`."""
        cursor: str | None = None
        while True:
            page = self.scan_users(limit=batch_size, cursor=cursor)
            yield from page.results
            if page.cursor is None:
                return
            cursor = page.cursor
