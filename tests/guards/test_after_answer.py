"""A success's release waits for the answer (``afterwards.after_answer``), and always comes.

The release gives a sign-in's slots back and marks its client as known for the number. Under
WSGI and ASGI alike it runs once the response is closed (``request_finished``); outside a
request (a management command, a service called directly) at once; a failing release is
logged, never raised into the server; and a request that never finished leaves nothing behind
for the next one on its thread.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.core.signals import request_finished, request_started
from django.test import AsyncClient, RequestFactory

from django_lc_phone.guards import afterwards as plan
from django_lc_phone.guards.identity import digest
from django_lc_phone.guards.limits.attempts import _attempt_limits
from django_lc_phone.guards.windows import cache
from tests import upstream
from tests.app._api import PASSWORD, PHONE, post, signup, url


def _known() -> bool:
    """Whether the test client's address is known for ``PHONE`` (the release's own write)."""
    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    limits = _attempt_limits("password", digest("phone", PHONE), request, None)
    return bool(cache().get(limits.known_key))


def _forget_known() -> None:
    request = RequestFactory().post("/", REMOTE_ADDR="127.0.0.1")
    cache().delete(_attempt_limits("password", digest("phone", PHONE), request, None).known_key)


def test_under_wsgi_the_release_has_run_when_the_client_has_the_answer(
    api: Any, lc: upstream.CountingApp
) -> None:
    signup(api, PHONE, password=PASSWORD)
    _forget_known()
    response = post(api, "login/", {"phone": PHONE, "password": PASSWORD})
    assert response.status_code == 200
    assert _known()


@pytest.mark.django_db(transaction=True)
def test_under_asgi_too(api: Any, lc: upstream.CountingApp) -> None:
    signup(api, PHONE, password=PASSWORD)
    _forget_known()
    body = {"phone": PHONE, "password": PASSWORD}

    async def login() -> Any:
        return await AsyncClient().post(url("login/"), body, content_type="application/json")

    response = async_to_sync(login)()
    assert response.status_code == 200
    assert _known()


def test_outside_a_request_it_runs_at_once() -> None:
    ran: list[int] = []
    plan.after_answer(lambda: ran.append(1))
    assert ran == [1]


def test_a_failing_release_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    ran: list[int] = []

    def broken() -> None:
        raise RuntimeError("redis went away")

    request_started.send(sender=None)
    plan.after_answer(broken)
    plan.after_answer(lambda: ran.append(1))
    assert ran == []  # waits for the answer
    with caplog.at_level(logging.ERROR, logger="django_lc_phone.security"):
        request_finished.send(sender=None)
    assert ran == [1]  # the others still run
    assert "a limit release after the answer failed" in caplog.text


def test_a_request_that_never_finished_leaves_nothing_behind() -> None:
    ran: list[int] = []
    request_started.send(sender=None)
    plan.after_answer(lambda: ran.append(1))
    request_started.send(sender=None)  # the next request on this thread
    assert ran == [1]
    request_finished.send(sender=None)
    assert ran == [1]
