"""What handlers see of the emulator: narrow protocols that ``app.Emulator`` satisfies.

The LeanCloud routes (``routes_*.py``) get a :class:`Context`, the control API
(``controls.py``) a :class:`Controls`; neither imports ``app``, so the emulator has no import
cycle, not even a type-only one (an import-linter contract keeps it so).
"""

from __future__ import annotations

from typing import Any, Protocol

from .clock import Clock
from .config import EmulatorConfig
from .faults import FaultPlan
from .sms import Message
from .store import Store


class Context(Protocol):
    """The console settings, the test numbers and the console echo: all a route uses."""

    config: EmulatorConfig

    def test_numbers(self) -> dict[str, str]:
        """The configured test numbers plus those added at run time."""

    def echo(self, message: Message) -> None:
        """Print a sent code to the console when configured to."""


class Controls(Context, Protocol):
    """The test-facing state the control API reads and changes."""

    clock: Clock
    store: Store
    faults: FaultPlan

    def add_test_number(self, phone: str, code: str) -> None:
        """Give ``phone`` a fixed, reusable code."""

    def messages(self, phone: str | None = None) -> list[dict[str, Any]]:
        """Outbox messages, oldest first."""

    def clear_messages(self) -> None:
        """Empty the outbox."""

    def set_latency(self, seconds: float) -> None:
        """Delay every API request."""

    def reset(self) -> None:
        """Forget everything."""
