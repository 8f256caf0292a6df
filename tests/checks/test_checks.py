"""The system checks, by id, compared as exact ``CheckMessage`` objects (axes style)."""

from __future__ import annotations

import importlib.util
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core import checks
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.test import modify_settings, override_settings

from django_lc_phone import checks as lc_checks
from django_lc_phone.backends import PhonePasswordBackend
from django_lc_phone.providers.base import PhoneAuthProvider
from tests.checks._checks import (
    GOOD_LC_PHONE,
    LOCMEM_CACHE,
    MODEL_BACKEND_ONLY,
    configured,
    ids,
    lc_phone_messages,
)

# SHARED_CACHE's Redis answers as one that never evicts (tests/app_fixtures.py).
pytestmark = pytest.mark.usefixtures("redis_never_evicts")

E001_HINT = "Set APP_ID, APP_KEY and SERVER_URL (your app's bound API domain)."
E002_HINT = "Use 'leancloud' or the dotted path of a PhoneAuthProvider class."
E004_HINT = (
    "Use 'authtoken', 'session', 'simplejwt' (with djangorestframework-simplejwt installed) "
    "or the dotted path of a TokenIssuer class."
)


class OtherProvider(PhoneAuthProvider):
    """A provider that is not LeanCloud's: it needs no LeanCloud credentials."""


class MyPhonePasswordBackend(PhonePasswordBackend):
    """A project's own subclass of one of our backends."""


# --- a correct configuration ------------------------------------------------------------------


def test_a_correct_configuration_has_no_message() -> None:
    with configured():
        assert lc_phone_messages() == []
        call_command("check", "--fail-level", "WARNING", "--tag", lc_checks.TAG)


def test_every_check_is_registered_with_the_lc_phone_tag() -> None:
    broken = configured(APP_ID=None, TOKEN_ISSUER="no.such.Issuer", APP_KEYS="typo")
    with broken, override_settings(CACHES=LOCMEM_CACHE):
        with override_settings(AUTHENTICATION_BACKENDS=MODEL_BACKEND_ONLY):
            found = ids(lc_phone_messages())
        assert found == [
            "lc_phone.E001",
            "lc_phone.E004",
            "lc_phone.E012",
            "lc_phone.E020",
            "lc_phone.W001",
            "lc_phone.W002",
        ]
        with pytest.raises(SystemCheckError, match=r"lc_phone\.E001"):
            call_command("check")
    with configured(SERVER_URL="http://api.example.com"):
        assert ids(lc_phone_messages()) == ["lc_phone.W003"]
    with (
        configured(PROVIDER="no.such.Provider"),
        modify_settings(INSTALLED_APPS={"remove": ["rest_framework.authtoken"]}),
    ):
        assert ids(lc_phone_messages()) == ["lc_phone.E002", "lc_phone.E003"]


def test_the_test_settings_warn_only_about_http_and_maybe_the_cache() -> None:
    """The suite's own settings: an http emulator URL, and locmem unless Redis is there."""
    expected = ["lc_phone.W003"]
    if settings.CACHES["default"]["BACKEND"].endswith(".LocMemCache"):
        expected.append("lc_phone.E012")
    assert ids(lc_phone_messages()) == sorted(expected)


# --- E001: credentials ------------------------------------------------------------------------


def test_e001_missing_credentials() -> None:
    with configured(APP_ID=None, APP_KEY=""):
        assert lc_checks.check_credentials() == [
            checks.Error(
                "LC_PHONE is missing APP_ID, APP_KEY for the LeanCloud provider.",
                hint=E001_HINT,
                id="lc_phone.E001",
            )
        ]
    with configured(SERVER_URL=None):
        assert lc_checks.check_credentials() == [
            checks.Error(
                "LC_PHONE is missing SERVER_URL for the LeanCloud provider.",
                hint=E001_HINT,
                id="lc_phone.E001",
            )
        ]


def test_e001_without_lc_phone_at_all() -> None:
    with override_settings(LC_PHONE={}):
        assert lc_checks.check_credentials() == [
            checks.Error(
                "LC_PHONE is missing APP_ID, APP_KEY, SERVER_URL for the LeanCloud provider.",
                hint=E001_HINT,
                id="lc_phone.E001",
            )
        ]


