"""System check ``lc_phone.E011``: every ``LC_PHONE`` value is one its key takes, and no check
raises whatever a key holds (``manage.py check`` used to crash on ``PROVIDER = 42``)."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import override_settings

from django_lc_phone import checks as lc_checks
from django_lc_phone import conf
from django_lc_phone.checks import values as validation
from django_lc_phone.providers.base import PhoneAuthProvider
from tests.checks._checks import GOOD_LC_PHONE, configured, ids

pytestmark = pytest.mark.usefixtures("redis_never_evicts")

NAN = float("nan")


class ThirdPartyProvider(PhoneAuthProvider):
    """A provider of a project's own: it implements the protocol."""


class NotAGateway:
    """A class with none of an SMS gateway's methods."""


NOT_CALLABLE = 42

# Wrong values, by what the key takes. None is wrong where it does not switch a limit off.
NOT_STR = [42, 4.2, True, None, [], {}, b"bytes", object()]
NOT_STR_OR_NONE = [42, 4.2, True, [], {}, b"bytes", object()]
NOT_FLAG = [1, 0, "yes", "", None, [], object()]
NOT_COUNT = ["60", 0, -1, 1.5, NAN, True, [], {}, object()]  # None is off
NOT_POSITIVE = [*NOT_COUNT, None]
NOT_NATURAL = ["1", -1, 1.0, NAN, True, None, [], object()]
NOT_TIMEOUT = ["3", 0, -1.5, NAN, float("inf"), True, None, [], object()]
NOT_DOTTED_CALLABLE = [
    42,
    "",
    True,
    [],
    "no.such.factory",
    f"{__name__}.NOT_CALLABLE",
    object(),
]
NOT_NAMES = [42, [42], ("MOBILE", None), {}, {"MOBILE": 1}, None, True, "", object()]
WRONG: dict[str, list[Any]] = {
    "APP_ID": NOT_STR,
    "APP_KEY": NOT_STR,
    "MASTER_KEY": NOT_STR,
    "SERVER_URL": [
        "api.example.com",
        "https://api.example.com/1.1",
        "https://api.example.com/1.1/",
        "ftp://api.example.com",
        "https://",
        "https://api.example.com?app=1",
        "https://api.example.com#x",
        "https://api.example.com:port",
        *NOT_STR,
    ],
    "PROVIDER": [
        "collections.OrderedDict",
        f"{__name__}.NotAGateway",
        "django_lc_phone.providers",  # a module, not a class
        *NOT_STR,
    ],
    "DEFAULT_REGION": [86, "XX", "ZZ", "cn", "CHN", "", "001", True, [], ["CN"], object()],
    "CONNECT_TIMEOUT": NOT_TIMEOUT,
    "READ_TIMEOUT": NOT_TIMEOUT,
    "MAX_CONNECT_RETRIES": NOT_NATURAL,
    "POOL_MAXSIZE": NOT_POSITIVE,
    "HTTP_SESSION_FACTORY": NOT_DOTTED_CALLABLE,
    "TOKEN_ISSUER": [*NOT_STR, "no.such.Issuer"],
    "LAST_LOGIN_PRECISION": NOT_NATURAL,
    "SMS_TEMPLATES": [42, [42], ["Order_Notice", None], {}, None, True, "", object()],
    "SMS_SIGN": NOT_STR_OR_NONE,
    "ALLOW_VOICE": NOT_FLAG,
    "SMS_USE_MASTER_KEY": NOT_FLAG,
    "STORE_SESSION_TOKEN": NOT_FLAG,
    "CAPTURE_PASSWORDS": NOT_FLAG,
    "SMS_GATEWAY": ["collections.OrderedDict", f"{__name__}.NotAGateway", *NOT_STR],
    "SMS_GATEWAY_OPTIONS": [42, "x", [], None, True, {1: "x"}, [("key", "x")], object()],
    "CAPTCHA_VERIFIER_OPTIONS": [42, "x", [], None, True, {1: "x"}, [("key", "x")], object()],
    "CODE_TTL_MINUTES": NOT_POSITIVE,
    "CAPTCHA_VERIFIER": ["collections.OrderedDict", f"{__name__}.NotAGateway", *NOT_STR],
    "TEST_NUMBERS": [42, "x", [], None, True, [("+8613800000000", {})], object()],
    "PHONE_CHANGE_NOTICE": [1, 0, "yes", "", [], object()],
    "PHONE_CHANGE_NOTICE_TEMPLATE": [*NOT_STR, ""],
    "PHONE_CHANGE_NOTICE_TEXT": [42, True, [], "", "%(name)s", "%(site)d", "100%", b"x"],
    "SITE_NAME": NOT_STR,
    "MAX_BODY_BYTES": NOT_POSITIVE,
    "ALLOWED_REGIONS": [
        ["ZZ"],
        "ZZ",
        "XX",
        86,
        [86],
        ["CN", "*"],
        ["CN", None],
        {},
        True,
        object(),
    ],
    "CODE_NUMBER_TYPES": [*NOT_NAMES, [], (), ["MOBILE", "CELL"]],
    "BLOCKED_NUMBER_TYPES": [*NOT_NAMES, ["PREMIUM"]],
    "TRUSTED_PROXIES": NOT_NATURAL,
    "IPV6_PREFIX": [31, 129, 0, -64, "64", 64.0, True, None, NAN, []],
    "SMS_RESEND_COOLDOWN": NOT_COUNT,
    "SMS_RESEND_BACKOFF": [[], (), 60, "60", [60, 0], [60, "120"], [60, 1.5], [86401], [True]],
    "SMS_PER_PHONE_HOUR": NOT_COUNT,
    "SMS_PER_PHONE_DAY": NOT_COUNT,
    "SMS_PER_IP_MINUTE": NOT_COUNT,
    "SMS_PER_IP_HOUR": NOT_COUNT,
    "SMS_PER_PREFIX_HOUR": NOT_COUNT,
    "PUMPING_MIN_SENDS": NOT_COUNT,
    "PUMPING_MIN_VERIFIED_RATIO": [0, -0.1, 1.01, NAN, float("inf"), "0.2", True, None, []],
    "PUMPING_PREFIX_DROP_DIGITS": [3, 13, 0, "6", 6.0, True, None, []],
    "SMS_BUDGET_HOUR": NOT_COUNT,
    "SMS_BUDGET_DAY": NOT_COUNT,
    "CODE_ATTEMPTS": NOT_COUNT,
    "CODE_ATTEMPTS_WINDOW": NOT_POSITIVE,
    "PASSWORD_ATTEMPTS": NOT_COUNT,
    "PASSWORD_ATTEMPTS_WINDOW": NOT_POSITIVE,
    "ATTEMPTS_PER_IP_MINUTE": NOT_COUNT,
    "FAILURES_PER_NUMBER": NOT_COUNT,
    "FAILURES_PER_NUMBER_WINDOW": NOT_POSITIVE,
    "CAPTCHA_AFTER_FAILURES": NOT_COUNT,
    "CAPTCHA_ATTEMPTS_PER_IP_MINUTE": NOT_COUNT,
    "RENAMES_PER_HOUR": NOT_COUNT,
    "CAPTCHA_REQUIRED": NOT_FLAG,
    "CAPTCHA_AFTER_SENDS_PER_IP": NOT_COUNT,
    "CIRCUIT_FAILURES": NOT_COUNT,
    "CIRCUIT_RESET_TIMEOUT": NOT_POSITIVE,
    "CACHE": [*NOT_STR, "no-such-alias"],
    "CACHE_ALIAS": [*NOT_STR_OR_NONE, "no-such-alias"],
    "SIGN_MAX_AGE": NOT_COUNT,
    "COMPAT_USERNAME_SIGNUP": NOT_FLAG,
    "SEND_IN_BACKGROUND": NOT_FLAG,
    "TASK_BACKEND": NOT_STR,
    "CLOCK": NOT_DOTTED_CALLABLE,
}


