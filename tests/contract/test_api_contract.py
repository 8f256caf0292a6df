"""One contract, two providers: every endpoint answers the same with LeanCloud and locally.

Each test runs against the emulator (``PROVIDER = "leancloud"``) and against the local
provider with a recording gateway, and asserts what a client sees: statuses, bodies, the local
user, how many messages went out; plus the step-3 protections (limits, lockouts, uniform
answers), which sit above the provider and must hold for both.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone
from rest_framework.test import APIClient

from django_lc_phone.models import PhoneCode, PhoneProfile
from tests import upstream
from tests.app._api import (
    CODE_SENT,
    NEW_PASSWORD,
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    assert_error,
    cool_down,
    lc_phone_settings,
    make_unverified,
    post,
    url,
)
from tests.contract.backends import Inbox

User = get_user_model()


def _signup(api: APIClient, inbox: Inbox, phone: str = PHONE, **extra: Any) -> dict[str, Any]:
    assert post(api, "sms-code/", {"phone": phone}).status_code == 202
    body = {"phone": phone, "code": inbox.last_code(phone), **extra}
    response = post(api, "signup/", body)
    assert response.status_code == 201, response.content
    return dict(response.json())


def _signed_in(inbox: Inbox, phone: str = PHONE, **extra: Any) -> APIClient:
    client = APIClient()
    token = _signup(client, inbox, phone, **extra)["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    cool_down()
    return client


def _unverified(inbox: Inbox, phone: str) -> None:
    """An account holding ``phone`` that never verified it."""
    if inbox.name == "leancloud":
        make_unverified(phone)
        return
    user = User.objects.create_user(username=f"u{phone[-8:]}", password=PASSWORD)
    PhoneProfile.objects.create(user=user, phone=phone, phone_verified=False)


def _captcha_answer(inbox: Inbox, token: str, local_answers: dict[str, str]) -> str:
    if inbox.name == "leancloud":
        from django_lc_phone.emulator import captcha

        with upstream.EMULATOR.store.transaction() as db:
            answer = captcha.answer(db, token)
        assert answer is not None
        return str(answer)
    return local_answers[token]


# --- codes and sign-up ----------------------------------------------------------------------


def test_signup_creates_then_signs_in_the_same_user(api: APIClient, inbox: Inbox) -> None:
    created = _signup(api, inbox, password=PASSWORD)
    assert created["created"] is True
    assert created["user"]["phone"] == PHONE
    assert created["user"]["phone_verified"] is True
    assert re.fullmatch(r"[0-9a-f]{24}", created["user"]["lc_object_id"])
    cool_down()
    again = post(api, "sms-code/", {"phone": PHONE})
    assert again.status_code == 202
    second = post(api, "signup/", {"phone": PHONE, "code": inbox.last_code(PHONE)})
    assert second.status_code == 200, second.content
    assert second.json()["user"] == created["user"]
    assert second.json()["created"] is False
    assert User.objects.count() == 1
    assert inbox.count(PHONE) == 2


def test_a_code_is_single_use_and_bound_to_its_number(api: APIClient, inbox: Inbox) -> None:
    assert post(api, "sms-code/", {"phone": PHONE}).json() == CODE_SENT
    sms = inbox.last_code(PHONE)
    assert_error(post(api, "signup/", {"phone": OTHER, "code": sms}), 400, "invalid_code")
    assert post(api, "sms-code/verify/", {"phone": PHONE, "code": sms}).status_code == 200
    reused = post(api, "sms-code/verify/", {"phone": PHONE, "code": sms})
    assert_error(reused, 400, "invalid_code")
    assert User.objects.count() == 0


def test_a_new_code_voids_the_old_one(api: APIClient, inbox: Inbox) -> None:
    post(api, "sms-code/", {"phone": PHONE})
    old = inbox.last_code(PHONE)
    cool_down()
    post(api, "sms-code/", {"phone": PHONE})
    new = inbox.last_code(PHONE)
    if old != new:  # one in a million they match
        assert_error(post(api, "signup/", {"phone": PHONE, "code": old}), 400, "invalid_code")
    assert post(api, "signup/", {"phone": PHONE, "code": new}).status_code == 201


def test_an_expired_code_is_invalid(api: APIClient, inbox: Inbox) -> None:
    post(api, "sms-code/", {"phone": PHONE})
    sms = inbox.last_code(PHONE)
    upstream.EMULATOR.clock.advance(11 * 60)
    # The local provider's codes expire by the database's clock: age them instead.
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert_error(post(api, "signup/", {"phone": PHONE, "code": sms}), 400, "invalid_code")


def test_a_taken_username_is_409(api: APIClient, inbox: Inbox) -> None:
    _signup(api, inbox, OTHER, username="alice", password=PASSWORD)
    cool_down()
    post(api, "sms-code/", {"phone": PHONE})
    body = {"phone": PHONE, "code": inbox.last_code(PHONE), "username": "alice"}
    assert_error(post(api, "signup/", body), 409, "username_taken")


def test_voice_codes_when_allowed(api: APIClient, inbox: Inbox) -> None:
    assert_error(post(api, "sms-code/", {"phone": PHONE, "sms_type": "voice"}), 400, "not_allowed")
    with lc_phone_settings(ALLOW_VOICE=True):
        sent = post(api, "sms-code/", {"phone": PHONE, "sms_type": "voice"})
        assert sent.status_code == 202, sent.content
        assert inbox.channels(PHONE) == ["voice"]  # (a settings change makes a new gateway)


# --- login ------------------------------------------------------------------------------------


def test_login_by_code_and_by_password(api: APIClient, inbox: Inbox) -> None:
    user = _signup(api, inbox, password=PASSWORD)["user"]
    cool_down()
    assert post(api, "login/sms-code/", {"phone": PHONE}).json() == CODE_SENT
    by_code = post(api, "login/", {"phone": PHONE, "code": inbox.last_code(PHONE)})
    assert by_code.status_code == 200, by_code.content
    assert by_code.json()["user"] == user
    by_password = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert by_password.status_code == 200, by_password.content
    assert by_password.json()["user"] == user
    me = APIClient()
    me.credentials(HTTP_AUTHORIZATION=f"Token {by_password.json()['token']}")
    assert me.get(url("me/")).json() == user
    assert me.post(url("logout/")).status_code == 204


def test_failed_logins_read_the_same_for_every_kind_of_number(api: APIClient, inbox: Inbox) -> None:
    _signup(api, inbox, password=PASSWORD)
    _unverified(inbox, THIRD)
    answers = [
        post(APIClient(REMOTE_ADDR=f"10.0.0.{n}"), "login/", {"phone": phone, "password": pw})
        for n, (phone, pw) in enumerate(
            [(PHONE, "wrong-Password-9"), (OTHER, PASSWORD), (THIRD, "wrong-Password-9")]
        )
    ]
    for answer in answers:
        assert_error(answer, 401, "invalid_credentials")
    assert len({(a.content, tuple(a.items())) for a in answers}) == 1


def test_code_requests_read_the_same_for_every_kind_of_number(api: APIClient, inbox: Inbox) -> None:
    _signup(api, inbox)
    _unverified(inbox, THIRD)
    cool_down()
    for n, path in enumerate(("login/sms-code/", "password-reset/sms-code/")):
        client = APIClient(REMOTE_ADDR=f"10.2.0.{n}")  # under the per-address limit
        answers = [post(client, path, {"phone": phone}) for phone in (PHONE, OTHER, THIRD)]
        assert [a.status_code for a in answers] == [202] * 3, [a.content for a in answers]
        assert len({(a.content, tuple(a.items())) for a in answers}) == 1
        cool_down()
    assert inbox.count(OTHER) == 0  # nobody to send to
    assert inbox.count(THIRD) == 0  # unverified: LeanCloud sends nothing either


# --- password reset ---------------------------------------------------------------------------


def test_password_reset(api: APIClient, inbox: Inbox) -> None:
    signed_in = _signed_in(inbox, password=PASSWORD)
    anonymous = APIClient()
    assert post(anonymous, "password-reset/sms-code/", {"phone": PHONE}).status_code == 202
    body = {"phone": PHONE, "code": inbox.last_code(PHONE), "password": NEW_PASSWORD}
    reset = post(anonymous, "password-reset/", body)
    assert reset.status_code == 200, reset.content
    assert reset.json()["code"] == "password_reset"
    assert_error(signed_in.get(url("me/")), 401, "authentication_failed")  # revoked
    old = post(anonymous, "login/", {"phone": PHONE, "password": PASSWORD})
    assert_error(old, 401, "invalid_credentials")
    assert post(anonymous, "login/", {"phone": PHONE, "password": NEW_PASSWORD}).status_code == 200


# --- phone verification and change ------------------------------------------------------------


def test_verify_an_unverified_phone(inbox: Inbox) -> None:
    _unverified(inbox, PHONE)
    client = APIClient()
    login = post(client, "login/", {"phone": PHONE, "password": PASSWORD})
    assert login.status_code == 200, login.content
    assert login.json()["user"]["phone_verified"] is False
    client.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
    assert post(client, "phone/verify/sms-code/").json() == CODE_SENT
    verified = post(client, "phone/verify/", {"code": inbox.last_code(PHONE)})
    assert verified.status_code == 200, verified.content
    assert verified.json()["phone_verified"] is True


def test_change_phone(inbox: Inbox) -> None:
    client = _signed_in(inbox, password=PASSWORD)
    assert post(client, "phone/change/sms-code/", {"phone": OTHER}).json() == CODE_SENT
    changed = post(client, "phone/change/", {"phone": OTHER, "code": inbox.last_code(OTHER)})
    assert changed.status_code == 200, changed.content
    assert changed.json()["phone"] == OTHER
    assert client.get(url("me/")).status_code == 401  # every token of the user ended...
    client.credentials(HTTP_AUTHORIZATION=f"Token {changed.json()['token']}")  # ...but this new one
    assert client.get(url("me/")).json()["phone"] == OTHER
    assert post(client, "login/", {"phone": OTHER, "password": PASSWORD}).status_code == 200


def test_changing_to_a_taken_number_is_refused_only_after_the_code(inbox: Inbox) -> None:
    _signed_in(inbox, OTHER)
    client = _signed_in(inbox, PHONE)
    sent = post(client, "phone/change/sms-code/", {"phone": OTHER})
    assert sent.json() == CODE_SENT
    assert inbox.count(OTHER) == 1  # the sign-up code only: a taken number gets no change code
    confirm = post(client, "phone/change/", {"phone": OTHER, "code": "123456"})
    assert_error(confirm, 400, "invalid_code")  # no code was sent, so none can be right


def test_a_number_taken_between_request_and_confirmation_is_409(inbox: Inbox) -> None:
    client = _signed_in(inbox, PHONE)
    assert post(client, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
    change_code = inbox.last_code(OTHER)
    cool_down()
    _signed_in(inbox, OTHER)  # someone else signs up with the number meanwhile
    confirm = post(client, "phone/change/", {"phone": OTHER, "code": change_code})
    assert_error(confirm, 409, "phone_unavailable")
    assert client.get(url("me/")).json()["phone"] == PHONE


# --- CAPTCHA ----------------------------------------------------------------------------------


def test_captcha_gives_a_validate_token_for_one_code(
    api: APIClient, inbox: Inbox, captcha_answers: dict[str, str]
) -> None:
    challenge = api.get(url("captcha/")).json()
    assert set(challenge) == {"verifier", "captcha_token", "captcha_url"}
    assert challenge["verifier"] == "image"  # LeanCloud's, or the local provider's own
    answer = _captcha_answer(inbox, challenge["captcha_token"], captcha_answers)
    body = {"captcha_token": challenge["captcha_token"], "captcha_code": answer}
    verified = post(api, "captcha/verify/", body)
    assert verified.status_code == 200, verified.content
    token = verified.json()["validate_token"]
    with lc_phone_settings(CAPTCHA_REQUIRED=True):
        assert_error(post(api, "sms-code/", {"phone": PHONE}), 400, "captcha_required")
        sent = post(api, "sms-code/", {"phone": PHONE, "validate_token": token})
        assert sent.status_code == 202, sent.content
        cool_down()
        again = post(api, "sms-code/", {"phone": PHONE, "validate_token": token})
        assert_error(again, 400, "captcha_required")
    # One try: the local CAPTCHA says the challenge is spent; LeanCloud has one code (607)
    # for every CAPTCHA failure, so through it the answer reads as wrong.
    spent = "captcha_spent" if inbox.name == "local" else "invalid_captcha"
    assert_error(post(api, "captcha/verify/", body), 400, spent)


# --- the step-3 protections hold for both -----------------------------------------------------


def test_the_resend_cooldown(api: APIClient, inbox: Inbox) -> None:
    assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
    again = post(api, "sms-code/", {"phone": PHONE})
    assert_error(again, 429, "sms_rate_limited")
    assert again["Retry-After"] == "60"
    assert inbox.count(PHONE) == 1


def test_five_wrong_codes_step_the_number_up(api: APIClient, inbox: Inbox) -> None:
    post(api, "sms-code/", {"phone": PHONE})
    sms = inbox.last_code(PHONE)
    wrong = "000000" if sms != "000000" else "111111"
    for n in range(5):
        guess = post(
            APIClient(REMOTE_ADDR=f"10.1.0.{n}"), "signup/", {"phone": PHONE, "code": wrong}
        )
        assert_error(guess, 400, "invalid_code")
    stepped_up = post(api, "signup/", {"phone": PHONE, "code": sms})
    assert_error(stepped_up, 400, "captcha_required")
    assert User.objects.count() == 0


def test_numbers_that_may_not_receive_codes(api: APIClient, inbox: Inbox) -> None:
    for phone in ("+447911123456", "+864001234567"):  # another country; shared cost
        assert_error(post(api, "sms-code/", {"phone": phone}), 400, "phone_not_allowed")
    assert inbox.count("+447911123456") == 0


def test_the_site_budget_fails_closed(api: APIClient, inbox: Inbox) -> None:
    with lc_phone_settings(SMS_BUDGET_HOUR=1):
        assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
        spent = post(api, "sms-code/", {"phone": OTHER})
        assert_error(spent, 503, "sms_budget_exhausted")
        assert inbox.count(PHONE) == 1  # read while the gateway of these settings lives
        assert inbox.count(OTHER) == 0
