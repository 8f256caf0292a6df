"""``lc_cutover_check``: each item OK, WARN or FAIL, the users it names by objectId, JSON, and
an exit code of 1 on any FAIL; it runs while LeanCloud is still the provider."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from django_lc_phone.cutover import readiness
from django_lc_phone.sms import locmem
from tests.app._api import lc_phone_settings

from ._users import imported, with_capture

NOW = timezone.now()
HOUR = timedelta(hours=1)
HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django_lc_phone.hashers.LeanCloudSHA512PasswordHasher",
]
LOCMEM = "django_lc_phone.sms.locmem.LocmemGateway"


@pytest.fixture
def ready_site(settings: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A site whose settings pass every item: compat at the root, LeanCloud's hasher, a
    limits cache that keeps them (as a Redis with noeviction would)."""
    settings.ROOT_URLCONF = "tests.compat.urls"
    settings.PASSWORD_HASHERS = HASHERS
    monkeypatch.setattr(readiness, "eviction", lambda alias: [])
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        yield


def _run(*args: str) -> tuple[int, str]:
    out = StringIO()
    try:
        call_command("lc_cutover_check", *args, stdout=out)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue()
    return 0, out.getvalue()


def _items(*args: str) -> dict[str, dict[str, Any]]:
    status, text = _run("--json", *args)
    body = json.loads(text)
    assert status == (1 if body["status"] == "FAIL" else 0)
    return {item["id"]: item for item in body["items"]}


def test_it_names_exactly_the_users_who_need_a_reset(ready_site: None) -> None:
    fine = with_capture("+8613800138001", "captured-1", NOW, lc_updated_at=NOW - HOUR)
    changed_upstream = with_capture("+8613800138002", "captured-2", NOW - HOUR, lc_updated_at=NOW)
    never_seen = imported("+8613800138003", lc_has_password=True)
    sms_only = imported("+8613800138004", lc_has_password=False)
    stranded = imported(None, lc_has_password=False)

    items = _items()
    resets = items["password_resets"]
    assert resets["status"] == "WARN"
    assert sorted(resets["object_ids"]) == sorted(
        [str(changed_upstream.lc_object_id), str(never_seen.lc_object_id)]
    )
    assert str(fine.lc_object_id) not in resets["object_ids"]
    assert str(sms_only.lc_object_id) not in resets["object_ids"]
    assert items["local_passwords"]["status"] == "WARN"
    assert items["local_passwords"]["summary"].startswith("2 of 3 users")
    assert items["no_way_in"]["object_ids"] == [str(stranded.lc_object_id)]


def test_a_ready_site_has_no_failure_and_exits_0(ready_site: None) -> None:
    with_capture("+8613800138001", "captured-1", NOW)
    status, text = _run()
    assert status == 0, text
    assert "OK   password_resets: 0 users" in text
    assert "OK   hasher:" in text
    assert "OK   compat:" in text
    assert "WARN refund:" in text  # always said: LeanCloud's refund deletes every app
    assert text.rstrip().endswith("lc_cutover_check: WARN")


def test_a_missing_hasher_fails_with_exit_code_1(ready_site: None, settings: Any) -> None:
    settings.PASSWORD_HASHERS = HASHERS[:1]
    status, text = _run()
    assert status == 1
    assert "FAIL hasher:" in text


def test_compat_not_at_the_root_is_a_warning_and_without_keys_a_failure(
    ready_site: None, settings: Any
) -> None:
    settings.ROOT_URLCONF = "tests.urls"
    assert _items()["compat"]["status"] == "WARN"
    settings.ROOT_URLCONF = "tests.compat.urls"
    with lc_phone_settings(APP_KEY=""):
        assert _items()["compat"]["status"] == "FAIL"


def test_on_leancloud_it_reports_users_and_a_cache_that_loses_the_limits(settings: Any) -> None:
    """Still on LeanCloud (the test settings' provider), before compat can be mounted."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.PASSWORD_HASHERS = HASHERS
    waiting = imported("+8613800138001", lc_has_password=True)
    items = _items()
    assert items["limits_cache"]["status"] == "FAIL"
    assert items["compat"]["status"] == "WARN"
    assert items["password_resets"]["object_ids"] == [str(waiting.lc_object_id)]


def test_a_urlconf_that_does_not_load_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    """compat's URLconf refuses to load while LeanCloud is the provider (in a fresh process
    the import raises; here the module is loaded already, so resolve() raises as it would)."""

    def refuse(path: str) -> None:
        raise ImproperlyConfigured("django_lc_phone.compat needs LC_PHONE['PROVIDER'] = 'local'")

    monkeypatch.setattr(readiness, "resolve", refuse)
    item = _items()["compat"]
    assert item["status"] == "FAIL"
    assert "PROVIDER" in item["summary"]


def test_the_test_send_goes_out_through_the_gateway(ready_site: None) -> None:
    locmem.outbox.clear()
    with lc_phone_settings(SMS_GATEWAY=LOCMEM):
        items = _items("--send-test-to", "+86 138 0013 8000")
    assert items["sms_test_send"]["status"] == "OK"
    assert "+8613800138000" not in items["sms_test_send"]["summary"]  # masked
    assert [m.phone for m in locmem.outbox] == ["+8613800138000"]
    assert items["sms_gateway"]["status"] == "WARN"  # locmem reaches no phone
    locmem.outbox.clear()


def test_without_a_test_number_nothing_is_sent(ready_site: None) -> None:
    locmem.outbox.clear()
    with lc_phone_settings(SMS_GATEWAY=LOCMEM):
        assert _items()["sms_test_send"]["status"] == "WARN"
    assert locmem.outbox == []


def test_a_template_gateway_needs_a_template_and_signature_per_purpose(ready_site: None) -> None:
    aliyun = "django_lc_phone.sms.aliyun.AliyunGateway"
    partial = {
        "access_key_id": "id",
        "access_key_secret": "secret",
        "sign_name": "Demo",
        "templates": {"generic": "SMS_1", "login": "SMS_2"},
    }
    with lc_phone_settings(SMS_GATEWAY=aliyun, SMS_GATEWAY_OPTIONS=partial):
        assert _items()["sms_templates"]["status"] == "OK"  # generic covers every purpose
    login_sign_only = {**partial, "sign_name": {"login": "Demo"}}
    with lc_phone_settings(SMS_GATEWAY=aliyun, SMS_GATEWAY_OPTIONS=login_sign_only):
        item = _items()["sms_templates"]
    assert item["status"] == "FAIL"
    assert "secret" not in json.dumps(item)


def test_an_unusable_gateway_fails_and_a_bad_number_is_refused(ready_site: None) -> None:
    with lc_phone_settings(SMS_GATEWAY="no.such.Gateway"):
        assert _items()["sms_gateway"]["status"] == "FAIL"
    with pytest.raises(CommandError, match="not a valid phone number"):
        call_command("lc_cutover_check", "--send-test-to", "12", stdout=StringIO())
