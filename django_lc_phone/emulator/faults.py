"""Fault injection for the next N requests, and injected latency.

A WSGI app cannot drop a socket or hang a client by itself, so two faults are raised as builtin
exceptions that every transport understands: :class:`ConnectionAbortedError` (drop the connection
without an answer) and :class:`TimeoutError` (hang past the client's read timeout).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

FAULT_KINDS: Final = (
    "http_error",  # a 5xx with a LeanCloud-style JSON body ({"code": status, "error": ...})
    "html",  # an HTML error page, as a proxy in front of LeanCloud would send
    "malformed_json",  # a 200 whose body is not valid JSON
    "empty",  # a 200 with an empty body
    "redirect",  # a 302 to another host
    "hang",  # no answer until the client gives up
    "drop",  # the connection is closed without an answer
)


@dataclass
class Fault:
    """One armed fault; ``path`` limits it to requests whose path starts with it."""

    kind: str
    remaining: int = 1
    path: str | None = None
    status: int = 500
    seconds: float = 30.0

    def __post_init__(self) -> None:
        """Refuse options the transports could not act on (``ValueError``), at arming time."""
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {self.kind!r}; choose from {', '.join(FAULT_KINDS)}")
        if not _is_int(self.remaining) or self.remaining < 1:
            raise ValueError("count must be an integer of at least 1")
        if self.path is not None and (
            not isinstance(self.path, str) or not self.path.startswith("/")
        ):
            raise ValueError("path must be a string starting with /")
        if not _is_int(self.status) or not 100 <= self.status <= 599:
            raise ValueError("status must be an HTTP status between 100 and 599")
        if not _is_number(self.seconds) or self.seconds < 0:
            raise ValueError("seconds must be a non-negative number")

    def to_json(self) -> dict[str, object]:
        """The fault as the control API shows it."""
        return {
            "fault": self.kind,
            "count": self.remaining,
            "path": self.path,
            "status": self.status,
            "seconds": self.seconds,
        }


class FaultPlan:
    """Thread-safe queue of armed faults plus a fixed latency added to every API request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.latency = 0.0
        # Set to release every hanging request at once (reset, shutdown).
        self.release = threading.Event()

    def arm(self, fault: Fault) -> None:
        """Queue a fault for the next ``fault.remaining`` matching requests."""
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._faults.append(fault)
        self.release.clear()

    def take(self, path: str) -> Fault | None:
        """The first armed fault matching ``path``, consuming one of its uses."""
        with self._lock:
            for fault in self._faults:
                if fault.path is None or path.startswith(fault.path):
                    fault.remaining -= 1
                    if fault.remaining == 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def armed(self) -> list[Fault]:
        """A snapshot of what is armed."""
        with self._lock:
            return [Fault(**vars(f)) for f in self._faults]

    def clear(self) -> None:
        """Disarm everything, remove latency and release hanging requests."""
        with self._lock:
            self._faults.clear()
        self.latency = 0.0
        self.release.set()


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def payload(fault: Fault) -> tuple[int, str, bytes]:
    """Status, content type and body for the faults that do answer."""
    if fault.kind == "html":
        status = fault.status if fault.status != 500 else 502
        page = f"<html><body><h1>{status} Bad Gateway</h1><p>openresty</p></body></html>"
        return status, "text/html", page.encode()
    if fault.kind == "malformed_json":
        return 200, "application/json;charset=utf-8", b'{"objectId": "5d8'
    if fault.kind == "empty":
        return 200, "application/json;charset=utf-8", b""
    if fault.kind == "redirect":
        return 302, "text/html", b""
    body = f'{{"code":{fault.status},"error":"Emulated server error."}}'
    return fault.status, "application/json;charset=utf-8", body.encode()