def test_every_setting_has_wrong_values_here_and_a_rule_there() -> None:
    assert set(WRONG) == set(conf.DEFAULTS)
    assert set(validation.RULES) == set(conf.DEFAULTS)


def _all_messages(lc_phone: Any) -> tuple[list[checks.CheckMessage], str]:
    """Every check's messages, and what ``manage.py check`` prints, for ``LC_PHONE``."""
    with configured(), override_settings(LC_PHONE=lc_phone):
        found = checks.run_checks()
        out, err = io.StringIO(), io.StringIO()
        # CRITICAL: print the errors instead of raising SystemCheckError for them.
        call_command("check", fail_level="CRITICAL", stdout=out, stderr=err)
    return found, out.getvalue() + err.getvalue()


def assert_reported_once(lc_phone: dict[str, Any], key: str, *values: Any) -> None:
    """With ``key`` set to each of ``values``, no check raises, one error names the key, and
    every other message is one ``lc_phone`` has too (so no check needed its safety net, E014;
    some that read the key go quiet)."""
    setting = f"LC_PHONE[{key!r}]"
    correct, _ = _all_messages(lc_phone)
    for value in values:
        found, printed = _all_messages({**lc_phone, key: value})
        naming = [m for m in found if setting in m.msg and m.level >= checks.ERROR]
        assert len(naming) == 1, (value, found)
        assert setting in printed, value
        assert [m for m in found if setting not in m.msg and m not in correct] == [], value


