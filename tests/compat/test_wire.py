"""Wire-level tests of the compat endpoints: the envelope (keys, JSON, CORS), code requests
and sign-up by code, and the audit log."""

from __future__ import annotations

import re

import pytest

from django_lc_phone.leancloud.protocol import encode
from django_lc_phone.leancloud.wire import CORS_ALLOWED_HEADERS, JSON_CONTENT_TYPE
from django_lc_phone.sms import locmem
from tests.compat._wire import ISO, PASSWORD, PHONE, USER_KEYS, assert_error, signup
from tests.compat.conftest import LC, MASTER_KEY, key_headers, last_code
from tests.limiter import FakeClock

# --- the request envelope ---------------------------------------------------------------------


def test_answers_are_leancloud_json_with_cors(lc: LC) -> None:
    answer = lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    assert answer.status_code == 200
    assert answer.content == encode({})
    assert answer["Content-Type"] == JSON_CONTENT_TYPE
    assert answer["Access-Control-Allow-Origin"] == "*"


def test_a_preflight_allows_the_lc_headers_without_credentials(lc: LC) -> None:
    answer = lc.call("OPTIONS", "login", headers={})
    assert answer.status_code == 200
    assert answer["Access-Control-Allow-Headers"] == CORS_ALLOWED_HEADERS
    assert "PUT" in answer["Access-Control-Allow-Methods"]
    assert answer["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        key_headers("wrong-key"),
        key_headers(app_id="another-app"),
        {"X-LC-Id": "lcphoneDemoAppId0-gzGzoHsz", "X-LC-Sign": "0" * 32 + ",1"},
        key_headers(MASTER_KEY),  # the master key without ",master"
    ],
)
def test_bad_app_credentials_are_401(lc: LC, headers: dict[str, str]) -> None:
    answer = lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}, headers=headers)
    assert_error(answer, 401)
    assert answer.json()["error"] == "Unauthorized."
    assert locmem.outbox == []


def test_the_app_key_master_key_and_tunnelled_keys_are_accepted(lc: LC) -> None:
    for headers in (key_headers(), key_headers(MASTER_KEY + ",master")):
        assert lc.get("users/me", headers=headers).json()["code"] == 211  # authenticated
    tunnelled = {"_ApplicationId": "lcphoneDemoAppId0-gzGzoHsz", "_ApplicationKey": "lcphone"}
    assert_error(lc.post("login", tunnelled, headers={}), 401)
    tunnelled["_ApplicationKey"] = "lcphoneDemoAppKey000000"
    assert_error(lc.post("login", tunnelled, headers={}), 200)  # in: "username is missing"


def test_malformed_json_is_107_and_a_wrong_method_404(lc: LC) -> None:
    answer = lc.client.post(
        "/1.1/login", b"[1]", content_type="application/json", headers=key_headers()
    )
    assert_error(answer, 107)
    assert_error(lc.get("login"), 1, 404)


def test_an_oversized_body_is_413(lc: LC) -> None:
    answer = lc.post("login", {"password": "x" * 20000})
    assert_error(answer, 1, 413)


# --- requestSmsCode and usersByMobilePhone ----------------------------------------------------


@pytest.mark.parametrize(
    ("phone", "code"), [(None, 212), ("", 212), (13800138000, 127), ("+86 138", 127)]
)
def test_phone_fields_are_checked_as_leancloud_does(lc: LC, phone: object, code: int) -> None:
    assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": phone}), code)


def test_a_bare_number_means_plus_86(lc: LC) -> None:
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": "13800138000"}).status_code == 200
    assert last_code(PHONE)


def test_sign_up_by_code_answers_the_user_with_a_session(lc: LC) -> None:
    user = signup(lc)
    assert set(user) == USER_KEYS
    assert user["mobilePhoneNumber"] == PHONE
    assert user["mobilePhoneVerified"] is True
    assert re.fullmatch(r"[0-9a-f]{24}", str(user["objectId"]))
    assert re.fullmatch(r"[a-z0-9]{25}", str(user["sessionToken"]))
    assert ISO.fullmatch(str(user["createdAt"]))
    assert ISO.fullmatch(str(user["updatedAt"]))


