"""What a load generator is given (a ``LoadScript``: bodies POSTed in turn to one path) and what
it reports (a ``WrkResult``), shared by wrk (``wrk.py``) and the Python fallback (``pyload.py``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class LoadScript:
    """Requests to send: ``bodies`` in turn, each to ``path`` with ``headers``."""

    path: str
    bodies: Sequence[str]
    headers: Mapping[str, str]
    method: str = "POST"


@dataclass(frozen=True)
class WrkResult:
    """One load run: latencies in milliseconds, throughput in requests per second."""

    requests: int
    seconds: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float
    socket_errors: int
    status_errors: int

    @property
    def rps(self) -> float:
        """Completed requests per second."""
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        """Socket errors, timeouts and answers that were not 2xx/3xx."""
        return self.socket_errors + self.status_errors
