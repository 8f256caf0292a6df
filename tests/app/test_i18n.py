"""Translations: the shipped zh_Hans catalog is complete and compiled, API ``detail`` texts and
the admin follow the request's language (LocaleMiddleware), error ``code``s stay English.

The catalog is read from the installed package (so the wheel job checks what the wheel ships).
"""

from __future__ import annotations

import gettext
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from rest_framework.test import APIClient

import django_lc_phone
from django_lc_phone.models import PhoneProfile
from django_lc_phone.sms import locmem
from django_lc_phone.sms.base import PURPOSES, Purpose
from tests.app._api import PHONE, lc_phone_settings, post, url

LOCALE = Path(django_lc_phone.__file__).resolve().parent / "locale"
PO = LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}
# Entries whose translation is the English text itself (a product name and its field name).
SAME_IN_CHINESE = frozenset({"LeanCloud objectId"})
_PLACEHOLDER = re.compile(r"%\([A-Za-z_]\w*\)[sdif]|%[sdif]|\{[A-Za-z_]\w*\}")
_HAN = re.compile(r"[\u4e00-\u9fff]")
# Han characters and CJK (full-width) punctuation.
_CJK = re.compile(r"[\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]")


# --- the catalog ------------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        return (self.msgctxt, self.msgid, self.msgid_plural)


def _unquote(text: str) -> str:
    return text[1:-1].encode("latin-1", "backslashreplace").decode("unicode_escape")


def parse_po(path: Path) -> list[Entry]:
    """A tiny .po reader: enough for the entries ``makemessages`` writes."""
    entries: list[Entry] = []
    entry = Entry()
    target: tuple[str, int] | None = None
    seen = False

    def close() -> None:
        nonlocal entry, seen, target
        if seen:
            entries.append(entry)
        entry, seen, target = Entry(), False, None

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line:
            close()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            continue
        if line.startswith("#,"):
            entry.flags |= {flag.strip() for flag in line[2:].split(",")}
            continue
        if line.startswith("#"):
            continue
        match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if match:
            seen = True
            keyword, index, value = match.groups()
            target = (keyword.split("[")[0], int(index or 0))
            text = _unquote(value)
        elif line.startswith('"') and target is not None:
            text = _unquote(line)
        else:
            raise AssertionError(f"unexpected line in {path.name}: {raw!r}")
        keyword, index = target
        if keyword == "msgstr":
            entry.msgstr[index] = entry.msgstr.get(index, "") + text
        elif keyword == "msgid":
            entry.msgid += text
        elif keyword == "msgid_plural":
            entry.msgid_plural = (entry.msgid_plural or "") + text
        else:
            entry.msgctxt = (entry.msgctxt or "") + text
    close()
    return entries


def _messages(entries: list[Entry]) -> list[Entry]:
    """The translatable entries: neither the header nor obsolete ones."""
    return [e for e in entries if e.msgid and not e.obsolete]


def _placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def test_the_catalog_header_is_simplified_chinese_with_one_plural_form() -> None:
    header = next(e for e in parse_po(PO) if not e.msgid)
    assert "fuzzy" not in header.flags
    assert "Language: zh_Hans\n" in header.msgstr[0]
    assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstr[0]
    assert "charset=UTF-8" in header.msgstr[0]


def test_every_entry_is_translated_not_fuzzy_and_keeps_its_placeholders() -> None:
    entries = _messages(parse_po(PO))
    assert len(entries) > 50
    problems = []
    for entry in entries:
        if "fuzzy" in entry.flags:
            problems.append(("fuzzy", entry.msgid))
        # nplurals=1: exactly one msgstr, also for plural entries.
        if sorted(entry.msgstr) != [0] or not entry.msgstr[0].strip():
            problems.append(("untranslated", entry.msgid))
            continue
        translated = entry.msgstr[0]
        chinese = _CJK.search(translated) and translated != entry.msgid
        if not chinese and entry.msgid not in SAME_IN_CHINESE:
            problems.append(("not Chinese", entry.msgid))
        wanted = _placeholders(entry.msgid_plural or entry.msgid)
        if entry.msgid_plural is not None:
            # The singular may spell out "one" instead of %(count)d; the plural may not.
            assert set(_placeholders(entry.msgid)) <= set(wanted), entry.msgid
        if _placeholders(translated) != wanted:
            problems.append(("placeholders", entry.msgid))
    assert problems == []


