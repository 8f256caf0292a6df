"""Finding 18 (step 8, in part), the compat endpoints: numbers and codes as people type them.

``mobilePhoneNumber`` and the codes (in a body or a path) are read as typed
(``inputs.as_typed``): surrounding whitespace trimmed, any script's decimal digits and a
full-width ``+`` as ASCII, then checked as LeanCloud checks them (E.164 or a bare number, no
separators). The emulator is not: it refuses them, as LeanCloud does.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest

from django_lc_phone.emulator import Emulator
from django_lc_phone.leancloud.wire import HEADER_ID, HEADER_SIGN, Code, sign_header
from django_lc_phone.testing.inprocess import wsgi_session
from tests.compat._wire import PASSWORD, PHONE, assert_error, signup
from tests.compat.conftest import LC, last_code
from tests.limiter import FakeClock

TYPED_PHONES = [
    " +8613800138000 ",
    "\u3000+8613800138000",
    "＋８６１３８００１３８０００",
    "１３８００１３８０００",
    "١٣٨٠٠١٣٨٠٠٠",
]


def _wide(code: str) -> str:
    return "".join(chr(ord("０") + int(digit)) for digit in code)


@pytest.mark.parametrize("typed", TYPED_PHONES)
def test_finding18_a_typed_number_signs_up_as_its_e164_number(typed: str, lc: LC) -> None:
    """Finding 18: ``requestSmsCode`` and ``usersByMobilePhone`` with a pasted or full-width
    number (127 before) serve the E.164 number."""
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": typed}).status_code == 200
    body = {"mobilePhoneNumber": typed, "smsCode": f" {_wide(last_code(PHONE))} "}
    created = lc.post("usersByMobilePhone", body)
    assert created.status_code == 201, created.content
    assert created.json()["mobilePhoneNumber"] == PHONE


def test_finding18_a_typed_code_in_a_path_is_that_code(lc: LC) -> None:
    """Finding 18: a full-width code in ``verifySmsCode/<code>`` verifies (603 before)."""
    lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    path = "verifySmsCode/" + quote(_wide(last_code(PHONE)))
    assert lc.post(path, {"mobilePhoneNumber": PHONE}).status_code == 200


def test_finding18_a_typed_login_code_logs_in(lc: LC, limiter_clock: FakeClock) -> None:
    """Finding 18: ``login`` with a code typed with spaces around it, full width."""
    signup(lc, password=PASSWORD)
    limiter_clock.advance(61)  # past the sign-up code's resend cooldown
    lc.post("requestLoginSmsCode", {"mobilePhoneNumber": "＋８６１３８００１３８０００"})
    code = last_code(PHONE, "login")
    login = lc.post("login", {"mobilePhoneNumber": PHONE, "smsCode": f"\u3000{_wide(code)}"})
    assert login.status_code == 200, login.content


@pytest.mark.parametrize("bad", ["+86 138 0013 8000", "+86-13800138000", "+86\n13800138000"])
def test_finding18_separators_stay_refused_as_leancloud_refuses_them(bad: str, lc: LC) -> None:
    """Finding 18: compat reads digits as typed, not LeanCloud's format: separators inside a
    number are still 127, as LeanCloud answers them."""
    assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": bad}), Code.INVALID_PHONE)


@pytest.mark.parametrize("typed", TYPED_PHONES)
def test_finding18_the_emulator_stays_as_strict_as_leancloud(typed: str) -> None:
    """Finding 18: the emulator answers what LeanCloud answers: 127 for these numbers."""
    emulator = Emulator()
    config = emulator.config
    session = wsgi_session(emulator, "http://emulator.test")
    headers = {HEADER_ID: config.app_id, HEADER_SIGN: sign_header(config.app_key, 1000)}
    answer = session.post(
        "http://emulator.test/1.1/requestSmsCode",
        json={"mobilePhoneNumber": typed},
        headers=headers,
    )
    assert answer.json()["code"] == Code.INVALID_PHONE
    assert emulator.messages() == []