@pytest.mark.parametrize("key", sorted(WRONG))
def test_no_check_raises_and_one_error_names_every_wrong_value(key: str) -> None:
    assert_reported_once(GOOD_LC_PHONE, key, *WRONG[key])


@pytest.mark.parametrize(
    ("given", "key", "value"),
    [
        ({"PROVIDER": "local"}, "SMS_GATEWAY", 42),
        ({"PROVIDER": "local"}, "SMS_GATEWAY", None),
        ({"PROVIDER": "local"}, "CAPTCHA_VERIFIER", []),
        ({"SMS_USE_MASTER_KEY": True}, "MASTER_KEY", []),
        ({"MASTER_KEY": ""}, "SMS_USE_MASTER_KEY", "yes"),
        ({"ALLOWED_REGIONS": None}, "DEFAULT_REGION", "cn"),
        ({"ALLOWED_REGIONS": None}, "DEFAULT_REGION", 86),
        ({"SERVER_URL": "http://api.example.com"}, "PROVIDER", 42),
        ({"APP_ID": ""}, "PROVIDER", "collections.OrderedDict"),
    ],
)
def test_the_checks_that_read_a_wrong_value_leave_it_to_e011(
    given: dict[str, Any], key: str, value: Any
) -> None:
    assert_reported_once({**GOOD_LC_PHONE, **given}, key, value)


@pytest.mark.parametrize("value", [42, "x", [], (("APP_KEY", "k"),), None, object()])
def test_lc_phone_itself_must_be_a_dict(value: Any) -> None:
    found, printed = _all_messages(value)
    e011 = [m for m in found if m.id == "lc_phone.E011"]
    assert [m.msg for m in e011] == [
        f"LC_PHONE is a value of type {type(value).__name__}: it must be a dict."
    ]
    assert "LC_PHONE is a value of type" in printed
    assert "lc_phone.E014" not in ids(found)


def test_keys_that_are_not_strings_are_unknown_keys() -> None:
    found, _ = _all_messages({**GOOD_LC_PHONE, 42: "x", ("APP", "ID"): 1})
    assert [m.msg for m in found if m.id == "lc_phone.W001"] == [
        "LC_PHONE has unknown keys: ('APP', 'ID'), 42."
    ]


HINT = "docs/settings.md says what each key takes; the checks that read this key wait for it."