def test_the_compiled_catalog_matches_the_po_file() -> None:
    """The shipped .mo says what the .po says (run ``compilemessages`` after editing it)."""
    with MO.open("rb") as stream:
        compiled: dict[Any, str] = dict(gettext.GNUTranslations(stream)._catalog)  # type: ignore[attr-defined]
    compiled.pop("", None)  # the header
    expected: dict[Any, str] = {}
    for entry in _messages(parse_po(PO)):
        msgid = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is None:
            expected[msgid] = entry.msgstr[0]
        else:
            expected[(msgid, 0)] = entry.msgstr[0]
    assert compiled == expected


def _run_makemessages(root: Path) -> Path:
    """``makemessages -l zh_Hans`` over a copy of the package, without the shipped catalog."""
    package = root / "django_lc_phone"
    shutil.copytree(
        LOCALE.parent, package, ignore=shutil.ignore_patterns("locale", "__pycache__", "*.py[co]")
    )
    (package / "locale").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=package,
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return package / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_no_message_in_the_code_is_missing_from_the_catalog(tmp_path: Path) -> None:
    """A new (or changed) translatable string fails here until the catalog has it, and a
    string no longer in the code fails until it is taken out (``makemessages``)."""
    if shutil.which("xgettext") is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("GNU gettext (xgettext) is needed to check the catalog")
        pytest.skip("GNU gettext (xgettext) is not installed")
    fresh = {e.key for e in _messages(parse_po(_run_makemessages(tmp_path)))}
    shipped = {e.key for e in _messages(parse_po(PO))}
    assert sorted(fresh - shipped, key=str) == [], "not in the catalog: run makemessages"
    assert sorted(shipped - fresh, key=str) == [], "no longer in the code: run makemessages"


# --- the API ----------------------------------------------------------------------------------


