"""What this folder's tests of both providers share: the local provider on the in-memory
gateway, and the newest code either provider sent to a number."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_lc_phone.conf import get_settings
from django_lc_phone.sms import locmem
from django_lc_phone.testing.fixtures import LOCMEM_GATEWAY
from tests import upstream
from tests.app._api import lc_phone_settings


@pytest.fixture
def local() -> Iterator[None]:
    """The local provider, its codes in ``locmem.outbox`` (emptied before and after)."""
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM_GATEWAY):
        yield
    locmem.outbox.clear()


def last_code(phone: str) -> str:
    """The newest code sent to ``phone``: the local outbox's, or the emulator's."""
    if get_settings().PROVIDER == "local":
        return next(m.code for m in reversed(locmem.outbox) if m.phone == phone and m.code)
    return upstream.EMULATOR.last_code(phone)