def test_sign_up_sets_location_and_a_second_time_is_200(lc: LC, limiter_clock: FakeClock) -> None:
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    body = {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE)}
    first = lc.post("usersByMobilePhone", body)
    assert first["Location"] == f"/1.1/classes/_User/{first.json()['objectId']}"
    limiter_clock.advance(61)
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    body["smsCode"] = last_code(PHONE)
    again = lc.post("usersByMobilePhone", body)
    assert again.status_code == 200
    assert again.json()["objectId"] == first.json()["objectId"]
    assert again.json()["sessionToken"] != first.json()["sessionToken"]


@pytest.mark.parametrize("code", ["000000", "12345", None, 123456])
def test_a_wrong_or_malformed_code_is_603(lc: LC, code: object) -> None:
    lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    answer = lc.post("usersByMobilePhone", {"mobilePhoneNumber": PHONE, "smsCode": code})
    assert_error(answer, 603)


def test_a_second_code_within_the_cooldown_is_601(lc: LC) -> None:
    assert lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    answer = lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    assert_error(answer, 601)
    assert int(answer["Retry-After"]) > 0
    assert len(locmem.outbox) == 1


def test_wrong_codes_lock_the_number_with_219(lc: LC) -> None:
    lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    wrong = {"mobilePhoneNumber": PHONE, "smsCode": "000000"}
    for _ in range(5):
        assert_error(lc.post("usersByMobilePhone", wrong), 603)
    right = {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE)}
    assert_error(lc.post("usersByMobilePhone", right), 219)


def test_an_allowlisted_template_gets_the_other_keys_as_variables(lc: LC) -> None:
    body = {"mobilePhoneNumber": PHONE, "template": "Order_Notice", "order_id": 7, "ttl": 5}
    assert lc.post("requestSmsCode", body).status_code == 200
    [message] = locmem.outbox
    assert message.template == "Order_Notice"
    assert message.variables == {"order_id": "7"}


def test_a_template_the_site_does_not_offer_is_119(lc: LC) -> None:
    body = {"mobilePhoneNumber": PHONE, "template": "Not_Offered"}
    assert_error(lc.post("requestSmsCode", body), 119)
    assert_error(lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE, "smsType": "x"}), 1)


def test_a_weak_password_at_sign_up_is_218(lc: LC) -> None:
    lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    body = {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE), "password": "short"}
    answer = lc.post("usersByMobilePhone", body)
    assert answer.status_code == 400
    assert answer.json()["code"] == 218


def test_each_outcome_is_audited_as_the_phone_api_does(
    lc: LC, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="django_lc_phone.audit")
    signup(lc, password=PASSWORD)
    lc.post("login", {"mobilePhoneNumber": PHONE, "password": "wrong-Password-9"})
    lines = [r.getMessage() for r in caplog.records if r.name == "django_lc_phone.audit"]
    assert any(line.startswith("lc_phone.compat.sms_code outcome=ok status=200") for line in lines)
    assert any(line.startswith("lc_phone.compat.signup outcome=ok status=201") for line in lines)
    assert any(line.startswith("lc_phone.compat.login outcome=lc_210 status=400") for line in lines)
    assert all(PHONE not in line and "+86138****8000" in line for line in lines)


def test_an_unexpected_failure_is_leancloud_json_and_logged(
    lc: LC, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr("django_lc_phone.services.send_code", broken)
    answer = lc.post("requestSmsCode", {"mobilePhoneNumber": PHONE})
    assert_error(answer, 1, 500)
    assert answer.json()["error"] == "Internal server error. No information available."
    assert any(r.name == "django_lc_phone.compat" and r.exc_info for r in caplog.records)