def e011(setting: str, value: str, expected: str) -> checks.Error:
    return checks.Error(
        f"{setting} is {value}: it must be {expected}.", hint=HINT, id="lc_phone.E011"
    )


PROVIDER_TAKES = (
    "'leancloud', 'local' or the dotted path of a class implementing "
    "django_lc_phone.providers.base.PhoneAuthProvider"
)
REGION_TAKES = "None, or a region code phonenumbers supports, in capitals, e.g. 'CN'"
URL_TAKES = (
    "'' or an http(s) URL with a host and no /1.1 suffix, query or fragment, "
    "e.g. 'https://api.example.com'"
)


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("PROVIDER", 42, PROVIDER_TAKES),
        ("PROVIDER", "collections.OrderedDict", PROVIDER_TAKES),
        ("DEFAULT_REGION", 86, REGION_TAKES),
        ("DEFAULT_REGION", "XX", REGION_TAKES),
        ("SERVER_URL", "api.example.com", URL_TAKES),
        ("SERVER_URL", "https://api.example.com/1.1", URL_TAKES),
        ("SMS_RESEND_COOLDOWN", "60", "an int >= 1, or None (off)"),
        (
            "ALLOWED_REGIONS",
            ["ZZ"],
            "None, '*', or a list of region codes phonenumbers supports, e.g. ['CN']",
        ),
        ("IPV6_PREFIX", 16, "an int from 32 to 128"),
        ("CONNECT_TIMEOUT", NAN, "a positive, finite number of seconds"),
        ("SIGN_MAX_AGE", True, "an int >= 1, or None (off)"),
        ("CODE_ATTEMPTS_WINDOW", None, "an int >= 1"),
    ],
)
def test_e011_what_finding_16_found(key: str, value: Any, expected: str) -> None:
    """Each passed ``manage.py check`` (or crashed it) before; the message says what to write."""
    with configured(), override_settings(LC_PHONE={**GOOD_LC_PHONE, key: value}):
        assert lc_checks.check_values() == [e011(f"LC_PHONE[{key!r}]", repr(value), expected)]
        # Reported once: the checks that read the key leave it alone.
        assert ids(checks.run_checks(tags=[lc_checks.TAG])) == ["lc_phone.E011"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("APP_KEY", ["the-app-key"]),
        ("MASTER_KEY", b"the-master-key"),
        ("SMS_GATEWAY_OPTIONS", [("access_key_secret", "the-gateway-secret")]),
        ("SMS_GATEWAY_OPTIONS", {1: "the-gateway-secret"}),
        ("CAPTCHA_VERIFIER_OPTIONS", [("secret_key", "the-vendor-secret")]),
    ],
)
def test_e011_names_only_the_type_of_a_secret(key: str, value: Any) -> None:
    found, printed = _all_messages({**GOOD_LC_PHONE, key: value})
    assert [m for m in found if m.id == "lc_phone.E011"] == [
        e011(
            f"LC_PHONE[{key!r}]",
            f"a value of type {type(value).__name__}",
            validation.RULES[key].expected,
        )
    ]
    assert "the-" not in printed
    assert "the-" not in repr(found)


def test_e011_lc_phone_is_not_echoed_either() -> None:
    found, printed = _all_messages([("APP_KEY", "the-app-key")])
    assert "the-app-key" not in printed
    assert "the-app-key" not in repr(found)


def test_e011_a_long_value_is_shortened() -> None:
    with configured(APP_ID="x" * 500, SMS_SIGN=["x" * 500]):  # type: ignore[arg-type]
        [message] = lc_checks.check_values()
    assert len(message.msg) < 200
    assert message.msg.startswith("LC_PHONE['SMS_SIGN'] is ['xxx")


def test_every_default_and_the_suite_s_own_settings_follow_the_rules() -> None:
    for key, default in conf.DEFAULTS.items():
        assert validation.RULES[key].accepts(default), key
    assert lc_checks.check_values() == []  # tests/settings.py


