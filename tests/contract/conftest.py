"""Every contract test runs twice: against LeanCloud (the emulator) and the local provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.app_fixtures import api, lc  # noqa: F401  (the suite's fixtures, shared)
from tests.contract.backends import EmulatorInbox, Inbox, local_provider


@pytest.fixture(params=["leancloud", "local"])
def inbox(request: pytest.FixtureRequest) -> Iterator[Inbox]:
    """Where the codes of the provider under test arrive."""
    if request.param == "leancloud":
        yield EmulatorInbox()
    else:
        with local_provider() as gateway_inbox:
            yield gateway_inbox
