"""The notice to the old number when a user's number changes (``PHONE_CHANGE_NOTICE``), through
the API on both providers: on by default with the local provider, off with LeanCloud's (a
template message of ``requestSmsCode`` there), sent after the answer, and never undoing the
change when it fails."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from django_lc_phone import deliveries, signals
from django_lc_phone.exceptions import SmsNotDelivered
from django_lc_phone.models import PhoneProfile
from django_lc_phone.providers.local import LocalProvider
from django_lc_phone.services import notices
from django_lc_phone.sms import locmem
from tests import upstream
from tests.app._api import OTHER, PASSWORD, PHONE, cool_down, lc_phone_settings, post, received
from tests.services._local import last_code

MASKED_OTHER = "+86139****9000"


def _change(django_capture_on_commit_callbacks: Any) -> tuple[Any, Any]:
    """Sign up PHONE, change it to OTHER (commit callbacks run); the answer and the user."""
    client = APIClient()
    post(client, "sms-code/", {"phone": PHONE})
    body = {"phone": PHONE, "code": last_code(PHONE), "password": PASSWORD}
    signup = post(client, "signup/", body).json()
    cool_down()
    client.credentials(HTTP_AUTHORIZATION=f"Token {signup['token']}")
    assert post(client, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
    with django_capture_on_commit_callbacks(execute=True):
        answer = post(client, "phone/change/", {"phone": OTHER, "code": last_code(OTHER)})
    assert answer.status_code == 200, answer.json()
    return answer, get_user_model().objects.get(pk=signup["user"]["id"])


def _notices(phone: str = PHONE) -> list[Any]:
    return [m for m in locmem.outbox if m.phone == phone and m.code is None]


def test_local_tells_the_old_number_by_default_and_signals(
    local: None, django_capture_on_commit_callbacks: Any
) -> None:
    with (
        lc_phone_settings(SITE_NAME="Acme"),
        received(signals.phone_change_notice_sent) as sent,
    ):
        _answer, user = _change(django_capture_on_commit_callbacks)
    [notice] = _notices()
    assert notice.text == (
        f"Your phone number on Acme was changed to {MASKED_OTHER}. If this was not you, contact us."
    )
    assert notice.template == "phone_change_notice"
    assert notice.variables == {"site": "Acme", "phone": MASKED_OTHER}
    assert [(s["user"], s["old_phone"], s["new_phone"]) for s in sent] == [(user, PHONE, OTHER)]


def test_local_notice_text_and_switch_are_settings(
    local: None, django_capture_on_commit_callbacks: Any
) -> None:
    with lc_phone_settings(PHONE_CHANGE_NOTICE_TEXT="%(phone)s is yours now, says %(site)s."):
        _change(django_capture_on_commit_callbacks)
    assert [m.text for m in _notices()] == [f"{MASKED_OTHER} is yours now, says ."]
    PhoneProfile.objects.all().delete()
    get_user_model().objects.all().delete()
    locmem.outbox.clear()
    cool_down()
    with lc_phone_settings(PHONE_CHANGE_NOTICE=False):
        _change(django_capture_on_commit_callbacks)
    assert _notices() == []


def test_leancloud_sends_no_notice_by_default(
    lc: upstream.CountingApp, django_capture_on_commit_callbacks: Any
) -> None:
    _change(django_capture_on_commit_callbacks)
    assert [m for m in upstream.EMULATOR.messages(PHONE) if not m["code"]] == []


def test_leancloud_notice_is_a_template_message_of_request_sms_code(
    lc: upstream.CountingApp,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    template = "Your {{{site}}} number is now {{{phone}}}."
    monkeypatch.setitem(upstream.EMULATOR.config.templates, "Phone_Changed", template)
    settings = {"PHONE_CHANGE_NOTICE": True, "PHONE_CHANGE_NOTICE_TEMPLATE": "Phone_Changed"}
    with (
        lc_phone_settings(SITE_NAME="Acme", **settings),
        received(signals.phone_change_notice_sent) as sent,
    ):
        _change(django_capture_on_commit_callbacks)
    [notice] = [m for m in upstream.EMULATOR.messages(PHONE) if m["template"] == "Phone_Changed"]
    assert notice["code"] is None
    assert MASKED_OTHER in notice["text"]
    assert "Acme" in notice["text"]
    assert [(s["old_phone"], s["new_phone"]) for s in sent] == [(PHONE, OTHER)]


def test_a_failed_notice_undoes_nothing_and_is_logged_masked(
    local: None,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def refuse(self: Any, phone: str, **kwargs: Any) -> None:
        raise SmsNotDelivered()

    monkeypatch.setattr(LocalProvider, "send_notice", refuse)
    with received(signals.phone_change_notice_sent) as sent:
        answer, user = _change(django_capture_on_commit_callbacks)
    assert answer.json()["phone"] == OTHER
    assert PhoneProfile.objects.get(user=user).phone == OTHER
    assert sent == []
    [logged] = [r for r in caplog.records if "phone change notice failed" in r.getMessage()]
    assert "+86138****8000" in logged.getMessage()
    assert PHONE not in logged.getMessage()


def test_the_notice_leaves_the_request_through_deliveries(
    local: None, django_capture_on_commit_callbacks: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted: list[tuple[Any, dict[str, Any]]] = []
    real_submit = deliveries.submit

    def recording(task: Any, /, **kwargs: Any) -> None:
        submitted.append((task, kwargs))
        if task is not notices.send_phone_change_notice:
            real_submit(task, **kwargs)

    monkeypatch.setattr(deliveries, "submit", recording)
    _answer, user = _change(django_capture_on_commit_callbacks)
    assert _notices() == []  # handed over, not sent in the request
    [(_task, kwargs)] = [(t, k) for t, k in submitted if t is notices.send_phone_change_notice]
    assert kwargs == {
        "user_id": str(user.pk),
        "old_phone": PHONE,
        "new_phone": OTHER,
        "language": kwargs["language"],
    }
