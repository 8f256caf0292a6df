"""Fixtures for the client-against-emulator tests: emulators with other console settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from django_lc_phone.emulator import Emulator, EmulatorConfig, RunningServer, serve_in_thread
from django_lc_phone.leancloud import LeanCloudClient
from tests.conftest import make_client

Serve = Callable[..., tuple[RunningServer, LeanCloudClient]]


@pytest.fixture
def serve() -> Iterator[Serve]:
    """Start an emulator with ``EmulatorConfig(**options)`` over real HTTP, for this test."""
    with ExitStack() as stack:

        def start(**options: Any) -> tuple[RunningServer, LeanCloudClient]:
            emulator = Emulator(EmulatorConfig(**options))
            running = stack.enter_context(serve_in_thread(emulator))
            client = make_client(emulator, running.url, read_timeout=2.0)
            stack.callback(client.close)
            return running, client

        yield start
