"""LeanCloudClient: one method per LeanCloud endpoint the app needs. No Django imports.

Credentials are fixed per client; a user's session token is passed to each call that needs it
and never stored, so one client is safely shared by every thread of a process.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final, Literal

import requests

from .. import __version__
from ..redaction import mask_phone
from .errors import LeanCloudBadResponse, LeanCloudInvalidArgument
from .transport import Response, RetryPolicy, Transport
from .values import (
    Captcha,
    LCUser,
    ScanPage,
    SignupResult,
    parse_scan_page,
    parse_user,
    require_object_id,
    require_session_token,
)
from .wire import (
    API_PREFIX,
    CAPTCHA_TOKEN_RE,
    HEADER_ID,
    HEADER_SESSION,
    HEADER_SIGN,
    OBJECT_ID_RE,
    REQUEST_SMS_CODE_KEYS,
    SESSION_TOKEN_RE,
    SMS_CODE_RE,
    sign_header,
)

SmsType = Literal["sms", "voice"]

_USER_AGENT: Final = f"django-lc-phone/{__version__}"


def _check(pattern_ok: bool, what: str) -> None:
    if not pattern_ok:
        raise LeanCloudInvalidArgument(f"invalid {what}")


def _check_code(code: str) -> str:
    _check(isinstance(code, str) and SMS_CODE_RE.fullmatch(code) is not None, "SMS code")
    return code


def _check_object_id(object_id: str) -> str:
    _check(isinstance(object_id, str) and OBJECT_ID_RE.fullmatch(object_id) is not None, "objectId")
    return object_id


def _check_session(token: str) -> str:
    ok = isinstance(token, str) and SESSION_TOKEN_RE.fullmatch(token) is not None
    _check(ok, "session token")
    return token


def _check_phone(phone: str) -> str:
    _check(isinstance(phone, str) and 0 < len(phone) <= 32, "phone number")
    return phone


def _with_ttl(body: dict[str, Any], ttl: int | None) -> dict[str, Any]:
    """Add ``ttl`` (minutes, 1 to 30) to ``body`` after checking it."""
    if ttl is not None:
        _check(isinstance(ttl, int) and not isinstance(ttl, bool) and 0 < ttl <= 30, "ttl")
        body["ttl"] = ttl
    return body


def _with_validate_token(body: dict[str, Any], validate_token: str | None) -> dict[str, Any]:
    if validate_token is not None:
        _check(isinstance(validate_token, str) and 0 < len(validate_token) <= 256, "token")
        body["validate_token"] = validate_token
    return body


class LeanCloudClient:
    """A client for LeanCloud's SMS and user REST API (version 1.1).

    Requests are signed with ``X-LC-Sign`` so no key ever travels on the wire; the master key
    signs only the calls that need it (the ``_User`` scan, and calls made with
    ``use_master_key=True``).
    """

    def __init__(
        self,
        app_id: str,
        app_key: str,
        *,
        server_url: str,
        master_key: str | None = None,
        connect_timeout: float = 3.05,
        read_timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        pool_maxsize: int = 10,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not app_id or not app_key:
            raise ValueError("app_id and app_key are required")
        self.app_id = app_id
        self._app_key = app_key
        self._master_key = master_key
        self._clock = clock
        self.transport = Transport(
            server_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retry=retry or RetryPolicy(),
            pool_maxsize=pool_maxsize,
            session=session,
            sleep=sleep,
        )

    def __repr__(self) -> str:
        return f"LeanCloudClient(app_id={self.app_id!r}, server_url={self.transport.server_url!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self.transport.close()

    # --- plumbing ---------------------------------------------------------------------------

    def _headers(self, *, master: bool, session_token: str | None) -> dict[str, str]:
        key = self._master_key if master else self._app_key
        if not key:
            raise LeanCloudInvalidArgument("this call needs the master key, which is not set")
        headers = {
            HEADER_ID: self.app_id,
            HEADER_SIGN: sign_header(key, int(self._clock() * 1000), master=master),
            "Content-Type": "application/json",
            "Accept": "application/json",
            "User-Agent": _USER_AGENT,
        }
        if session_token is not None:
            headers[HEADER_SESSION] = _check_session(session_token)
        return headers

    def _call(
        self,
        method: str,
        route: str,
        *,
        path: str | None = None,
        body: Mapping[str, Any] | None = None,
        params: Mapping[str, str] | None = None,
        master: bool = False,
        session_token: str | None = None,
        phone: str | None = None,
    ) -> Response:
        self._headers(master=master, session_token=session_token)  # fail before any I/O
        return self.transport.request(
            method,
            API_PREFIX + (path or route),
            route=API_PREFIX + route,
            headers=lambda: self._headers(master=master, session_token=session_token),
            body=body,
            params=params,
            log_extra=f" phone={mask_phone(phone)}" if phone else "",
        )

    # --- generic SMS codes ------------------------------------------------------------------

    def request_sms_code(
        self,
        phone: str,
        *,
        sms_type: SmsType = "sms",
        ttl: int | None = None,
        name: str | None = None,
        op: str | None = None,
        template: str | None = None,
        sign: str | None = None,
        variables: Mapping[str, str] | None = None,
        validate_token: str | None = None,
        use_master_key: bool = False,
    ) -> None:
        """``POST /requestSmsCode``: send a code (or a template message) by SMS or voice.

        ``ttl`` is in minutes. ``variables`` fill the template; they cannot override the
        request's own keys. ``use_master_key`` is for apps whose console keeps the generic
        SMS API closed to clients.
        """
        _check(sms_type in ("sms", "voice"), "smsType")
        body: dict[str, Any] = {"mobilePhoneNumber": _check_phone(phone), "smsType": sms_type}
        _with_ttl(body, ttl)
        for key, value in (("name", name), ("op", op), ("template", template), ("sign", sign)):
            if value is not None:
                body[key] = value
        for key, value in (variables or {}).items():
            # Keys starting with "_" are LeanCloud's body tunnelling keys (_method, _MasterKey).
            allowed = key not in REQUEST_SMS_CODE_KEYS and not key.startswith("_")
            _check(allowed and isinstance(value, str), "template variable")
            body[key] = value
        _with_validate_token(body, validate_token)
        self._call("POST", "/requestSmsCode", body=body, master=use_master_key, phone=phone)

    def verify_sms_code(self, phone: str, code: str, *, use_master_key: bool = False) -> None:
        """``POST /verifySmsCode/<code>``: check a code sent by :meth:`request_sms_code`.

        ``use_master_key`` pairs with the same option of :meth:`request_sms_code`.
        """
        path = f"/verifySmsCode/{_check_code(code)}"
        body = {"mobilePhoneNumber": _check_phone(phone)}
        self._call(
            "POST",
            "/verifySmsCode/<code>",
            path=path,
            body=body,
            master=use_master_key,
            phone=phone,
        )

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

    # --- password reset ---------------------------------------------------------------------

    def request_password_reset_by_sms_code(
        self, phone: str, *, validate_token: str | None = None
    ) -> None:
        """``POST /requestPasswordResetBySmsCode``: send a password-reset code."""
        body = _with_validate_token({"mobilePhoneNumber": _check_phone(phone)}, validate_token)
        self._call("POST", "/requestPasswordResetBySmsCode", body=body, phone=phone)

    def reset_password_by_sms_code(self, phone: str, code: str, password: str) -> None:
        """``PUT /resetPasswordBySmsCode/<code>``: set a new password; LeanCloud rotates the
        user's session token."""
        _check(isinstance(password, str) and password != "", "password")
        path = f"/resetPasswordBySmsCode/{_check_code(code)}"
        body = {"password": password, "mobilePhoneNumber": _check_phone(phone)}
        self._call("PUT", "/resetPasswordBySmsCode/<code>", path=path, body=body, phone=phone)

    # --- verifying, binding and changing a phone -------------------------------------------

    def request_mobile_phone_verify(self, phone: str, *, validate_token: str | None = None) -> None:
        """``POST /requestMobilePhoneVerify``: send a code to verify a user's phone."""
        body = _with_validate_token({"mobilePhoneNumber": _check_phone(phone)}, validate_token)
        self._call("POST", "/requestMobilePhoneVerify", body=body, phone=phone)

    def verify_mobile_phone(self, phone: str, code: str) -> None:
        """``POST /verifyMobilePhone/<code>``: mark the phone's user as verified."""
        path = f"/verifyMobilePhone/{_check_code(code)}"
        body = {"mobilePhoneNumber": _check_phone(phone)}
        self._call("POST", "/verifyMobilePhone/<code>", path=path, body=body, phone=phone)

    def request_change_phone_number(
        self,
        phone: str,
        *,
        session_token: str,
        ttl: int | None = None,
        validate_token: str | None = None,
    ) -> None:
        """``POST /requestChangePhoneNumber``: send a code to the new number of a signed-in
        user (``ttl`` in minutes; LeanCloud's default is 6)."""
        body: dict[str, Any] = {"mobilePhoneNumber": _check_phone(phone)}
        _with_ttl(body, ttl)
        _with_validate_token(body, validate_token)
        self._call(
            "POST", "/requestChangePhoneNumber", body=body, session_token=session_token, phone=phone
        )

    def change_phone_number(self, phone: str, code: str, *, session_token: str) -> None:
        """``POST /changePhoneNumber``: bind the new number once its code is confirmed."""
        body = {"mobilePhoneNumber": _check_phone(phone), "code": _check_code(code)}
        self._call(
            "POST", "/changePhoneNumber", body=body, session_token=session_token, phone=phone
        )

    # --- CAPTCHA ----------------------------------------------------------------------------

    def request_captcha(
        self,
        *,
        width: int | None = None,
        height: int | None = None,
        size: int | None = None,
        ttl: int | None = None,
    ) -> Captcha:
        """``GET /requestCaptcha``. ``size`` and ``ttl`` (seconds) need the master key."""
        values = {"width": width, "height": height, "size": size, "ttl": ttl}
        params = {k: str(v) for k, v in values.items() if v is not None}
        for value in values.values():
            _check(value is None or (isinstance(value, int) and value > 0), "captcha option")
        master = size is not None or ttl is not None
        body = self._call("GET", "/requestCaptcha", params=params, master=master).body
        token, url = body.get("captcha_token"), body.get("captcha_url")
        if not isinstance(token, str) or not CAPTCHA_TOKEN_RE.fullmatch(token):
            raise _incomplete("captcha_token")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise _incomplete("captcha_url")
        return Captcha(token=token, url=url)

    def verify_captcha(self, code: str, token: str) -> str:
        """``POST /verifyCaptcha``: returns the ``validate_token`` for an SMS request."""
        _check(isinstance(code, str) and 0 < len(code) <= 16, "captcha code")
        _check(isinstance(token, str) and CAPTCHA_TOKEN_RE.fullmatch(token) is not None, "token")
        body = {"captcha_code": code, "captcha_token": token}
        answer = self._call("POST", "/verifyCaptcha", body=body).body.get("validate_token")
        if not isinstance(answer, str) or not 0 < len(answer) <= 256:
            raise _incomplete("validate_token")
        return answer

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

    def iter_users(self, *, batch_size: int = 1000) -> Iterator[dict[str, Any]]:
        """Every ``_User`` object, page by page through :meth:`scan_users`."""
        cursor: str | None = None
        while True:
            page = self.scan_users(limit=batch_size, cursor=cursor)
            yield from page.results
            if page.cursor is None:
                return
            cursor = page.cursor


def _incomplete(field_name: str) -> LeanCloudBadResponse:
    return LeanCloudBadResponse(f"incomplete LeanCloud response: {field_name}")
