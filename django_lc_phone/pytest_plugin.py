"""pytest fixtures for projects that use django-lc-phone: a LeanCloud emulator on a free port.

Enable with ``pytest_plugins = ["django_lc_phone.pytest_plugin"]`` in a ``conftest.py``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_lc_phone.emulator import Emulator, RunningServer, serve_in_thread


@pytest.fixture(scope="session")
def lc_emulator_session() -> Iterator[RunningServer]:
    """One emulator served over HTTP for the whole session (see ``lc_emulator``)."""
    with serve_in_thread(Emulator()) as running:
        yield running


@pytest.fixture
def lc_emulator(lc_emulator_session: RunningServer) -> Iterator[RunningServer]:
    """A LeanCloud emulator over real HTTP on 127.0.0.1, emptied before and after each test.

    ``lc_emulator.url`` is its base URL (give it to the client as the server URL) and
    ``lc_emulator.emulator`` its Python API: ``messages()``, ``last_code(phone)``,
    ``clock.advance(seconds)``, ``arm_fault(kind)``, ``reset()``.
    """
    lc_emulator_session.emulator.reset()
    yield lc_emulator_session
    lc_emulator_session.emulator.reset()
