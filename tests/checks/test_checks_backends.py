"""Checks of the order of AUTHENTICATION_BACKENDS (E020) and of who runs the sends that leave
the request (W020, E021)."""

from __future__ import annotations

import pytest
from django.test import override_settings

from tests.checks._checks import QUEUE, configured, ids, lc_phone_messages

MODEL = "django.contrib.auth.backends.ModelBackend"
CODE = "django_lc_phone.backends.PhoneCodeBackend"
PASSWORD = "django_lc_phone.backends.PhonePasswordBackend"
ALLOW_ALL = "django.contrib.auth.backends.AllowAllUsersModelBackend"


@pytest.mark.parametrize(
    "backends",
    [[MODEL, CODE, PASSWORD], [CODE, MODEL], [MODEL], [ALLOW_ALL, PASSWORD]],
    ids=["model-first", "no-password-backend", "model-only", "a-model-backend-subclass-first"],
)
def test_e020_a_model_backend_before_the_password_backend(backends: list[str]) -> None:
    """Finding 6: ModelBackend checked a phone user's password (the username is the number)
    with no limit; the check says so wherever it comes before PhonePasswordBackend."""
    with configured(), override_settings(AUTHENTICATION_BACKENDS=backends):
        messages = [m for m in lc_phone_messages() if m.id == "lc_phone.E020"]
    assert len(messages) == 1
    first_model = next(b for b in backends if b in (MODEL, ALLOW_ALL))
    assert first_model in messages[0].msg
    assert PASSWORD in str(messages[0].hint)


@pytest.mark.parametrize(
    "backends", [[PASSWORD, MODEL], [CODE, PASSWORD, MODEL], [CODE], [PASSWORD]]
)
def test_no_e020_once_the_password_backend_comes_first(backends: list[str]) -> None:
    with configured(), override_settings(AUTHENTICATION_BACKENDS=backends):
        assert "lc_phone.E020" not in ids(lc_phone_messages())


def test_w020_sends_on_a_thread_of_the_web_process_in_production() -> None:
    with configured(SEND_IN_BACKGROUND=True), override_settings(TASKS={}):
        found = [m for m in lc_phone_messages() if m.id == "lc_phone.W020"]
    assert len(found) == 1
    assert "TASKS has no backend 'default' that queues" in found[0].msg
    with configured(SEND_IN_BACKGROUND=True, debug=True), override_settings(TASKS={}):
        assert "lc_phone.W020" not in ids(lc_phone_messages())  # development: fine
    with configured(SEND_IN_BACKGROUND=False), override_settings(TASKS={}):
        assert "lc_phone.W020" not in ids(lc_phone_messages())
    with configured(SEND_IN_BACKGROUND=True), override_settings(TASKS=QUEUE):
        assert "lc_phone.W020" not in ids(lc_phone_messages())


def test_e021_a_dummy_backend_never_sends() -> None:
    from django_lc_phone import deliveries

    framework = deliveries.framework()
    assert framework is not None
    dummy = {"default": {"BACKEND": f"{framework.__name__}.backends.dummy.DummyBackend"}}
    with configured(SEND_IN_BACKGROUND=True), override_settings(TASKS=dummy):
        assert "lc_phone.E021" in ids(lc_phone_messages())