RIGHT: list[tuple[str, Any]] = [
    ("SERVER_URL", ""),
    ("SERVER_URL", "http://127.0.0.1:8765"),
    ("SERVER_URL", "https://api.example.com/"),
    ("SERVER_URL", "https://lc.example.com/prefix"),
    ("PROVIDER", "leancloud"),
    ("PROVIDER", "local"),
    ("PROVIDER", "django_lc_phone.providers.leancloud.LeanCloudProvider"),
    ("PROVIDER", f"{__name__}.ThirdPartyProvider"),
    ("DEFAULT_REGION", None),
    ("DEFAULT_REGION", "CN"),
    ("ALLOWED_REGIONS", None),
    ("ALLOWED_REGIONS", "*"),
    ("ALLOWED_REGIONS", ["*"]),
    ("ALLOWED_REGIONS", "cn"),
    ("ALLOWED_REGIONS", ("CN", "hk")),
    ("ALLOWED_REGIONS", {"GB"}),
    ("SMS_TEMPLATES", "Order_Notice"),
    ("SMS_TEMPLATES", ["Order_Notice", "Shipped"]),
    ("SMS_TEMPLATES", ()),
    ("CODE_NUMBER_TYPES", "MOBILE"),
    ("CODE_NUMBER_TYPES", ["MOBILE", "VOIP"]),
    ("BLOCKED_NUMBER_TYPES", []),
    ("CONNECT_TIMEOUT", 1),
    ("READ_TIMEOUT", 0.5),
    ("MAX_CONNECT_RETRIES", 0),
    ("TRUSTED_PROXIES", 2),
    ("IPV6_PREFIX", 32),
    ("IPV6_PREFIX", 128),
    ("SMS_RESEND_COOLDOWN", None),
    ("SMS_RESEND_COOLDOWN", 1),
    ("SMS_RESEND_BACKOFF", None),
    ("SMS_RESEND_BACKOFF", [60, 120, 300]),
    ("SMS_RESEND_BACKOFF", (30,)),
    ("PUMPING_MIN_SENDS", None),
    ("PUMPING_MIN_VERIFIED_RATIO", 1),
    ("PUMPING_MIN_VERIFIED_RATIO", 0.05),
    ("PUMPING_PREFIX_DROP_DIGITS", 4),
    ("SIGN_MAX_AGE", None),
    ("HTTP_SESSION_FACTORY", "requests.Session"),
    ("CLOCK", "time.monotonic"),
    ("SMS_GATEWAY", "django_lc_phone.sms.twilio.TwilioGateway"),
    ("SMS_GATEWAY_OPTIONS", {"account_sid": "x", "auth_token": "y"}),
    ("CAPTCHA_VERIFIER_OPTIONS", {"site_key": "x", "secret_key": "y"}),
    ("SMS_SIGN", "Example"),
    ("CACHE_ALIAS", None),
    ("ALLOW_VOICE", True),
    ("COMPAT_USERNAME_SIGNUP", True),
]


@pytest.mark.parametrize(("key", "value"), RIGHT)
def test_no_e011_for_values_a_key_takes(key: str, value: Any) -> None:
    with configured(), override_settings(LC_PHONE={**GOOD_LC_PHONE, key: value}):
        assert lc_checks.check_values() == []


def test_a_check_that_crashes_reports_e014_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def crash() -> bool:
        raise RuntimeError("the-secret-in-an-exception")

    monkeypatch.setattr(lc_checks.providers, "compat_served", crash)
    with configured(PROVIDER="local", APP_KEY=""):
        found = checks.run_checks(tags=[lc_checks.TAG])
    assert (
        checks.Error(
            "The system check check_compat_credentials crashed (RuntimeError).",
            hint="This is a bug in django-lc-phone: please report it. Calling "
            "django_lc_phone.checks.check_compat_credentials() in manage.py shell shows the "
            "traceback.",
            id="lc_phone.E014",
        )
        in found
    )
    assert "lc_phone.W005" in ids(found)  # the console gateway in production: still reported
    assert "the-secret" not in repr(found)
