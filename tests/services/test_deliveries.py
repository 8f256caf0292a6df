"""Sends outside the request (``deliveries.py``): who runs them, and that none is lost or answered.

The suite runs with ``SEND_IN_BACKGROUND`` off (codes are in the outbox when a request
returns); these tests turn it on.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from django_lc_phone import deliveries, services, signals
from django_lc_phone.exceptions import ProviderUnavailable
from django_lc_phone.services import sends
from tests import upstream
from tests.app._api import OTHER, PHONE, lc_phone_settings, post, received, signup

TASKS = deliveries.framework()


def _run_task(**kwargs: Any) -> None:
    """Run the send task here and now, as a worker would."""
    task: Any = services.deliver_code
    task.call(**kwargs)


DUMMY = f"{TASKS.__name__}.backends.dummy.DummyBackend" if TASKS else ""


def test_the_send_task_is_a_task_of_the_framework_a_worker_can_find() -> None:
    """A worker looks the task up by its module path: it must be the module attribute."""
    assert TASKS is not None  # django.tasks (Django 6.0+) or the django-tasks package
    task = services.deliver_code
    assert isinstance(task, TASKS.base.Task)
    assert task.module_path == "django_lc_phone.services.sends.deliver_code"


def test_without_a_queue_the_send_runs_on_the_send_thread(
    lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No TASKS setting (its ImmediateBackend would run the send inside the request): a
    thread of the process sends it, after the answer."""
    signup(APIClient(), PHONE)
    ran: list[str] = []
    send = sends._SENDS["login"]

    def recording(*args: Any) -> None:
        ran.append(threading.current_thread().name)
        send(*args)

    monkeypatch.setitem(sends._SENDS, "login", recording)
    assert deliveries.queue_backend() is None
    with lc_phone_settings(SEND_IN_BACKGROUND=True):
        response = post(APIClient(), "login/sms-code/", {"phone": PHONE})
        assert deliveries.drain()
    assert response.status_code == 202
    assert ran == ["lc-phone-sends"]
    assert len(upstream.EMULATOR.messages(PHONE)) == 2  # the sign-up code, and this one


@pytest.mark.django_db(transaction=True)
def test_a_queueing_backend_gets_the_send_with_json_arguments(lc: upstream.CountingApp) -> None:
    """With a backend that queues (here the framework's DummyBackend, which keeps what it is
    given), the request only enqueues: the worker that runs the task later sends the code."""
    signup(APIClient(), PHONE)
    upstream.EMULATOR.clear_messages()
    with (
        override_settings(TASKS={"default": {"BACKEND": DUMMY}}),
        lc_phone_settings(SEND_IN_BACKGROUND=True),
    ):
        backend = deliveries.queue_backend()
        assert backend is not None
        response = post(APIClient(), "password-reset/sms-code/", {"phone": PHONE})
        assert response.status_code == 202
        assert upstream.EMULATOR.messages(PHONE) == []  # nothing sent in the request
        [result] = backend.results
        assert result.kwargs == {
            "flow": "reset_password",
            "phone": PHONE,
            "validate_token": None,
            "language": "en",  # the request's (LocaleMiddleware), for the message text
            "user_id": None,
        }
        result.task.call(*result.args, **result.kwargs)  # what the worker does
    assert len(upstream.EMULATOR.messages(PHONE)) == 1


def test_a_queue_that_refuses_the_send_leaves_it_to_the_thread(
    lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The queue's database is down, say: the send is not lost, the process sends it."""
    signup(APIClient(), PHONE)
    upstream.EMULATOR.clear_messages()

    class Refusing:
        alias = "default"

    def refuse(**kwargs: Any) -> None:
        raise RuntimeError("the queue is down")

    monkeypatch.setattr(deliveries, "queue_backend", lambda: Refusing())
    monkeypatch.setattr(type(services.deliver_code), "enqueue", lambda self, **kw: refuse(**kw))
    with lc_phone_settings(SEND_IN_BACKGROUND=True), caplog.at_level(logging.ERROR):
        assert post(APIClient(), "login/sms-code/", {"phone": PHONE}).status_code == 202
        assert deliveries.drain()
    assert len(upstream.EMULATOR.messages(PHONE)) == 1
    assert "the task queue refused it" in caplog.text


def test_a_failed_send_is_logged_and_signalled_never_raised(
    lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture
) -> None:
    signup(APIClient(), PHONE)
    upstream.EMULATOR.arm_fault("drop")
    with received(signals.code_send_failed) as failed, caplog.at_level(logging.ERROR):
        _run_task(flow="login", phone=PHONE)
    assert [(f["flow"], f["phone"], type(f["error"])) for f in failed] == [
        ("login", PHONE, ProviderUnavailable)
    ]
    [record] = [r for r in caplog.records if "code send" in r.getMessage()]
    assert record.name == "django_lc_phone.security"
    assert PHONE not in record.getMessage()  # masked
    assert "+86138****8000" in record.getMessage()


def test_a_number_without_an_account_gets_nothing_quietly(
    lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture
) -> None:
    with received(signals.code_send_failed) as failed, caplog.at_level(logging.DEBUG):
        _run_task(flow="reset_password", phone=OTHER)
    assert failed == []
    assert upstream.EMULATOR.messages(OTHER) == []
    assert "code send" not in caplog.text
