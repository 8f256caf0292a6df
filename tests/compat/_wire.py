"""Helpers of the compat wire tests: numbers, the user shape, error checks, a sign-up."""

from __future__ import annotations

import re

from django_lc_phone.leancloud.wire import ERRORS
from tests.compat.conftest import LC, last_code

PHONE = "+8613800138000"
OTHER = "+8613900139000"
PASSWORD = "first-Password-1"
NEW_PASSWORD = "second-Password-2"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
USER_KEYS = {
    "username", "emailVerified", "mobilePhoneVerified", "objectId", "createdAt", "updatedAt",
    "mobilePhoneNumber", "sessionToken",
}  # fmt: skip


def assert_error(response: object, code: int, status: int | None = None) -> None:
    """A LeanCloud error: its status, and exactly ``{"code", "error"}``."""
    expected = status if status is not None else ERRORS[code].status
    assert response.status_code == expected, response.content  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert set(body) == {"code", "error"}
    assert body["code"] == code
    if code in ERRORS and code != 1:
        assert body["error"] == ERRORS[code].message


def signup(lc: LC, phone: str = PHONE, **extra: str) -> dict[str, object]:
    """Sign up ``phone`` by code through the compat endpoints (201)."""
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": phone}).status_code == 200
    answer = lc.post(
        "usersByMobilePhone", {"mobilePhoneNumber": phone, "smsCode": last_code(phone), **extra}
    )
    assert answer.status_code == 201, answer.content
    body: dict[str, object] = answer.json()
    return body
