"""Wire-level tests of verifySmsCode, requestMobilePhoneVerify / verifyMobilePhone, and the
password reset without ``mobilePhoneNumber`` (as the JS SDK 4.15.2 sends it)."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from django_lc_phone.models import PhoneProfile
from django_lc_phone.sms import locmem
from tests.compat._wire import ISO, NEW_PASSWORD, OTHER, PASSWORD, PHONE, assert_error, signup
from tests.compat.conftest import LC, last_code
from tests.limiter import FakeClock


def _audit(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "django_lc_phone.audit"]


# --- verifySmsCode ------------------------------------------------------------------------


def test_verify_sms_code_spends_a_generic_code(lc: LC, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="django_lc_phone.audit")
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    code = last_code(PHONE)
    answer = lc.post(f"verifySmsCode/{code}", {"mobilePhoneNumber": PHONE})
    assert (answer.status_code, answer.content) == (200, b"{}")
    assert answer["Access-Control-Allow-Origin"] == "*"
    assert_error(lc.post(f"verifySmsCode/{code}", {"mobilePhoneNumber": PHONE}), 603)  # spent
    lines = _audit(caplog)
    assert any(
        line.startswith("lc_phone.compat.sms_code_verify outcome=ok status=200") for line in lines
    )
    assert any(
        line.startswith("lc_phone.compat.sms_code_verify outcome=lc_603 status=400")
        for line in lines
    )
    assert all(PHONE not in line for line in lines)


@pytest.mark.parametrize(
    ("code", "body", "error"),
    [
        ("000000", {"mobilePhoneNumber": PHONE}, 603),
        ("12ab56", {"mobilePhoneNumber": PHONE}, 603),
        ("", {"mobilePhoneNumber": PHONE}, 603),
        ("right", {"mobilePhoneNumber": OTHER}, 603),  # another number's code
        ("right", {}, 212),
        ("right", {"mobilePhoneNumber": "12"}, 127),
    ],
)
def test_verify_sms_code_errors(lc: LC, code: str, body: dict[str, str], error: int) -> None:
    lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    code = last_code(PHONE) if code == "right" else code
    assert_error(lc.post(f"verifySmsCode/{code}", body), error)


def test_a_login_code_is_not_a_generic_code(lc: LC, limiter_clock: FakeClock) -> None:
    signup(lc)
    limiter_clock.advance(61)
    lc.post("requestLoginSmsCode", {"mobilePhoneNumber": PHONE})
    code = last_code(PHONE, "login")
    assert_error(lc.post(f"verifySmsCode/{code}", {"mobilePhoneNumber": PHONE}), 603)


def test_wrong_generic_codes_lock_the_number_with_219(lc: LC) -> None:
    lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    for _ in range(5):
        assert_error(lc.post("verifySmsCode/000000", {"mobilePhoneNumber": PHONE}), 603)
    answer = lc.post(f"verifySmsCode/{last_code(PHONE)}", {"mobilePhoneNumber": PHONE})
    assert_error(answer, 219)
    assert int(answer["Retry-After"]) > 0


# --- requestMobilePhoneVerify / verifyMobilePhone -----------------------------------------


def _unverified(lc: LC, limiter_clock: FakeClock) -> dict[str, object]:
    """A signed-up user whose number is not verified (as after an import), cooled down."""
    user = signup(lc)
    PhoneProfile.objects.update(phone_verified=False, phone_verified_at=None)
    limiter_clock.advance(61)
    return user


def _verify_code(lc: LC) -> str:
    answer = lc.post("requestMobilePhoneVerify", {"mobilePhoneNumber": PHONE})
    assert (answer.status_code, answer.content) == (200, b"{}")
    return last_code(PHONE, "verify_phone")


@pytest.mark.parametrize("body", [{"mobilePhoneNumber": PHONE}, {}, None])
def test_verify_mobile_phone_with_or_without_the_number(
    lc: LC, limiter_clock: FakeClock, caplog: pytest.LogCaptureFixture, body: object
) -> None:
    caplog.set_level("INFO", logger="django_lc_phone.audit")
    user = _unverified(lc, limiter_clock)
    code = _verify_code(lc)
    answer = lc.post(f"verifyMobilePhone/{code}", body)
    assert answer.status_code == 200, answer.content
    assert set(answer.json()) == {"updatedAt", "objectId"}
    assert answer.json()["objectId"] == user["objectId"]
    assert ISO.fullmatch(answer.json()["updatedAt"])
    profile = PhoneProfile.objects.get()
    assert profile.phone_verified
    assert profile.phone_verified_at is not None
    me = lc.get("users/me", session=str(user["sessionToken"])).json()
    assert me["mobilePhoneVerified"] is True
    assert_error(lc.post(f"verifyMobilePhone/{code}", body), 603)  # spent
    lines = _audit(caplog)
    assert any(
        line.startswith("lc_phone.compat.phone_verify_code outcome=ok status=200") for line in lines
    )
    assert any(
        line.startswith("lc_phone.compat.phone_verify outcome=ok status=200")
        and "+86138****8000" in line
        for line in lines
    )
    assert all(PHONE not in line for line in lines)


def test_no_code_for_a_verified_or_unknown_number_and_the_same_answer(
    lc: LC, limiter_clock: FakeClock
) -> None:
    signup(lc)  # verified by its sign-up code
    locmem.outbox.clear()
    for phone in (PHONE, OTHER):
        limiter_clock.advance(61)
        answer = lc.post("requestMobilePhoneVerify", {"mobilePhoneNumber": phone})
        assert (answer.status_code, answer.content) == (200, b"{}")
        # limited all the same
        assert_error(lc.post("requestMobilePhoneVerify", {"mobilePhoneNumber": phone}), 601)
    assert locmem.outbox == []


def test_request_mobile_phone_verify_checks_the_number(lc: LC) -> None:
    assert_error(lc.post("requestMobilePhoneVerify", {}), 212)
    assert_error(lc.post("requestMobilePhoneVerify", {"mobilePhoneNumber": "12"}), 127)


@pytest.mark.parametrize("body", [{"mobilePhoneNumber": PHONE}, {}])
def test_verify_mobile_phone_refuses_other_codes(
    lc: LC, limiter_clock: FakeClock, body: dict[str, str]
) -> None:
    _unverified(lc, limiter_clock)
    lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})  # a generic code: not this purpose
    generic = last_code(PHONE, "generic")
    assert_error(lc.post(f"verifyMobilePhone/{generic}", body), 603)
    assert_error(lc.post("verifyMobilePhone/abc", body), 603)
    assert not PhoneProfile.objects.get().phone_verified


def test_a_code_for_another_number_does_not_verify_this_one(
    lc: LC, limiter_clock: FakeClock
) -> None:
    _unverified(lc, limiter_clock)
    code = _verify_code(lc)
    assert_error(lc.post(f"verifyMobilePhone/{code}", {"mobilePhoneNumber": OTHER}), 603)
    assert not PhoneProfile.objects.get().phone_verified


def test_wrong_codes_without_a_number_share_one_budget(lc: LC, limiter_clock: FakeClock) -> None:
    _unverified(lc, limiter_clock)
    code = _verify_code(lc)
    for _ in range(5):
        assert_error(lc.post("verifyMobilePhone/000000", {}), 603)
    assert_error(lc.post(f"verifyMobilePhone/{code}", {}), 219)  # no number: locked
    # With its number, the number's own budget applies.
    answer = lc.post(f"verifyMobilePhone/{code}", {"mobilePhoneNumber": PHONE})
    assert answer.status_code == 200, answer.content


def test_wrong_codes_without_a_number_lock_only_the_client_that_made_them(
    lc: LC, limiter_clock: FakeClock
) -> None:
    """Finding 8: the number-less compat calls locked for the whole site after five guesses,
    so anybody could keep them locked for everybody. Now each client spends a budget of its
    own: the guesser is refused, another client's number-less call works."""
    _unverified(lc, limiter_clock)
    code = _verify_code(lc)
    guesser = LC(Client(REMOTE_ADDR="198.51.100.66"))
    for _ in range(5):
        assert_error(guesser.post("verifyMobilePhone/000000", {}), 603)
    assert_error(guesser.post(f"verifyMobilePhone/{code}", {}), 219)
    owner = LC(Client(REMOTE_ADDR="198.51.100.67"))
    answer = owner.post(f"verifyMobilePhone/{code}", {})
    assert answer.status_code == 200, answer.content
    assert PhoneProfile.objects.get().phone_verified


