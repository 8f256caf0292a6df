"""System check ``lc_phone.E010``: the compat endpoints are served without ``APP_ID`` or
``APP_KEY``; and what such a site answers meanwhile (401 to everybody)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from django_lc_phone import checks as lc_checks
from django_lc_phone.leancloud.wire import HEADER_ID, HEADER_SIGN, compute_sign
from tests.app._api import lc_phone_settings
from tests.compat._wire import PHONE, assert_error
from tests.compat.conftest import APP_ID, LC, key_headers

HINT = (
    "Set APP_ID and APP_KEY to the values your apps already ship; until then every call to the "
    "/1.1/ endpoints is refused (an empty app key would let anybody sign one)."
)


def e010(keys: str) -> checks.Error:
    """The expected error, naming ``keys``."""
    return checks.Error(
        f"The LeanCloud-compatible endpoints (lc_compat) are served but LC_PHONE has no {keys}.",
        hint=HINT,
        id="lc_phone.E010",
    )


@pytest.mark.parametrize(
    ("overrides", "keys"),
    [
        ({"APP_ID": ""}, "APP_ID"),
        ({"APP_KEY": ""}, "APP_KEY"),
        ({"APP_ID": "", "APP_KEY": ""}, "APP_ID or APP_KEY"),
    ],
)
def test_e010_compat_served_without_credentials(overrides: dict[str, str], keys: str) -> None:
    with lc_phone_settings(**overrides):
        assert lc_checks.check_compat_credentials() == [e010(keys)]
        found = checks.run_checks(tags=[lc_checks.TAG])
        assert e010(keys) in found
        with pytest.raises(SystemCheckError, match=r"lc_phone\.E010"):
            call_command("check")


def test_no_e010_with_both_credentials() -> None:
    assert lc_checks.check_compat_credentials() == []
    assert "lc_phone.E010" not in {m.id for m in checks.run_checks(tags=[lc_checks.TAG])}


def test_no_e010_when_the_compat_urls_are_not_included(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.urls"  # the phone API and the admin, no /1.1/
    with lc_phone_settings(APP_ID="", APP_KEY=""):
        assert lc_checks.check_compat_credentials() == []


def test_no_e010_with_another_provider(settings: Any) -> None:
    """With LeanCloud as provider the compat URLs cannot be loaded (E001 covers its keys)."""
    settings.ROOT_URLCONF = "tests.urls"
    with lc_phone_settings(PROVIDER="leancloud", APP_KEY=""):
        assert lc_checks.check_compat_credentials() == []
        assert "lc_phone.E001" in {m.id for m in checks.run_checks(tags=[lc_checks.TAG])}


def test_a_compat_prefix_is_found_too(settings: Any) -> None:
    settings.ROOT_URLCONF = "tests.compat.test_checks"
    with lc_phone_settings(APP_KEY=""):
        assert lc_checks.check_compat_credentials() == [e010("APP_KEY")]


def __getattr__(name: str) -> Any:
    """This module is also a URLconf: compat under a prefix (built on use, as the compat URLs
    load only with the local provider)."""
    if name != "urlpatterns":
        raise AttributeError(name)
    from django.urls import include, path

    return [path("lc/", include("django_lc_phone.compat.urls"))]


# --- what the endpoints answer meanwhile ----------------------------------------------------


def test_an_empty_app_key_lets_nobody_in(lc: LC) -> None:
    """Without the guard, ``md5(timestamp)`` (the signature with an empty key) or an empty
    ``_ApplicationKey`` would pass as the app key."""
    with lc_phone_settings(APP_KEY=""):
        timestamp = 1_700_000_000_000
        forged = {HEADER_ID: APP_ID, HEADER_SIGN: f"{compute_sign('', timestamp)},{timestamp}"}
        body = {"mobilePhoneNumber": PHONE}
        assert_error(lc.post("requestSmsCode", body, headers=forged), 401)
        tunnelled = {**body, "_ApplicationId": APP_ID, "_ApplicationKey": ""}
        assert_error(lc.post("requestSmsCode", tunnelled, headers={}), 401)


def test_an_empty_app_id_lets_nobody_in(lc: LC) -> None:
    with lc_phone_settings(APP_ID=""):
        assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}), 401)
        headers = key_headers(app_id="")
        assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}, headers=headers), 401)
