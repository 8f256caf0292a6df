"""Testing a project that uses django-lc-phone, with no network: helpers, the pytest plugin
(``pytest_plugin``, loaded through its ``pytest11`` entry point) and the in-process transport
that puts a WSGI app behind LeanCloud's client (``inprocess``, standard library and requests).

The helpers (``fixtures``: :class:`SmsOutbox`, :class:`EmulatorHandle`,
:func:`lc_phone_test_settings`, :func:`advance_clock`...) are imported from here when first
used, so the in-process transport can be imported without Django.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .fixtures import (
        CACHE_ALIAS,
        CLOCK,
        LOCMEM_GATEWAY,
        EmulatorHandle,
        SmsOutbox,
        advance_clock,
        lc_phone_test_settings,
        now,
    )

__all__ = [
    "CACHE_ALIAS",
    "CLOCK",
    "LOCMEM_GATEWAY",
    "EmulatorHandle",
    "SmsOutbox",
    "advance_clock",
    "lc_phone_test_settings",
    "now",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module(".fixtures", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