def test_e001_applies_to_leancloud_named_by_its_dotted_path() -> None:
    path = "django_lc_phone.providers.leancloud.LeanCloudProvider"
    with configured(PROVIDER=path, APP_KEY=None):
        assert [m.msg for m in lc_checks.check_credentials()] == [
            "LC_PHONE is missing APP_KEY for the LeanCloud provider."
        ]


def test_e001_not_for_another_provider() -> None:
    with configured(PROVIDER=f"{__name__}.OtherProvider", APP_ID=None, APP_KEY=None):
        assert lc_checks.check_credentials() == []
        assert lc_phone_messages() == []


# --- E002: provider -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "provider", ["no.such.Provider", "leancloudx", f"{__name__}.MissingProvider"]
)
def test_e002_provider_cannot_be_imported(provider: str) -> None:
    with configured(PROVIDER=provider):
        assert lc_checks.check_provider() == [
            checks.Error(
                f"LC_PHONE['PROVIDER'] {provider!r} cannot be imported.",
                hint=E002_HINT,
                id="lc_phone.E002",
            )
        ]
        # Credentials and the URL are LeanCloud's business: not reported for an unknown provider.
        assert lc_checks.check_credentials() == []


@pytest.mark.parametrize("provider", ["leancloud", f"{__name__}.OtherProvider"])
def test_e002_not_for_importable_providers(provider: str) -> None:
    with configured(PROVIDER=provider):
        assert lc_checks.check_provider() == []


# --- E003 / E004: token issuer ------------------------------------------------------------------


def test_e003_authtoken_issuer_without_the_app() -> None:
    with configured(), modify_settings(INSTALLED_APPS={"remove": ["rest_framework.authtoken"]}):
        assert lc_checks.check_token_issuer() == [
            checks.Error(
                "LC_PHONE['TOKEN_ISSUER'] is 'authtoken' but rest_framework.authtoken is not "
                "installed.",
                hint="Add 'rest_framework.authtoken' to INSTALLED_APPS or choose another "
                "TOKEN_ISSUER.",
                id="lc_phone.E003",
            )
        ]
        with configured(TOKEN_ISSUER="session"):
            assert lc_checks.check_token_issuer() == []


def test_e004_issuer_cannot_be_imported() -> None:
    with configured(TOKEN_ISSUER="no.such.Issuer"):
        assert lc_checks.check_token_issuer() == [
            checks.Error(
                "LC_PHONE['TOKEN_ISSUER'] 'no.such.Issuer' cannot be imported.",
                hint=E004_HINT,
                id="lc_phone.E004",
            )
        ]


def test_e004_simplejwt_issuer_without_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "rest_framework_simplejwt" else real_find_spec(name, *args)

    with configured(TOKEN_ISSUER="simplejwt"):
        assert lc_checks.check_token_issuer() == []  # installed with the test extra
        monkeypatch.setattr(importlib.util, "find_spec", find_spec)
        assert lc_checks.check_token_issuer() == [
            checks.Error(
                "LC_PHONE['TOKEN_ISSUER'] 'simplejwt' cannot be imported.",
                hint=E004_HINT,
                id="lc_phone.E004",
            )
        ]


@pytest.mark.parametrize(
    "issuer", ["authtoken", "session", "simplejwt", "django_lc_phone.tokens.SessionIssuer"]
)
def test_no_issuer_message_for_working_issuers(issuer: str) -> None:
    with configured(TOKEN_ISSUER=issuer):
        assert lc_checks.check_token_issuer() == []


# --- W001: unknown keys -------------------------------------------------------------------------


def test_w001_unknown_keys() -> None:
    with override_settings(LC_PHONE={**GOOD_LC_PHONE, "APP_KEYS": "x", "SERVER_URL ": "y"}):
        assert lc_checks.check_unknown_keys() == [
            checks.Warning(
                "LC_PHONE has unknown keys: APP_KEYS, SERVER_URL .",
                hint="Check the spelling against docs/settings.md.",
                id="lc_phone.W001",
            )
        ]
    with configured():
        assert lc_checks.check_unknown_keys() == []


# --- W002: backends -----------------------------------------------------------------------------


def test_w002_no_phone_backend() -> None:
    with configured(), override_settings(AUTHENTICATION_BACKENDS=MODEL_BACKEND_ONLY):
        assert lc_checks.check_backends() == [
            checks.Warning(
                "No django_lc_phone backend is in AUTHENTICATION_BACKENDS.",
                hint="Add 'django_lc_phone.backends.PhoneCodeBackend' and/or "
                "'django_lc_phone.backends.PhonePasswordBackend'.",
                id="lc_phone.W002",
            )
        ]


