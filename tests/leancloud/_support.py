"""Helpers shared by the client-against-emulator tests (imported, unlike conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import requests

from django_lc_phone.emulator import Emulator
from django_lc_phone.emulator import objects as emulator_objects
from django_lc_phone.emulator import users as emulator_users
from django_lc_phone.leancloud import LeanCloudClient, LeanCloudError
from django_lc_phone.leancloud.wire import ERRORS

MESSAGE_TOO_FAST = "SMS request too fast(1 request per 10s)."


@contextmanager
def lc_error(
    cls: type[LeanCloudError], code: int, *, status: int = 400, message: str | None = None
) -> Iterator[None]:
    """Expect exactly ``cls`` with LeanCloud's ``code``, ``status`` and message, sent."""
    with pytest.raises(LeanCloudError) as info:
        yield
    error = info.value
    assert type(error) is cls, repr(error)
    assert error.code == code
    assert error.status == status
    assert error.request_sent is True
    assert error.message == (ERRORS[code].message if message is None else message)


@dataclass(frozen=True)
class Made:
    """A user put straight into the emulator's store."""

    object_id: str
    session_token: str


def make_user(
    emulator: Emulator,
    phone: str | None = None,
    *,
    verified: bool = True,
    password: str | None = None,
    username: str | None = None,
) -> Made:
    """Insert a user without any HTTP call (and without spending SMS limits)."""
    fields: dict[str, object] = {"username": username or phone or "someone"}
    if phone is not None:
        fields.update({"mobilePhoneNumber": phone, "mobilePhoneVerified": verified})
    with emulator.store.transaction() as db:
        user = emulator_users.new_user(fields, emulator.clock.now())
        if password is not None:
            emulator_users.set_password(user, password)
        emulator_users.store_new(db, user)
    return Made(user["objectId"], user["_sessionToken"])


def user_fields(emulator: Emulator, object_id: str) -> dict[str, object]:
    """The stored user, private fields included."""
    with emulator.store.transaction() as db:
        user = emulator_objects.load(db, emulator_objects.USER, object_id)
    assert user is not None
    return user


def captcha_answer(server_url: str, token: str) -> str:
    """The answer of a CAPTCHA challenge, read through the emulator's test controls."""
    answer = requests.get(f"{server_url}/emulator/v1/captchas/{token}", timeout=5)
    assert answer.status_code == 200
    code = answer.json()["captcha_code"]
    assert isinstance(code, str)
    return code


def validate_token(client: LeanCloudClient, server_url: str) -> str:
    """A fresh ``validate_token`` from a solved CAPTCHA."""
    captcha = client.request_captcha()
    return client.verify_captcha(captcha_answer(server_url, captcha.token), captcha.token)


def sms_signup(
    client: LeanCloudClient, emulator: Emulator, phone: str, **fields: str
) -> tuple[str, str]:
    """Sign a phone up through the client; returns (objectId, sessionToken)."""
    client.request_sms_code(phone)
    result = client.signup_or_login_by_mobile_phone(phone, emulator.last_code(phone), **fields)
    assert result.created is True
    assert result.user.session_token is not None
    return result.user.object_id, result.user.session_token
