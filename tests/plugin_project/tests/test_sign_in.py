"""The shop's sign-in view, tested with django-lc-phone's fixtures: no network, no LeanCloud.

``lc_emulator`` stands in for LeanCloud (the shop's provider in production); ``sms_outbox``
runs the same view on the local provider, as the shop will after LeanCloud's switch-off.
"""

import pytest

PHONE = "+8613800138000"


def sign_up(client, read_code):
    """A customer signs up with the app's phone API; the code comes from ``read_code``."""
    assert (
        client.post("/auth/phone/sms-code/", {"phone": PHONE}, "application/json").status_code
        == 202
    )
    answer = client.post(
        "/auth/phone/signup/", {"phone": PHONE, "code": read_code()}, "application/json"
    )
    assert answer.status_code == 201, answer.content


def request_login_code(client):
    answer = client.post("/auth/phone/login/sms-code/", {"phone": PHONE}, "application/json")
    assert answer.status_code == 202, answer.content


@pytest.mark.django_db
def test_sign_in_with_a_login_code_from_leancloud(client, lc_emulator):
    sign_up(client, lambda: lc_emulator.last_code(PHONE))
    lc_emulator.advance(61)  # past the resend cooldown, without waiting
    request_login_code(client)

    wrong = client.post("/sign-in/", {"phone": PHONE, "code": "000000"})
    answer = client.post("/sign-in/", {"phone": PHONE, "code": lc_emulator.last_code(PHONE)})

    assert wrong.status_code == 401
    assert answer.status_code == 200
    assert answer.json() == {"signed_in": PHONE}
    assert [m["purpose"] for m in lc_emulator.messages(PHONE)] == ["generic", "login"]


@pytest.mark.django_db
def test_a_leancloud_outage_is_a_503_not_a_crash(client, lc_emulator):
    sign_up(client, lambda: lc_emulator.last_code(PHONE))
    lc_emulator.advance(61)
    request_login_code(client)
    code = lc_emulator.last_code(PHONE)
    lc_emulator.fail_next("http_error", status=503)

    answer = client.post("/sign-in/", {"phone": PHONE, "code": code})

    assert answer.status_code == 503
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_a_second_code_within_the_cooldown_is_refused(client, lc_emulator):
    # Each test starts with empty limits: the tests above asked for codes for PHONE too.
    sign_up(client, lambda: lc_emulator.last_code(PHONE))
    answer = client.post("/auth/phone/login/sms-code/", {"phone": PHONE}, "application/json")
    assert answer.status_code == 429
    assert answer.json()["code"] == "sms_rate_limited"


@pytest.mark.django_db
def test_sign_in_on_the_local_provider(client, sms_outbox):
    sign_up(client, lambda: sms_outbox.last_code(PHONE, "generic"))
    sms_outbox.advance(61)
    request_login_code(client)

    answer = client.post(
        "/sign-in/", {"phone": PHONE, "code": sms_outbox.last_code(PHONE, "login")}
    )

    assert answer.status_code == 200
    assert answer.json() == {"signed_in": PHONE}
    assert [m.purpose for m in sms_outbox] == ["generic", "login"]