@pytest.mark.parametrize(
    "backend",
    [
        "django_lc_phone.backends.PhoneCodeBackend",
        "django_lc_phone.backends.PhonePasswordBackend",
        f"{__name__}.MyPhonePasswordBackend",
    ],
)
def test_w002_not_with_a_phone_backend_or_a_subclass(backend: str) -> None:
    with configured(), override_settings(AUTHENTICATION_BACKENDS=[*MODEL_BACKEND_ONLY, backend]):
        assert lc_checks.check_backends() == []


def test_w002_ignores_broken_paths_and_other_backends() -> None:
    paths = ["no.such.Backend", f"{ModelBackend.__module__}.ModelBackend"]
    with configured(), override_settings(AUTHENTICATION_BACKENDS=paths):
        assert [m.id for m in lc_checks.check_backends()] == ["lc_phone.W002"]


# --- W003: http SERVER_URL ----------------------------------------------------------------------

W003 = checks.Warning(
    "LC_PHONE['SERVER_URL'] is not https while DEBUG is off.",
    hint="LeanCloud credentials and session tokens must not travel in clear text.",
    id="lc_phone.W003",
)


@pytest.mark.parametrize("url", ["http://api.example.com", "HTTP://api.example.com/"])
def test_w003_server_url_not_https_with_debug_off(url: str) -> None:
    with configured(SERVER_URL=url):
        assert lc_checks.check_server_url() == [W003]


@pytest.mark.parametrize("url", ["api.example.com", "ftp://x.example"])
def test_w003_leaves_a_url_that_is_not_http_to_e011(url: str) -> None:
    with configured(SERVER_URL=url):
        assert lc_checks.check_server_url() == []
        assert ids(lc_phone_messages()) == ["lc_phone.E011"]


def test_w003_not_with_debug_on_https_or_another_provider() -> None:
    with configured(SERVER_URL="http://api.example.com", debug=True):
        assert lc_checks.check_server_url() == []
    with configured(SERVER_URL="HTTPS://api.example.com"):
        assert lc_checks.check_server_url() == []
    with configured(SERVER_URL="http://api.example.com", PROVIDER=f"{__name__}.OtherProvider"):
        assert lc_checks.check_server_url() == []


# --- W009: LeanCloud without a master key (admin re-sync, lc_import_users --from-api) ------------


def test_w009_leancloud_without_the_master_key() -> None:
    with configured(MASTER_KEY=""):
        assert lc_checks.check_master_key_features() == [
            checks.Warning(
                "LC_PHONE['MASTER_KEY'] is not set: the admin's re-sync from LeanCloud and "
                "manage.py lc_import_users --from-api will fail.",
                hint="Set MASTER_KEY to your LeanCloud app's master key (from its settings "
                "page), or add lc_phone.W009 to SILENCED_SYSTEM_CHECKS if you use neither.",
                id="lc_phone.W009",
            )
        ]


def test_no_w009_when_the_master_key_is_set() -> None:
    with configured(MASTER_KEY="the-master-key"):
        assert lc_checks.check_master_key_features() == []


def test_no_w009_for_the_local_provider() -> None:
    with configured(PROVIDER="local", MASTER_KEY=""):
        assert lc_checks.check_master_key_features() == []


# --- E005: master-key SMS without a master key --------------------------------------------------


def test_e005_master_key_sms_without_the_master_key() -> None:
    with configured(SMS_USE_MASTER_KEY=True, MASTER_KEY=""):
        assert lc_checks.check_master_key() == [
            checks.Error(
                "LC_PHONE['SMS_USE_MASTER_KEY'] is on but LC_PHONE['MASTER_KEY'] is empty.",
                hint="Set MASTER_KEY, or turn SMS_USE_MASTER_KEY off.",
                id="lc_phone.E005",
            )
        ]
    with configured(SMS_USE_MASTER_KEY=True):
        assert lc_checks.check_master_key() == []
    with configured(SMS_USE_MASTER_KEY=False, MASTER_KEY=""):
        assert lc_checks.check_master_key() == []


# --- E006-E008: where codes may go, and the limits' cache ----------------------------------------


