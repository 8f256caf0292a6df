"""The example site with ``LC_PHONE_PROVIDER=local``: no LeanCloud, the same endpoints.

The console gateway prints each code, and the site serves what it sent at
``/emulator/v1/messages`` and ``/emulator/`` in the emulator's shapes, so the same tools (and
the same helpers as the emulator-mode story) read the codes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sms._receiver import running_receiver
from tests.test_example_site import Site, _manage, read_code, running_site

ALICE = "+8613800138000"
ALICE_NEW = "+8613900139000"
PASSWORD = "first-Password-1"
NEW_PASSWORD = "second-Password-2"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A local-provider example site."""
    tmp = tmp_path_factory.mktemp("example-site-local")
    with running_site(tmp, LC_PHONE_PROVIDER="local") as running:
        yield running


def _cool_down(site: Site) -> None:
    assert site.post("/emulator/v1/clock", {"advance": 61}).status_code == 200


def _sent(site: Site, phone: str) -> list[dict[str, object]]:
    answer = site.get("/emulator/v1/messages", params={"mobilePhoneNumber": phone})
    assert answer.status_code == 200, answer.text
    messages: list[dict[str, object]] = answer.json()["messages"]
    return messages


def test_every_flow_without_leancloud(site: Site) -> None:
    # No emulator in this mode: /1.1/ is compat's, which serves no data classes (the
    # emulator does) and answers LeanCloud's JSON 404 for them.
    not_served = site.get("/1.1/classes/Post")
    assert not_served.status_code == 404
    assert not_served.json()["code"] == 1
    assert site.post("/auth/phone/sms-code/", {"phone": ALICE}).status_code == 202
    [message] = _sent(site, ALICE)
    assert set(message) == {
        "mobilePhoneNumber", "code", "smsType", "template", "purpose", "text", "createdAt"
    }  # fmt: skip
    assert message["purpose"] == "generic"
    code = read_code(site, ALICE, "generic")  # the inbox page, as in emulator mode
    assert code == message["code"]
    assert f"{code}" in site.output()  # the console gateway printed it
    assert "+86138****8000" in site.output()  # with the number masked

    signup = site.post("/auth/phone/signup/", {"phone": ALICE, "code": code, "password": PASSWORD})
    assert signup.status_code == 201, signup.text
    user = signup.json()["user"]
    assert re.fullmatch(r"[0-9a-f]{24}", user["lc_object_id"])

    login = site.post("/auth/phone/login/", {"phone": ALICE, "password": PASSWORD})
    assert login.status_code == 200, login.text
    assert login.json()["user"] == user
    token = login.json()["token"]

    _cool_down(site)
    assert site.post("/auth/phone/login/sms-code/", {"phone": ALICE}).status_code == 202
    by_code = site.post(
        "/auth/phone/login/", {"phone": ALICE, "code": read_code(site, ALICE, "login")}
    )
    assert by_code.status_code == 200, by_code.text

    _cool_down(site)
    changed = site.post("/auth/phone/phone/change/sms-code/", {"phone": ALICE_NEW}, token=token)
    assert changed.status_code == 202, changed.text
    body = {"phone": ALICE_NEW, "code": read_code(site, ALICE_NEW, "change_phone")}
    confirmed = site.post("/auth/phone/phone/change/", body, token=token)
    assert confirmed.status_code == 200, confirmed.text
    token = confirmed.json()["token"]  # the change ended every token of the user: a new one
    assert site.get("/auth/phone/me/", token=token).json()["phone"] == ALICE_NEW

    _cool_down(site)
    assert (
        site.post("/auth/phone/password-reset/sms-code/", {"phone": ALICE_NEW}).status_code == 202
    )
    reset = {
        "phone": ALICE_NEW,
        "code": read_code(site, ALICE_NEW, "reset_password"),
        "password": NEW_PASSWORD,
    }
    assert site.post("/auth/phone/password-reset/", reset).status_code == 200
    assert site.get("/auth/phone/me/", token=token).status_code == 401  # revoked by the reset
    old = site.post("/auth/phone/login/", {"phone": ALICE_NEW, "password": PASSWORD})
    assert old.status_code == 401
    new = site.post("/auth/phone/login/", {"phone": ALICE_NEW, "password": NEW_PASSWORD})
    assert new.status_code == 200, new.text
    assert new.json()["user"]["id"] == user["id"]


def test_the_limits_hold_without_leancloud(site: Site) -> None:
    phone = "+8613700137000"
    assert site.post("/auth/phone/sms-code/", {"phone": phone}).status_code == 202
    again = site.post("/auth/phone/sms-code/", {"phone": phone})
    assert again.status_code == 429
    assert again.json()["code"] == "sms_rate_limited"
    assert len(_sent(site, phone)) == 1


def test_the_webhook_variables_send_the_codes_to_your_endpoint(tmp_path: Path) -> None:
    with (
        running_receiver() as receiver,
        running_site(
            tmp_path,
            LC_PHONE_PROVIDER="local",
            LC_PHONE_SMS_WEBHOOK_URL=receiver.url,
            LC_PHONE_SMS_WEBHOOK_SECRET=receiver.secret,
        ) as site,
    ):
        assert site.post("/auth/phone/sms-code/", {"phone": ALICE}).status_code == 202
        [delivery] = receiver.verified
        assert "[sms]" not in site.output()  # not the console gateway
        code = delivery.payload["data"]["code"]
        signup = site.post("/auth/phone/signup/", {"phone": ALICE, "code": code})
        assert signup.status_code == 201, signup.text
        assert site.manage("check", "--tag", "lc_phone").returncode == 0
        bad_secret = {**site.env, "LC_PHONE_SMS_WEBHOOK_SECRET": "hunter2-no-whsec"}
        done = _manage(bad_secret, "check", "--tag", "lc_phone")
        assert done.returncode != 0
        assert "lc_phone.E030" in done.stderr
        assert "hunter2" not in done.stderr + done.stdout
