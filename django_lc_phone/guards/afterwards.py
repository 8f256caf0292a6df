"""What waits for a request's answer: a success's limit writes, run once the answer is sent.

A success gives its slots back with its own writes (``plan.Reservation.release``): one more
round trip, which the client need not wait for. The slots it gives back only count for longer
meanwhile, never less.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.core.signals import request_finished, request_started

logger = logging.getLogger("django_lc_phone.security")

# What waits for this request's answer (None outside a request: it then runs at once).
_after_answer: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "lc_phone_after_answer", default=None
)


def after_answer(action: Callable[[], None]) -> None:
    """Run ``action`` once this request's answer is sent (Django's ``request_finished``, which
    the server sends when the response is closed), or now outside a request."""
    waiting = _after_answer.get()
    if waiting is None:
        action()
    else:
        waiting.append(action)


def _run_waiting(**_: Any) -> None:
    waiting = _after_answer.get()
    _after_answer.set(None)
    for action in waiting or ():
        try:
            action()
        except Exception:  # the answer is gone: log, never raise into the server
            logger.exception("a limit release after the answer failed")


def _request_started(**kwargs: Any) -> None:
    _run_waiting(**kwargs)  # a request that never finished leaves nothing behind
    _after_answer.set([])


request_started.connect(_request_started, dispatch_uid="django_lc_phone.guards.afterwards.started")
request_finished.connect(_run_waiting, dispatch_uid="django_lc_phone.guards.afterwards.finished")