@pytest.mark.parametrize("regions", [[], ()])
def test_e006_no_country_may_receive_codes(regions: list[str]) -> None:
    with configured(ALLOWED_REGIONS=regions):  # type: ignore[arg-type]
        assert lc_checks.check_sms_destinations() == [
            checks.Error(
                "No country may receive codes: LC_PHONE['ALLOWED_REGIONS'] is empty.",
                hint="Set ALLOWED_REGIONS (e.g. ['CN']) or DEFAULT_REGION; '*' allows every "
                "country, which invites SMS pumping.",
                id="lc_phone.E006",
            )
        ]


def test_e006_neither_allowed_regions_nor_a_default_region() -> None:
    with configured(ALLOWED_REGIONS=None):
        assert ids(lc_checks.check_sms_destinations()) == ["lc_phone.E006"]


@pytest.mark.parametrize(
    "options",
    [{"ALLOWED_REGIONS": None, "DEFAULT_REGION": "CN"}, {"ALLOWED_REGIONS": "*"}],
)
def test_e006_not_with_a_default_region_or_every_country(options: dict[str, Any]) -> None:
    with configured(**options):
        assert lc_checks.check_sms_destinations() == []


def test_e007_unknown_number_types() -> None:
    with configured(BLOCKED_NUMBER_TYPES=["PREMIUM_RATE", "PREMIUM"]):  # type: ignore[arg-type]
        assert lc_checks.check_sms_destinations() == [
            checks.Error(
                "LC_PHONE['BLOCKED_NUMBER_TYPES'] has unknown types: PREMIUM.",
                hint="Use names of phonenumbers.PhoneNumberType, e.g. 'PREMIUM_RATE'.",
                id="lc_phone.E007",
            )
        ]


def test_e007_unknown_types_that_may_receive_codes() -> None:
    with configured(CODE_NUMBER_TYPES=("MOBILE", "mobile", "CELL")):  # type: ignore[arg-type]
        assert lc_checks.check_sms_destinations() == [
            checks.Error(
                "LC_PHONE['CODE_NUMBER_TYPES'] has unknown types: mobile, CELL.",
                hint="Use names of phonenumbers.PhoneNumberType, e.g. 'PREMIUM_RATE'.",
                id="lc_phone.E007",
            )
        ]
    with configured(CODE_NUMBER_TYPES="MOBILE"):  # a lone name is one name
        assert lc_checks.check_sms_destinations() == []


def test_e008_the_limits_cache_is_not_configured() -> None:
    with configured(CACHE="limits"):
        assert lc_checks.check_cache() == [
            checks.Error(
                "LC_PHONE['CACHE'] 'limits' is not in CACHES.",
                hint="Name one of the aliases in CACHES (a cache every worker shares).",
                id="lc_phone.E008",
            )
        ]


# --- E009 / W005: the local provider -------------------------------------------------------------


def test_e009_the_local_provider_s_gateway_and_verifier_must_import() -> None:
    with configured(PROVIDER="local", SMS_GATEWAY="nowhere.Gateway", CAPTCHA_VERIFIER="no.Such"):
        assert ids(lc_checks.check_local_provider()) == ["lc_phone.E009", "lc_phone.E009"]
        assert "nowhere.Gateway" in str(lc_checks.check_local_provider()[0].msg)


@pytest.mark.parametrize("gateway", ["console.ConsoleGateway", "locmem.LocmemGateway"])
def test_w005_a_development_gateway_in_production(gateway: str) -> None:
    path = f"django_lc_phone.sms.{gateway}"
    with configured(PROVIDER="local", SMS_GATEWAY=path):
        assert lc_checks.check_local_provider() == [
            checks.Warning(
                f"The local provider's SMS gateway is {path!r} while DEBUG is off: no SMS "
                "reaches anyone.",
                hint="Configure a real gateway (aliyun, tencent, twilio, webhook) in SMS_GATEWAY "
                "for production.",
                id="lc_phone.W005",
            )
        ]
    with configured(debug=True, PROVIDER="local", SMS_GATEWAY=path):
        assert lc_checks.check_local_provider() == []


def test_the_local_provider_needs_no_leancloud_credentials() -> None:
    gateway = "django_lc_phone.sms.twilio.TwilioGateway"
    with configured(PROVIDER="local", SMS_GATEWAY=gateway, APP_ID=None, APP_KEY=None):
        assert lc_checks.check_credentials() == []
        assert lc_checks.check_local_provider() == []
