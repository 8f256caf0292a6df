"""The Django app's fixtures, shared by the folders whose tests run against the app: the counting
in-process emulator (autouse) and an API client. Each such folder's conftest imports them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

from django_lc_phone.checks import redis as redis_policy
from tests import upstream


@pytest.fixture(autouse=True)
def lc(db: None) -> Iterator[upstream.CountingApp]:
    """The emulator the app talks to, emptied, with its call log cleared, around each test."""
    upstream.EMULATOR.reset()
    upstream.COUNTER.calls.clear()
    yield upstream.COUNTER
    upstream.EMULATOR.reset()


@pytest.fixture
def api() -> APIClient:
    """A DRF test client."""
    return APIClient()


@pytest.fixture
def redis_never_evicts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every Redis cache answers the system checks as a server whose maxmemory-policy is
    noeviction, without being asked (tests/checks/test_checks_cache.py asks real servers)."""
    never = redis_policy.MemoryPolicy(redis_policy.NO_EVICTION, 0)
    monkeypatch.setattr(redis_policy, "read", lambda client: never)
