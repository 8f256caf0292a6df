"""Choosing the gateway by dotted path, and the development gateways: console, locmem, file."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_lc_phone import sms
from django_lc_phone.sms import _common, locmem
from django_lc_phone.sms.base import SmsGateway, SmsMessage
from django_lc_phone.sms.console import ConsoleGateway
from django_lc_phone.sms.file import FileGateway
from django_lc_phone.sms.locmem import LocmemGateway
from tests.sms.conftest import CODE, PHONE_CN, code_message


def lc_phone(**changes: Any) -> dict[str, Any]:
    return {**settings.LC_PHONE, **changes}


# --- get_gateway ------------------------------------------------------------------------


def test_default_gateway_is_the_console() -> None:
    gateway = sms.get_gateway()
    assert isinstance(gateway, ConsoleGateway)
    assert sms.get_gateway() is gateway  # cached


def test_gateway_is_built_from_the_dotted_path_and_options(tmp_path: Path) -> None:
    path = tmp_path / "sms.jsonl"
    with override_settings(
        LC_PHONE=lc_phone(
            SMS_GATEWAY="django_lc_phone.sms.file.FileGateway",
            SMS_GATEWAY_OPTIONS={"path": str(path)},
        )
    ):
        gateway = sms.get_gateway()
        assert isinstance(gateway, FileGateway)
        assert gateway.path == path
    # conf's setting_changed receiver reset the cache when the override ended.
    assert isinstance(sms.get_gateway(), ConsoleGateway)


def test_reset_gateway_builds_a_new_instance() -> None:
    first = sms.get_gateway()
    sms.reset_gateway()
    assert sms.get_gateway() is not first


def test_one_instance_for_concurrent_first_calls() -> None:
    seen: list[SmsGateway] = []
    barrier = threading.Barrier(8)

    def build() -> None:
        barrier.wait()
        seen.append(sms.get_gateway())

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(gateway) for gateway in seen}) == 1


@pytest.mark.parametrize(
    ("path", "options", "message"),
    [
        ("django_lc_phone.sms.nowhere.Gateway", {}, "cannot import"),
        ("django_lc_phone.sms.console.ConsoleGateway", {"colour": "red"}, "colour"),
        ("django_lc_phone.sms.file.FileGateway", {}, "set path"),
        ("django_lc_phone.sms.base.SmsMessage", {}, "SmsMessage"),
        ("django.utils.timezone.now", {}, "not an SMS gateway"),
    ],
)
def test_misconfigured_gateways_raise_improperly_configured(
    path: str, options: dict[str, Any], message: str
) -> None:
    with (
        override_settings(LC_PHONE=lc_phone(SMS_GATEWAY=path, SMS_GATEWAY_OPTIONS=options)),
        pytest.raises(ImproperlyConfigured, match=message),
    ):
        sms.get_gateway()


def test_errors_name_options_but_never_show_their_values() -> None:
    with pytest.raises(ImproperlyConfigured) as caught:
        sms.build_gateway(
            "django_lc_phone.sms.aliyun.AliyunGateway",
            {"access_key_id": "id-value", "access_key_secret": "", "templates": {}},
        )
    text = str(caught.value)
    assert "access_key_secret" in text
    assert "sign_name" in text
    assert "id-value" not in text


@pytest.mark.parametrize(
    ("path", "options", "module", "extra"),
    [
        (
            "django_lc_phone.sms.aliyun.AliyunGateway",
            {"access_key_id": "i", "access_key_secret": "s", "sign_name": "S"},
            "alibabacloud_dysmsapi20170525.client",
            "aliyun",
        ),
        (
            "django_lc_phone.sms.tencent.TencentGateway",
            {"secret_id": "i", "secret_key": "s", "sdk_app_id": "1"},
            "tencentcloud.sms.v20210111.sms_client",
            "tencent",
        ),
        (
            "django_lc_phone.sms.twilio.TwilioGateway",
            {"account_sid": "AC1", "auth_token": "t", "from_": "+15005550006"},
            "twilio.rest",
            "twilio",
        ),
    ],
)
def test_a_missing_sdk_names_the_pip_extra(
    monkeypatch: pytest.MonkeyPatch, path: str, options: dict[str, Any], module: str, extra: str
) -> None:
    monkeypatch.setitem(sys.modules, module, None)  # makes the import fail
    options = {**options, "templates": {"generic": "T1"}} if extra != "twilio" else options
    with pytest.raises(ImproperlyConfigured, match=rf"pip install 'django-lc-phone\[{extra}\]'"):
        sms.build_gateway(path, options)


def test_template_tables_need_a_generic_entry() -> None:
    with pytest.raises(ImproperlyConfigured, match="generic"):
        sms.build_gateway(
            "django_lc_phone.sms.aliyun.AliyunGateway",
            {
                "access_key_id": "i",
                "access_key_secret": "s",
                "sign_name": "S",
                "templates": {"login": "SMS_1"},
            },
        )


def test_template_choice_by_purpose_with_generic_fallback() -> None:
    table = {"generic": "G", "login": "L", "Order_Notice": "O"}
    assert _common.choose(table, code_message()) == "L"
    assert _common.choose(table, code_message(purpose="reset_password")) == "G"
    assert _common.choose(table, code_message(template="Order_Notice")) == "O"
    # A site template that is not mapped never borrows the code template.
    assert _common.choose(table, code_message(template="Other")) is None
    assert _common.choose("ONE", code_message(template="Other")) == "ONE"


# --- console ------------------------------------------------------------------------------


def test_console_prints_one_line_with_a_masked_number_and_the_text() -> None:
    stream = io.StringIO()
    gateway = ConsoleGateway(stream=stream)
    gateway.send(code_message(text=f"Your code is {CODE}.\nForged line"))
    output = stream.getvalue()
    assert output == (f"[sms] +86138****8000 login (sms): Your code is {CODE}. Forged line\n")
    assert PHONE_CN not in output


def test_console_writes_to_stdout_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleGateway().send(code_message(channel="voice", template="Order_Notice"))
    out = capsys.readouterr().out
    assert out.startswith("[sms] +86138****8000 login (voice) template=Order_Notice: ")
    assert CODE in out


def test_console_keeps_the_last_messages() -> None:
    gateway = ConsoleGateway(stream=io.StringIO(), keep=3)
    messages = [code_message(code=str(n)) for n in range(5)]
    for message in messages:
        gateway.send(message)
    assert gateway.recent() == messages[2:]
    gateway.clear()
    assert gateway.recent() == []
    assert ConsoleGateway.supports_voice


def test_console_is_thread_safe() -> None:
    stream = io.StringIO()
    gateway = ConsoleGateway(stream=stream, keep=1000)

    def send(n: int) -> None:
        for i in range(50):
            gateway.send(code_message(code=f"{n}-{i}"))

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(gateway.recent()) == 400
    assert len(stream.getvalue().splitlines()) == 400


# --- locmem -------------------------------------------------------------------------------


def test_locmem_appends_to_the_module_outbox() -> None:
    with override_settings(
        LC_PHONE=lc_phone(SMS_GATEWAY="django_lc_phone.sms.locmem.LocmemGateway")
    ):
        gateway = sms.get_gateway()
        assert gateway.supports_voice
        message = code_message()
        gateway.send(message)
        assert locmem.outbox == [message]


def test_locmem_outbox_can_be_rebound(monkeypatch: pytest.MonkeyPatch) -> None:
    mine: list[SmsMessage] = []
    monkeypatch.setattr(locmem, "outbox", mine)
    LocmemGateway().send(code_message())
    assert len(mine) == 1


def test_locmem_is_thread_safe() -> None:
    gateway = LocmemGateway()

    def send() -> None:
        for _ in range(100):
            gateway.send(code_message())

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(locmem.outbox) == 800


# --- file ---------------------------------------------------------------------------------


def test_file_appends_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "out" / "sms.jsonl"
    gateway = FileGateway(path=path)
    gateway.send(code_message())
    gateway.send(code_message(template="Order_Notice", variables={"order": "A1"}, channel="voice"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    assert first["phone"] == PHONE_CN
    assert first["code"] == CODE
    assert first["purpose"] == "login"
    assert first["channel"] == "sms"
    assert first["text"].startswith("Your login code")
    assert first["sent_at"].endswith("+00:00")
    second = gateway.read()[1]
    assert second["template"] == "Order_Notice"
    assert second["variables"] == {"order": "A1"}
    assert second["channel"] == "voice"


@pytest.mark.skipif(os.name != "posix", reason="file modes")
def test_file_is_private_to_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "sms.jsonl"
    FileGateway(path=str(path)).send(code_message())
    assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_file_lines_do_not_interleave_across_threads(tmp_path: Path) -> None:
    gateway = FileGateway(path=tmp_path / "sms.jsonl")

    def send() -> None:
        for _ in range(50):
            gateway.send(code_message(text="x" * 2000))

    threads = [threading.Thread(target=send) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(gateway.read()) == 300
