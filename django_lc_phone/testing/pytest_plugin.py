"""pytest fixtures for projects that use django-lc-phone: test phone sign-in with no network.

Active wherever the package is installed (the ``pytest11`` entry point ``django_lc_phone``;
``-p no:django_lc_phone`` turns it off). Two fixtures, one per provider:

- ``lc_emulator``: a LeanCloud emulator over HTTP, emptied around each test; in a Django
  project (pytest-django) the app talks to it as its LeanCloud for the test.
- ``sms_outbox``: the local provider, sending through the in-memory gateway; the fixture is the
  list of messages sent.

Under either, the app's limits start empty in a cache of the test's own and run on a clock the
test moves (``advance(seconds)``). See ``django_lc_phone.testing`` and docs/testing.md.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import pytest

from ..emulator import Emulator, RunningServer, serve_in_thread
from . import EmulatorHandle, SmsOutbox, lc_phone_test_settings


def _django_app_ready() -> bool:
    """True inside a configured Django project that has this app installed."""
    try:
        from django.apps import apps
        from django.conf import settings
    except ImportError:  # pragma: no cover - Django is a dependency, but be polite
        return False
    return settings.configured and apps.ready and apps.is_installed("django_lc_phone")


def _app_settings(overrides: dict[str, Any]) -> contextlib.AbstractContextManager[None]:
    if _django_app_ready():
        return lc_phone_test_settings(**overrides)
    return contextlib.nullcontext()


@pytest.fixture(scope="session")
def lc_emulator_session() -> Iterator[RunningServer]:
    """One emulator served over HTTP on 127.0.0.1 for the whole session (see ``lc_emulator``)."""
    with serve_in_thread(Emulator()) as running:
        yield running


@pytest.fixture
def lc_emulator(lc_emulator_session: RunningServer) -> Iterator[EmulatorHandle]:
    """A LeanCloud emulator over real HTTP, emptied before and after each test.

    In a Django project with ``django_lc_phone`` installed, ``LC_PHONE`` points at it for the
    test (``PROVIDER = "leancloud"``, its URL and credentials). The handle gives ``url``,
    ``messages(phone)``, ``last_code(phone)``, ``advance(seconds)`` (the emulator's clock and
    the app's limits together), ``fail_next(kind)``, ``set_latency(seconds)`` and the whole
    ``emulator``.
    """
    handle = EmulatorHandle(lc_emulator_session)
    handle.emulator.reset()
    try:
        with _app_settings(handle.settings()):
            yield handle
    finally:
        handle.emulator.reset()


@pytest.fixture
def sms_outbox() -> Iterator[SmsOutbox]:
    """The local provider with the in-memory SMS gateway; the messages it sends, oldest first.

    ``sms_outbox.last_code(phone)`` is the newest code sent to a number, ``to(phone)`` its
    messages, ``advance(seconds)`` moves the app's limits' clock, ``clear()`` empties it.
    """
    outbox = SmsOutbox()
    outbox.clear()
    try:
        with _app_settings(SmsOutbox.settings):
            yield outbox
    finally:
        outbox.clear()
