"""The auth backends through django.contrib.auth.authenticate(), and the admin's login form."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import authenticate, get_user_model, user_login_failed
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from django_lc_phone.exceptions import ProviderTimeout, ProviderUnavailable
from django_lc_phone.models import PhoneProfile
from tests import upstream
from tests.app._api import (
    NATIONAL,
    OTHER,
    PASSWORD,
    PHONE,
    code,
    make_unverified,
    post,
    received,
    signup,
)

User = get_user_model()
SCRUBBED = "*" * 20  # django.contrib.auth._clean_credentials


@pytest.fixture
def request_() -> Any:
    return RequestFactory().post("/login/")


def test_password_backend_signs_in(request_: Any, lc: upstream.CountingApp) -> None:
    body = signup(APIClient(), password=PASSWORD)
    lc.calls.clear()
    user = authenticate(request_, phone=PHONE, password=PASSWORD)
    assert user is not None
    assert str(user.pk) == body["user"]["id"]
    assert user.backend == "django_lc_phone.backends.PhonePasswordBackend"
    assert lc.calls == [("POST", "/1.1/login")]
    again = authenticate(request_, phone=NATIONAL, password=PASSWORD)
    assert again is not None
    assert again.pk == user.pk


def test_code_backend_signs_in(request_: Any, lc: upstream.CountingApp) -> None:
    signup(APIClient())
    assert post(APIClient(), "login/sms-code/", {"phone": PHONE}).status_code == 202
    lc.calls.clear()
    user = authenticate(request_, phone=PHONE, sms_token=code(PHONE))
    assert user is not None
    assert user.backend == "django_lc_phone.backends.PhoneCodeBackend"
    assert lc.calls == [("POST", "/1.1/login")]


def test_a_wrong_password_returns_none_and_scrubs_the_failure_signal(
    request_: Any, lc: upstream.CountingApp
) -> None:
    signup(APIClient(), password=PASSWORD)
    lc.calls.clear()
    with received(user_login_failed) as failed:
        assert authenticate(request_, phone=PHONE, password="wrong-Password-9") is None
    assert len(failed) == 1
    assert failed[0]["credentials"] == {"phone": PHONE, "password": SCRUBBED}
    assert failed[0]["request"] is request_
    assert lc.calls == [("POST", "/1.1/login")]


def test_a_wrong_code_returns_none_and_scrubs_the_failure_signal(
    request_: Any, lc: upstream.CountingApp
) -> None:
    signup(APIClient())
    lc.calls.clear()
    with received(user_login_failed) as failed:
        assert authenticate(request_, phone=PHONE, sms_token="123456") is None
    assert failed[0]["credentials"] == {"phone": PHONE, "sms_token": SCRUBBED}
    assert lc.calls == [("POST", "/1.1/login")]
    assert "123456" not in repr(failed)


def test_unknown_numbers_return_none(request_: Any, lc: upstream.CountingApp) -> None:
    assert authenticate(request_, phone=OTHER, password=PASSWORD) is None
    assert authenticate(request_, phone=OTHER, sms_token="123456") is None
    assert lc.calls == [("POST", "/1.1/login")] * 2


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "alice", "password": PASSWORD},
        {"username": "", "password": PASSWORD},
        {"phone": "not a phone", "password": PASSWORD},
        {"phone": PHONE, "password": ""},
        {"phone": PHONE, "password": None},
        {"phone": PHONE, "sms_token": None},
        {"phone": PHONE, "sms_token": 123456},
        {"phone": PHONE},
        {"phone": None, "sms_token": "123456"},
    ],
)
def test_nothing_goes_upstream_without_a_phone_and_a_secret(
    request_: Any, lc: upstream.CountingApp, credentials: dict[str, Any]
) -> None:
    assert authenticate(request_, **credentials) is None
    assert lc.calls == []


def test_a_code_that_is_not_six_digits_is_refused_locally(
    request_: Any, lc: upstream.CountingApp
) -> None:
    with received(user_login_failed) as failed:
        assert authenticate(request_, phone=PHONE, sms_token="../users/me") is None
    assert len(failed) == 1
    assert lc.calls == []


def test_a_local_password_user_still_signs_in_with_model_backend(
    request_: Any, lc: upstream.CountingApp
) -> None:
    User.objects.create_user(username="alice", password=PASSWORD)
    user = authenticate(request_, username="alice", password=PASSWORD)
    assert user is not None
    assert user.backend == "django.contrib.auth.backends.ModelBackend"
    assert lc.calls == []


@pytest.mark.parametrize(
    ("kind", "error"),
    [("drop", ProviderUnavailable), ("http_error", ProviderUnavailable), ("hang", ProviderTimeout)],
)
def test_an_outage_raises_out_of_authenticate(
    request_: Any, lc: upstream.CountingApp, kind: str, error: type[Exception]
) -> None:
    signup(APIClient(), password=PASSWORD)
    upstream.EMULATOR.arm_fault(kind, count=2, status=503)
    with received(user_login_failed) as failed:
        with pytest.raises(error):
            authenticate(request_, phone=PHONE, password=PASSWORD)
        with pytest.raises(error):
            authenticate(request_, phone=PHONE, sms_token="123456")
    assert failed == []  # an outage is not a failed login


def test_an_unverified_phone_can_sign_in_with_its_password(
    request_: Any, lc: upstream.CountingApp
) -> None:
    make_unverified(PHONE)
    user = authenticate(request_, phone=PHONE, password=PASSWORD)
    assert user is not None
    assert PhoneProfile.objects.get(user=user).phone_verified is False


def test_an_inactive_user_is_refused(request_: Any, lc: upstream.CountingApp) -> None:
    signup(APIClient(), password=PASSWORD)
    User.objects.update(is_active=False)
    with received(user_login_failed) as failed:
        assert authenticate(request_, phone=PHONE, password=PASSWORD) is None
    assert len(failed) == 1


def test_get_user(lc: upstream.CountingApp) -> None:
    from django_lc_phone.backends import PhoneCodeBackend, PhonePasswordBackend

    body = signup(APIClient())
    pk = int(body["user"]["id"])
    for backend in (PhoneCodeBackend(), PhonePasswordBackend()):
        found = backend.get_user(pk)
        assert found is not None
        assert found.pk == pk
        assert backend.get_user(pk + 1000) is None
    User.objects.update(is_active=False)
    assert PhonePasswordBackend().get_user(pk) is None


# --- the admin's login form ----------------------------------------------------------------------


@pytest.mark.parametrize("typed", [PHONE, NATIONAL, "+86 138 0013 8000"])
def test_staff_log_into_the_admin_with_phone_and_password(
    lc: upstream.CountingApp, typed: str
) -> None:
    body = signup(APIClient(), password=PASSWORD)
    User.objects.filter(pk=body["user"]["id"]).update(is_staff=True)
    lc.calls.clear()
    browser = Client()
    response = browser.post("/admin/login/?next=/admin/", {"username": typed, "password": PASSWORD})
    assert response.status_code == 302, response.content
    assert response["Location"] == "/admin/"
    assert browser.session["_auth_user_id"] == body["user"]["id"]
    backend = "django_lc_phone.backends.PhonePasswordBackend"
    assert browser.session["_auth_user_backend"] == backend
    assert lc.calls == [("POST", "/1.1/login")]
    assert browser.get("/admin/").status_code == 200
    profile = PhoneProfile.objects.get()
    assert str(profile.user_id) == body["user"]["id"]
    assert profile.phone_e164 == PHONE


def test_non_staff_and_wrong_passwords_stay_out_of_the_admin(lc: upstream.CountingApp) -> None:
    signup(APIClient(), password=PASSWORD)
    browser = Client()
    for password in (PASSWORD, "wrong-Password-9"):
        response = browser.post("/admin/login/", {"username": PHONE, "password": password})
        assert response.status_code == 200  # the form again, with its error
        assert "_auth_user_id" not in browser.session


@pytest.mark.parametrize("kind", ["drop", "http_error"])
def test_an_outage_during_an_admin_login_is_a_refused_login_not_a_500(
    lc: upstream.CountingApp, kind: str
) -> None:
    body = signup(APIClient(), password=PASSWORD)
    User.objects.filter(pk=body["user"]["id"]).update(is_staff=True)
    upstream.EMULATOR.arm_fault(kind, count=1, status=503)
    with received(user_login_failed) as failed:
        response = Client().post("/admin/login/", {"username": PHONE, "password": PASSWORD})
    assert response.status_code == 200  # the form again, not a server error
    assert len(failed) == 1
    assert failed[0]["credentials"]["password"] == SCRUBBED
