"""LeanCloudClient's CAPTCHA calls over real HTTP, and the validate token every SMS sender
takes when the console forces a CAPTCHA."""

from __future__ import annotations

import re

import pytest
import requests

from django_lc_phone.emulator import RunningServer
from django_lc_phone.leancloud import (
    LeanCloudCaptchaError,
    LeanCloudClient,
    LeanCloudRateLimited,
    LeanCloudServiceDisabled,
)

from ._support import MESSAGE_TOO_FAST, captcha_answer, lc_error, make_user, validate_token
from .conftest import Serve

PHONE = "+8613800000041"
OTHER = "+8613800000042"


# --- CAPTCHA -------------------------------------------------------------------------------


def test_captcha_flow_gives_a_single_use_validate_token(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    url = emulator_server.url
    captcha = http_client.request_captcha()
    assert re.fullmatch(r"[A-Za-z0-9]{8}", captcha.token)
    assert captcha.url == (
        f"{url}/1.1/captchaImage?appId={emulator_server.emulator.config.app_id}"
        f"&token={captcha.token}&width=85&height=30"
    )
    answer = captcha_answer(url, captcha.token)
    assert re.fullmatch(r"[0-9]{4}", answer)
    image = requests.get(captcha.url, timeout=5)
    assert image.headers["Content-Type"] == "image/svg+xml"
    assert f">{answer}</text>" in image.text
    token = http_client.verify_captcha(answer, captcha.token)
    http_client.request_sms_code(PHONE, validate_token=token)
    assert len(emulator_server.emulator.messages(PHONE)) == 1
    emulator_server.emulator.clock.advance(61)
    with lc_error(LeanCloudCaptchaError, 608):
        http_client.request_sms_code(PHONE, validate_token=token)


def test_wrong_captcha_answer_is_607_and_uses_the_challenge_up(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    captcha = http_client.request_captcha()
    answer = captcha_answer(emulator_server.url, captcha.token)
    with lc_error(LeanCloudCaptchaError, 607):
        http_client.verify_captcha(str((int(answer) + 1) % 10_000).zfill(4), captcha.token)
    with lc_error(LeanCloudCaptchaError, 607):
        http_client.verify_captcha(answer, captcha.token)
    with lc_error(LeanCloudCaptchaError, 607):
        http_client.verify_captcha("1234", "NoSuchToken")


def test_captcha_options_and_expiry(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    url, clock = emulator_server.url, emulator_server.emulator.clock
    sized = http_client.request_captcha(size=6, ttl=10)  # master key
    assert len(captcha_answer(url, sized.token)) == 6
    framed = http_client.request_captcha(width=120, height=40)
    assert framed.url.endswith("&width=120&height=40")
    default = http_client.request_captcha()
    clock.advance(11)
    with lc_error(LeanCloudCaptchaError, 607):
        http_client.verify_captcha(captcha_answer(url, sized.token), sized.token)
    token = http_client.verify_captcha(captcha_answer(url, default.token), default.token)
    clock.advance(50)
    with lc_error(LeanCloudCaptchaError, 607):  # 60 s by default
        http_client.verify_captcha(captcha_answer(url, framed.token), framed.token)
    clock.advance(10 * 60)
    with lc_error(LeanCloudCaptchaError, 608):  # validate tokens live 10 minutes
        http_client.request_sms_code(PHONE, validate_token=token)


def test_captcha_service_switched_off(serve: Serve) -> None:
    _, client = serve(captcha_enabled=False)
    with lc_error(LeanCloudServiceDisabled, 119):
        client.request_captcha()
    with lc_error(LeanCloudServiceDisabled, 119):
        client.verify_captcha("1234", "AbCdEfGh")


SENDERS = ["sms", "login", "reset", "verify", "change"]


def _send(client: LeanCloudClient, kind: str, session: str, token: str | None) -> None:
    if kind == "sms":
        client.request_sms_code(OTHER, validate_token=token)
    elif kind == "login":
        client.request_login_sms_code(OTHER, validate_token=token)
    elif kind == "reset":
        client.request_password_reset_by_sms_code(OTHER, validate_token=token)
    elif kind == "verify":
        client.request_mobile_phone_verify(OTHER, validate_token=token)
    else:
        client.request_change_phone_number(OTHER, session_token=session, validate_token=token)


@pytest.mark.parametrize("kind", SENDERS)
def test_captcha_required_guards_every_sender(serve: Serve, kind: str) -> None:
    server, client = serve(captcha_required=True)
    emulator = server.emulator
    session = make_user(emulator, PHONE).session_token
    if kind != "change":
        make_user(emulator, OTHER, verified=kind != "verify", password="pw-123456")
    for bad in (None, "bogus-validate-token"):
        with lc_error(LeanCloudCaptchaError, 608):
            _send(client, kind, session, bad)
    assert emulator.messages() == []
    token = validate_token(client, server.url)
    _send(client, kind, session, token)
    assert len(emulator.messages(OTHER)) == 1
    emulator.clock.advance(61)
    with lc_error(LeanCloudCaptchaError, 608):  # spent
        _send(client, kind, session, token)
    _send(client, kind, session, validate_token(client, server.url))
    assert len(emulator.messages(OTHER)) == 2


def test_a_refused_send_does_not_spend_the_validate_token(serve: Serve) -> None:
    server, client = serve(captcha_required=True)
    client.request_sms_code(PHONE, validate_token=validate_token(client, server.url))
    token = validate_token(client, server.url)
    with lc_error(LeanCloudRateLimited, 1, message=MESSAGE_TOO_FAST):
        client.request_sms_code(PHONE, validate_token=token)
    server.emulator.clock.advance(61)
    client.request_sms_code(PHONE, validate_token=token)
