"""Fixtures for the Django app's tests: the counting in-process emulator and an API client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rest_framework.test import APIClient

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
