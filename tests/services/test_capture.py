"""Password capture: a hash of each password LeanCloud accepts is kept (after its success, with
the site's hasher), is never used to sign anyone in while LeanCloud is the provider, and is
never logged or returned."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from django_lc_phone.models import PhoneProfile
from django_lc_phone.services import capture
from tests.app._api import (
    NEW_PASSWORD,
    PASSWORD,
    PHONE,
    code,
    cool_down,
    lc_phone_settings,
    post,
    profile,
    request_code,
    signup,
)


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password capture hashes (the cost a login pays), counted."""
    made: list[str] = []

    def counting(password: str) -> str:
        made.append(password)
        return make_password(password)

    monkeypatch.setattr("django_lc_phone.services.capture.make_password", counting)
    return made


def _login(api: APIClient, password: str, phone: str = PHONE) -> Any:
    return post(api, "login/", {"phone": phone, "password": password})


def test_a_sign_up_with_a_password_captures_it_with_the_sites_hasher(api: APIClient) -> None:
    signup(api, password=PASSWORD)
    row = profile()
    assert row.captured_password.startswith("md5$")  # tests/settings.py's PASSWORD_HASHERS
    assert check_password(PASSWORD, row.captured_password)
    assert row.password_captured_at is not None
    assert row.lc_has_password is True
    # Captured apart: the local user's own password stays unusable, as LeanCloud owns it.
    assert not row.user.has_usable_password()


def test_a_sign_up_without_a_password_captures_nothing(api: APIClient) -> None:
    signup(api)
    row = profile()
    assert row.captured_password == ""
    assert row.password_captured_at is None
    assert row.lc_has_password is None


def test_a_login_captures_once_and_again_after_leancloud_changed_the_user(
    api: APIClient, hashes: list[str]
) -> None:
    signup(api, password=PASSWORD)
    # As a user the site linked before captures began: no capture yet.
    PhoneProfile.objects.filter(phone=PHONE).update(captured_password="", lc_has_password=None)
    hashes.clear()
    assert _login(api, PASSWORD).status_code == 200
    assert hashes == [PASSWORD]
    first = profile().captured_password
    assert check_password(PASSWORD, first)

    assert _login(api, PASSWORD).status_code == 200
    assert hashes == [PASSWORD]  # the capture is current: a login pays no second hash
    assert profile().captured_password == first

    # A delta import read a newer updatedAt: the password may have changed on LeanCloud.
    later = timezone.now() + timedelta(seconds=5)
    PhoneProfile.objects.filter(phone=PHONE).update(lc_updated_at=later)
    assert _login(api, PASSWORD).status_code == 200
    assert hashes == [PASSWORD, PASSWORD]
    recaptured = profile().password_captured_at
    assert recaptured is not None
    assert recaptured >= later - timedelta(seconds=5)


def test_a_refused_password_is_never_captured(api: APIClient, hashes: list[str]) -> None:
    signup(api, password=PASSWORD)
    hashes.clear()
    before = profile().captured_password
    assert _login(api, "not-the-Password-9").status_code == 401
    assert hashes == []
    assert profile().captured_password == before


def test_a_reset_captures_the_new_password(api: APIClient) -> None:
    signup(api, password=PASSWORD)
    first = profile().password_captured_at
    request = post(api, "password-reset/sms-code/", {"phone": PHONE})
    assert request.status_code == 202
    reset = post(
        api,
        "password-reset/",
        {"phone": PHONE, "code": code(PHONE), "password": NEW_PASSWORD},
    )
    assert reset.status_code == 200, reset.content
    row = profile()
    assert check_password(NEW_PASSWORD, row.captured_password)
    assert not check_password(PASSWORD, row.captured_password)
    assert first is not None
    assert row.password_captured_at is not None
    assert row.password_captured_at > first


def test_a_capture_never_signs_anyone_in_while_leancloud_is_the_provider(api: APIClient) -> None:
    """LeanCloud's answer decides; the captured hash is read by no backend (the API's login,
    authenticate(), the admin's login form with the number as username)."""
    signup(api, password=PASSWORD)
    cool_down()
    stale = PhoneProfile.objects.get(phone=PHONE)
    stale.captured_password = make_password("captured-Only-7")
    stale.save(update_fields=["captured_password"])

    assert _login(api, "captured-Only-7").status_code == 401
    browser = Client()
    assert not browser.login(username=PHONE, password="captured-Only-7")
    assert _login(api, PASSWORD).status_code == 200


def test_nothing_is_captured_when_the_setting_is_off(api: APIClient, hashes: list[str]) -> None:
    with lc_phone_settings(CAPTURE_PASSWORDS=False):
        signup(api, password=PASSWORD)
        assert _login(api, PASSWORD).status_code == 200
    assert hashes == []
    assert profile().captured_password == ""


def test_the_local_provider_captures_nothing(api: APIClient, hashes: list[str]) -> None:
    """Its users' passwords are the site's own already: a password login hashes nothing more."""
    user = get_user_model().objects.create_user(username=PHONE, password=PASSWORD)
    PhoneProfile.objects.create(user=user, phone=PHONE, phone_verified=True)
    with lc_phone_settings(
        PROVIDER="local", SMS_GATEWAY="django_lc_phone.sms.locmem.LocmemGateway"
    ):
        assert capture.captures() is False
        assert _login(api, PASSWORD).status_code == 200
    assert hashes == []
    assert profile().captured_password == ""


def test_a_capture_is_never_logged_or_returned(
    api: APIClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sms = request_code(api)
    answer = post(api, "signup/", {"phone": PHONE, "code": sms, "password": PASSWORD})
    cool_down()
    login = _login(api, PASSWORD)
    stored = profile().captured_password
    assert stored
    for text in (answer.content.decode(), login.content.decode(), caplog.text):
        assert PASSWORD not in text
        assert stored not in text
        assert stored.split("$")[-1] not in text
