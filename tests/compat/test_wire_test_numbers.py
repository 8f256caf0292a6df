"""Test numbers (``TEST_NUMBERS``) and the phone-change notice on LeanCloud's own endpoints,
served by the site with the local provider: what an app built on LeanCloud's SDKs sees."""

from __future__ import annotations

from typing import Any

from django_lc_phone import signals
from django_lc_phone.leancloud.wire import Code
from django_lc_phone.sms import locmem
from tests.app._api import lc_phone_settings, received
from tests.compat._wire import OTHER, PASSWORD, PHONE, assert_error, signup
from tests.compat.conftest import LC, last_code
from tests.limiter import FakeClock

FIXED = "135790"


def _test_number(phone: str = PHONE, expires: str = "2099-12-31") -> Any:
    return lc_phone_settings(TEST_NUMBERS={phone: {"code": FIXED, "expires": expires}})


def test_request_sms_code_sends_nothing_and_the_fixed_code_signs_up_and_in(lc: LC) -> None:
    with _test_number():
        sent = lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
        assert (sent.status_code, sent.content) == (200, b"{}")
        again = lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
        assert_error(again, Code.SMS_TOO_FREQUENT)  # the cooldown was spent all the same
        body = {"mobilePhoneNumber": PHONE, "smsCode": FIXED, "password": PASSWORD}
        created = lc.post("usersByMobilePhone", body)
        assert created.status_code == 201, created.content
        assert created.json()["sessionToken"]
        checked = lc.post(f"verifySmsCode/{FIXED}", {"mobilePhoneNumber": PHONE})
        assert checked.status_code == 200, checked.content
        wrong = lc.post("verifySmsCode/000000", {"mobilePhoneNumber": PHONE})
        assert_error(wrong, Code.INVALID_SMS_CODE)
    assert locmem.outbox == []


def test_login_code_and_login_take_the_fixed_code(lc: LC, limiter_clock: FakeClock) -> None:
    signup(lc)
    locmem.outbox.clear()
    limiter_clock.advance(61)
    with _test_number():
        asked = lc.post("requestLoginSmsCode", {"mobilePhoneNumber": PHONE})
        assert asked.status_code == 200, asked.content
        login = lc.post("login", {"mobilePhoneNumber": PHONE, "smsCode": FIXED})
    assert login.status_code == 200, login.content
    assert locmem.outbox == []


def test_an_expired_test_number_is_refused(lc: LC) -> None:
    with _test_number(expires="2020-01-01"):
        assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}), Code.INVALID_PHONE)
        body = {"mobilePhoneNumber": PHONE, "smsCode": FIXED}
        assert_error(lc.post("usersByMobilePhone", body), Code.INVALID_PHONE)
    assert locmem.outbox == []


def _change(lc: LC, session: str, phone: str, code: str | None = None) -> Any:
    asked = lc.post("requestChangePhoneNumber", {"mobilePhoneNumber": phone}, session=session)
    assert asked.status_code == 200, asked.content
    body = {"mobilePhoneNumber": phone, "code": code or last_code(phone, "change_phone")}
    return lc.post("changePhoneNumber", body, session=session)


def test_change_phone_number_tells_the_old_number_and_signals(
    lc: LC, django_capture_on_commit_callbacks: Any
) -> None:
    session = str(signup(lc, password=PASSWORD)["sessionToken"])
    locmem.outbox.clear()
    with received(signals.phone_change_notice_sent) as sent:
        with django_capture_on_commit_callbacks(execute=True):
            answer = _change(lc, session, OTHER)
        assert answer.status_code == 200, answer.content
    [notice] = [m for m in locmem.outbox if m.phone == PHONE]
    assert notice.code is None
    assert notice.template == "phone_change_notice"
    assert "+86139****9000" in notice.text
    assert OTHER not in notice.text
    assert notice.variables == {"site": "", "phone": "+86139****9000"}
    assert [(s["old_phone"], s["new_phone"]) for s in sent] == [(PHONE, OTHER)]
    assert sent[0]["user"] is not None


def test_a_change_to_a_test_number_takes_its_code_and_a_test_number_gets_no_notice(
    lc: LC, django_capture_on_commit_callbacks: Any, limiter_clock: FakeClock
) -> None:
    session = str(signup(lc, password=PASSWORD)["sessionToken"])
    with _test_number(OTHER):
        with django_capture_on_commit_callbacks(execute=True):
            assert _change(lc, session, OTHER, FIXED).status_code == 200
        locmem.outbox.clear()
        limiter_clock.advance(61)  # PHONE's resend cooldown, from its sign-up
        with django_capture_on_commit_callbacks(execute=True):
            assert _change(lc, session, PHONE).status_code == 200  # from the test number
    assert [m.phone for m in locmem.outbox] == [PHONE]  # PHONE's change code; no notice
