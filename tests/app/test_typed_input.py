"""Finding 18 (step 8, in part), ``auth/phone/``: numbers and codes as people type them.

A number pasted with a space around it was ``invalid_phone``; the full-width digits of a
Chinese input method were refused; the ``signup/`` username error only said "does not match
the required pattern". Phones and codes are now read as typed (``inputs.as_typed``, the one
helper, used by ``phone.normalize_phone`` and ``CodeField``): surrounding whitespace trimmed,
any script's decimal digits and full-width ``+``, hyphens and spaces as ASCII. The compat side
is ``tests/compat/test_typed_input.py``; the emulator stays as strict as LeanCloud.
"""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from django_lc_phone.phone import normalize_phone
from tests import upstream
from tests.app._api import PHONE, assert_error, code, post, request_code
from tests.security._util import upstream_log

# Ways people type (or paste) +8613800138000.
TYPED_PHONES = [
    " +8613800138000",
    "+8613800138000 ",
    "\t+8613800138000\n",
    "\u3000+8613800138000\u3000",  # ideographic spaces around it
    "\u00a013800138000\u00a0",  # no-break spaces (a paste from a web page)
    "＋８６１３８００１３８０００",  # a Chinese IME's full-width plus and digits
    "１３８００１３８０００",
    "＋８６　１３８－００１３－８０００",  # full-width plus, digits, space and hyphens
    "+86 138\u20100013\u20138000",  # a hyphen and an en dash
    "+86（138）0013．8000",  # full-width brackets and full stop
    "١٣٨٠٠١٣٨٠٠٠",  # Arabic-Indic digits
    "१३८००१३८०००",  # Devanagari digits
]
# Still not numbers, however they are read.
STILL_BAD = [
    "+86\n13800138000",  # a line break inside is no separator
    "+86\u200b13800138000",  # nor a zero-width space
    "¹³⁸⁰⁰¹³⁸⁰⁰⁰",  # superscripts are no decimal digits
    "①③⑧⓪⓪①③⑧⓪⓪⓪",
    " " * 20 + "+8613800138000",  # over 32 characters as typed
    "   ",
]


@pytest.mark.parametrize("typed", TYPED_PHONES)
def test_finding18_a_number_typed_any_usual_way_is_that_number(typed: str) -> None:
    """Finding 18: surrounding whitespace, full-width and other scripts' digits, full-width
    signs: the same E.164 number."""
    assert normalize_phone(typed) == PHONE


@pytest.mark.parametrize("bad", STILL_BAD)
def test_finding18_what_is_still_no_number(bad: str, lc: upstream.CountingApp) -> None:
    """Finding 18: reading as typed is not guessing: these stay ``invalid_phone``."""
    assert_error(post(APIClient(), "sms-code/", {"phone": bad}), 400, "invalid_phone", errors=True)
    assert lc.calls == []


@pytest.mark.parametrize("typed", [TYPED_PHONES[0], TYPED_PHONES[5], TYPED_PHONES[7]])
def test_finding18_a_typed_number_gets_its_code_as_e164(
    typed: str, lc: upstream.CountingApp
) -> None:
    """Finding 18: ``sms-code/`` with a pasted or full-width number sends to the E.164 number
    (that was 400 ``invalid_phone``)."""
    with upstream_log() as log:
        response = post(APIClient(), "sms-code/", {"phone": typed})
    assert response.status_code == 202, response.content
    assert [x.body["mobilePhoneNumber"] for x in log.items] == [PHONE]


@pytest.mark.parametrize(
    "typed",
    [" {code}", "{code} ", "\u3000{code}\u3000", "{wide}", " {wide} ", "{arabic}"],
)
def test_finding18_a_code_typed_any_usual_way_is_that_code(
    typed: str, lc: upstream.CountingApp
) -> None:
    """Finding 18: a code with spaces around it, in full-width or Arabic-Indic digits, is the
    code: it verifies, and LeanCloud gets six ASCII digits in its URL path."""
    client = APIClient()
    sms = request_code(client)
    wide = "".join(chr(ord("０") + int(d)) for d in sms)
    arabic = "".join(chr(ord("٠") + int(d)) for d in sms)
    lc.calls.clear()
    body = {"phone": PHONE, "code": typed.format(code=sms, wide=wide, arabic=arabic)}
    response = post(client, "sms-code/verify/", body)
    assert response.status_code == 200, response.content
    assert lc.calls == [("POST", f"/1.1/verifySmsCode/{sms}")]


def test_finding18_a_full_width_sign_up_works(lc: upstream.CountingApp) -> None:
    """Finding 18: a sign-up typed in full width, number and code, creates the account of the
    E.164 number."""
    client = APIClient()
    wide_phone = "＋８６１３８００１３８０００"
    assert post(client, "sms-code/", {"phone": wide_phone}).status_code == 202
    wide_code = "".join(chr(ord("０") + int(d)) for d in code(PHONE))
    created = post(client, "signup/", {"phone": wide_phone, "code": wide_code})
    assert created.status_code == 201, created.content
    assert created.json()["user"]["phone"] == PHONE


def test_finding18_as_typed_is_one_helper_for_both_fields() -> None:
    """Finding 18: the rules, once: trimmed, digits of any script, full-width signs."""
    from django_lc_phone.inputs import as_typed

    assert as_typed(" ＋８６－１３８　٠١٢ ") == "+86-138 012"
    assert as_typed("123456") == "123456"
    assert as_typed("\u200b1") == "\u200b1"  # what is not read as ASCII is kept, to be refused


def test_finding18_the_username_error_says_what_is_allowed(lc: upstream.CountingApp) -> None:
    """Finding 18: ``signup/`` with a username of other characters, or too long, says which
    characters and how many are allowed (not "does not match the required pattern")."""
    client = APIClient()
    sms = request_code(client)
    expected = ["Enter a username of 1 to 64 characters: letters, digits and @ . + - _ only."]
    for username in ("alice smith", "a" * 65, "a/b", "a\u200bb"):
        response = post(client, "signup/", {"phone": PHONE, "code": sms, "username": username})
        assert_error(response, 400, "invalid", errors=True)
        assert response.json()["errors"] == {"username": expected}, username


def test_finding18_the_username_error_in_chinese(lc: upstream.CountingApp) -> None:
    """Finding 18: the new message is in the zh_Hans catalog too."""
    client = APIClient(HTTP_ACCEPT_LANGUAGE="zh-Hans")
    sms = request_code(client)
    response = post(client, "signup/", {"phone": PHONE, "code": sms, "username": "a b"})
    [message] = response.json()["errors"]["username"]
    assert message == "请输入 1 至 64 个字符的用户名：只能包含字母、数字和 @ . + - _。"