def _error(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    assert response["Content-Language"] in ("en", "zh-hans")
    return str(body["detail"])


@pytest.mark.parametrize(
    ("headers", "language"),
    [
        ({}, "en"),
        ({"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}, "zh-hans"),
        ({"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.8"}, "zh-hans"),
        ({"HTTP_ACCEPT_LANGUAGE": "zh"}, "zh-hans"),
        ({"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}, "en"),
        ({"HTTP_ACCEPT_LANGUAGE": "fr-FR"}, "en"),  # not shipped: LANGUAGE_CODE
    ],
)
def test_the_answer_follows_accept_language(
    api: APIClient, headers: dict[str, str], language: str
) -> None:
    response = post(api, "sms-code/", {"phone": "12"}, **headers)
    detail = _error(response, 400, "invalid_phone")
    assert response["Content-Language"] == language
    expected = {"en": "Enter a valid phone number.", "zh-hans": "请输入有效的手机号码。"}
    assert detail == expected[language]


def test_a_bad_phone_and_a_bad_code_in_chinese_keep_their_english_codes(api: APIClient) -> None:
    bad_phone = post(api, "signup/", {"phone": "not a phone", "code": "123456"}, **ZH)
    assert _error(bad_phone, 400, "invalid_phone") == "请输入有效的手机号码。"
    # Field errors are Chinese too (they come from the same catalog).
    assert bad_phone.json()["errors"]["phone"] == ["请输入有效的手机号码。"]
    bad_code = post(api, "sms-code/verify/", {"phone": PHONE, "code": "000000"}, **ZH)
    assert _error(bad_code, 400, "invalid_code") == "验证码无效或已过期。"
    malformed = post(api, "login/", {"phone": PHONE}, **ZH)
    assert _error(malformed, 400, "invalid") == "无效的输入。"
    assert malformed.json()["errors"]["non_field_errors"] == ["请提供验证码或密码（二选一）。"]


def test_a_success_detail_is_chinese_too(api: APIClient) -> None:
    response = post(api, "sms-code/", {"phone": PHONE}, **ZH)
    assert response.status_code == 202, response.content
    assert response.json() == {
        "code": "code_sent",
        "detail": "如果该号码可以接收验证码，验证码已发送。",
    }


def test_a_rate_limited_answer_in_chinese(api: APIClient) -> None:
    assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
    again = post(api, "sms-code/", {"phone": PHONE}, **ZH)
    assert _error(again, 429, "sms_rate_limited") == "获取验证码过于频繁，请稍后再试。"
    assert again["Retry-After"]
    english = post(api, "sms-code/", {"phone": PHONE})
    assert _error(english, 429, "sms_rate_limited") == "Too many codes. Try again later."


def test_drf_errors_follow_the_language_too(api: APIClient) -> None:
    """Not signed in: DRF's own message, from DRF's zh_Hans catalog; the code stays English."""
    response = api.get(url("me/"), HTTP_ACCEPT_LANGUAGE="zh-Hans")
    detail = _error(response, 401, "not_authenticated")
    assert _HAN.search(detail), detail
    english = api.get(url("me/"))
    assert _error(english, 401, "not_authenticated") == (
        "Authentication credentials were not provided."
    )


def test_one_language_never_leaks_into_the_next_request(api: APIClient) -> None:
    """The texts are translated per answer (lazily), never once at import or in a cache."""
    for headers, text in [
        (ZH, "验证码无效或已过期。"),
        ({}, "The code is invalid or has expired."),
        (ZH, "验证码无效或已过期。"),
    ]:
        response = post(api, "sms-code/verify/", {"phone": PHONE, "code": "000000"}, **headers)
        assert _error(response, 400, "invalid_code") == text


# --- the SMS text (local provider) ------------------------------------------------------------


@pytest.fixture
def local_provider() -> Any:
    locmem.outbox.clear()
    with lc_phone_settings(
        PROVIDER="local", SMS_GATEWAY="django_lc_phone.sms.locmem.LocmemGateway"
    ):
        yield
    locmem.outbox.clear()


def test_the_code_sms_is_in_the_language_of_the_request(
    api: APIClient, local_provider: None
) -> None:
    assert post(api, "sms-code/", {"phone": PHONE}, **ZH).status_code == 202
    (message,) = locmem.outbox
    assert message.code
    assert message.text == f"您的验证码为 {message.code}，10 分钟内有效。"


def test_the_code_sms_is_english_by_default_with_the_plural_of_its_ttl(
    api: APIClient, local_provider: None
) -> None:
    with lc_phone_settings(
        PROVIDER="local",
        SMS_GATEWAY="django_lc_phone.sms.locmem.LocmemGateway",
        CODE_TTL_MINUTES=1,
    ):
        assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
    (message,) = locmem.outbox
    assert message.text == f"Your verification code is {message.code}. It expires in 1 minute."


@pytest.mark.parametrize("purpose", PURPOSES)
def test_every_code_text_has_its_translation(purpose: Purpose) -> None:
    from django_lc_phone.providers.local import _TEXTS

    values = {"code": "123456", "ttl": 5}
    with translation.override("zh-hans"):
        chinese = _TEXTS[purpose] % values
    with translation.override("en"):
        english = _TEXTS[purpose] % values
    assert "123456" in chinese
    assert "5 分钟" in chinese
    assert _HAN.search(chinese)
    assert not _HAN.search(english)


# --- the admin --------------------------------------------------------------------------------


@pytest.fixture
def staff_client() -> Client:
    user = get_user_model().objects.create_superuser(
        **{get_user_model().USERNAME_FIELD: "root@example.com"}, password="x" * 12
    )
    client = Client()
    client.force_login(user)
    return client


def test_the_phone_profile_admin_in_chinese(staff_client: Client) -> None:
    owner = get_user_model().objects.create_user(
        **{get_user_model().USERNAME_FIELD: "owner@example.com"}
    )
    PhoneProfile.objects.create(user=owner, phone=PHONE, lc_object_id="5d831ad3f40d3a0007541fbc")
    changelist = reverse("admin:lc_phone_phoneprofile_changelist")
    page = staff_client.get(changelist, HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    for text in [
        "手机号档案",  # the model's verbose name (title, breadcrumbs)
        "手机号认证",  # the app's
        "手机号已验证",  # a column and a filter title
        "最后同步时间",  # a column
        "从 LeanCloud 重新同步",  # an action
        "发送验证短信",  # an action
        "按手机号、用户名或 LeanCloud objectId 搜索。",  # the search help text
    ]:
        assert text in page, text
    english = staff_client.get(changelist).content.decode()
    assert "Re-sync from LeanCloud" in english
    assert "手机号档案" not in english


def test_an_admin_action_message_in_chinese(staff_client: Client) -> None:
    owner = get_user_model().objects.create_user(
        **{get_user_model().USERNAME_FIELD: "owner@example.com"}
    )
    profile = PhoneProfile.objects.create(user=owner, phone=PHONE)  # not linked
    response = staff_client.post(
        reverse("admin:lc_phone_phoneprofile_changelist"),
        {"action": "resync_from_leancloud", "_selected_action": [profile.pk]},
        HTTP_ACCEPT_LANGUAGE="zh-Hans",
        follow=True,
    )
    messages = [str(m) for m in response.context["messages"]]
    assert messages == ["未重新同步（未关联 LeanCloud 用户）：+86138****8000。"]
