"""The SMS-code, phone and CAPTCHA endpoints: requesting and checking codes of every purpose."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..values import Captcha
from ..wire import CAPTCHA_TOKEN_RE, REQUEST_SMS_CODE_KEYS
from .base import (
    ClientBase,
    SmsType,
    _check,
    _check_code,
    _check_phone,
    _incomplete,
    _with_ttl,
    _with_validate_token,
)


class CodeCalls(ClientBase):
    """requestSmsCode and friends: codes for sign-up, password reset, phone checks and changes."""

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