def test_wrong_codes_lock_the_number_for_verification(lc: LC, limiter_clock: FakeClock) -> None:
    _unverified(lc, limiter_clock)
    code = _verify_code(lc)
    for _ in range(5):
        assert_error(lc.post("verifyMobilePhone/000000", {"mobilePhoneNumber": PHONE}), 603)
    assert_error(lc.post(f"verifyMobilePhone/{code}", {"mobilePhoneNumber": PHONE}), 219)
    assert_error(lc.post(f"verifyMobilePhone/{code}", {}), 219)  # the number found, locked


# --- resetPasswordBySmsCode without the number ------------------------------------------------


def test_password_reset_without_the_number(lc: LC, limiter_clock: FakeClock) -> None:
    user = signup(lc, password=PASSWORD)
    limiter_clock.advance(61)
    lc.post("requestPasswordResetBySmsCode", {"mobilePhoneNumber": PHONE})
    code = last_code(PHONE, "reset_password")
    assert_error(lc.put("resetPasswordBySmsCode/000000", {"password": NEW_PASSWORD}), 603)
    answer = lc.put(f"resetPasswordBySmsCode/{code}", {"password": NEW_PASSWORD})
    assert (answer.status_code, answer.content) == (200, b"{}")
    assert_error(lc.get("users/me", session=str(user["sessionToken"])), 211)
    login = lc.post("login", {"mobilePhoneNumber": PHONE, "password": NEW_PASSWORD})
    assert login.status_code == 200
    assert_error(lc.put(f"resetPasswordBySmsCode/{code}", {"password": PASSWORD}), 603)


