"""Helpers for the tests of the system checks: a correct production configuration, and its
messages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib import import_module
from typing import Any

from django.core import checks
from django.test import override_settings

from django_lc_phone import checks as lc_checks
from django_lc_phone import deliveries

_DUMMY: Any = import_module(f"{deliveries.framework().__name__}.backends.dummy").DummyBackend  # type: ignore[union-attr]


class QueueBackend(_DUMMY):  # type: ignore[misc]
    """What a queue's backend does on the web's side: it keeps the task for a worker."""


GOOD_LC_PHONE = {
    "APP_ID": "real-app-id",
    "APP_KEY": "real-app-key",
    "MASTER_KEY": "real-master-key",
    "SERVER_URL": "https://api.example.com",
    "ALLOWED_REGIONS": ["CN"],
}
SHARED_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        # Never connected to: the redis_never_evicts fixture answers for it
        # (tests/checks/test_checks_cache.py asks real servers).
        "LOCATION": "redis://127.0.0.1:6379/15",
    }
}
LOCMEM_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
BACKENDS = [
    "django_lc_phone.backends.PhoneCodeBackend",
    "django_lc_phone.backends.PhonePasswordBackend",  # before ModelBackend: lc_phone.E020
    "django.contrib.auth.backends.ModelBackend",
]
# A task backend that queues (it keeps what it is given, like a real queue's database), so
# the sends that leave the request are not on a thread of the web process (lc_phone.W020).
QUEUE = {"default": {"BACKEND": "tests.checks._checks.QueueBackend"}}
MODEL_BACKEND_ONLY = ["django.contrib.auth.backends.ModelBackend"]


@contextmanager
def configured(*, debug: bool = False, **lc_phone: str | bool | None) -> Iterator[None]:
    """A correct production configuration, with ``LC_PHONE`` keys replaced or (None) removed."""
    value = {k: v for k, v in {**GOOD_LC_PHONE, **lc_phone}.items() if v is not None}
    with override_settings(
        LC_PHONE=value,
        DEBUG=debug,
        CACHES=SHARED_CACHE,
        AUTHENTICATION_BACKENDS=BACKENDS,
        TASKS=QUEUE,
    ):
        yield


def lc_phone_messages() -> list[checks.CheckMessage]:
    """What ``manage.py check`` reports under the ``lc_phone`` tag."""
    return checks.run_checks(tags=[lc_checks.TAG])


def ids(messages: list[checks.CheckMessage]) -> list[str]:
    """The ids, sorted."""
    return sorted(str(m.id) for m in messages)