def test_password_reset_without_the_number_picks_the_codes_number(
    lc: LC, limiter_clock: FakeClock
) -> None:
    signup(lc, password=PASSWORD)
    signup(lc, OTHER, password=PASSWORD)
    limiter_clock.advance(61)
    for phone in (PHONE, OTHER):
        lc.post("requestPasswordResetBySmsCode", {"mobilePhoneNumber": phone})
    code = last_code(OTHER, "reset_password")
    if code == last_code(PHONE, "reset_password"):  # one chance in a million
        pytest.skip("both numbers got the same code")
    assert lc.put(f"resetPasswordBySmsCode/{code}", {"password": NEW_PASSWORD}).status_code == 200
    login = lc.post("login", {"mobilePhoneNumber": OTHER, "password": NEW_PASSWORD})
    assert login.status_code == 200
    assert_error(lc.post("login", {"mobilePhoneNumber": PHONE, "password": NEW_PASSWORD}), 210)


def test_reset_without_the_number_is_audited_with_the_number_found(
    lc: LC, limiter_clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="django_lc_phone.audit")
    signup(lc, password=PASSWORD)
    limiter_clock.advance(61)
    lc.post("requestPasswordResetBySmsCode", {"mobilePhoneNumber": PHONE})
    code = last_code(PHONE, "reset_password")
    lc.put(f"resetPasswordBySmsCode/{code}", {"password": NEW_PASSWORD})
    lines = [line for line in _audit(caplog) if line.startswith("lc_phone.compat.password_reset ")]
    assert len(lines) == 1
    assert re.match(r"lc_phone\.compat\.password_reset outcome=ok status=200", lines[0])
    assert "+86138****8000" in lines[0]
