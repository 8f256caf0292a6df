"""Code sends that leave the request: a queue of Django's tasks framework, else a thread.

A login or reset code goes out only for a number that has an account, so a request that sent
it would take longer (an SMS gateway's round trip, LeanCloud's), fail differently (a gateway's
refusal or outage) and tell who has an account, whatever its body says. Such a send is handed
over here, and the request answers at once, the same for every number.

Who runs it (``LC_PHONE["SEND_IN_BACKGROUND"]``, ``LC_PHONE["TASK_BACKEND"]``):

- a backend of Django's tasks framework (``django.tasks`` from Django 6.0, the ``django-tasks``
  package before) that queues, such as django-tasks-db's with its worker: nothing is lost when
  a web process stops;
- else (no framework, or its ``ImmediateBackend``, which would run the send inside the
  request) a thread of the web process, drained when the process exits normally; a send still
  queued when the process is killed is lost (check ``lc_phone.W020`` says so in production);
- with ``SEND_IN_BACKGROUND`` off, the request itself (tests that read the outbox at once).

A task never raises: its failures are logged and signalled (``code_send_failed``), never
answered, since the answer is already gone.
"""

from __future__ import annotations

import atexit
import importlib
import logging
import queue
import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, Final

from django.db import connections

from .conf import get_settings

logger = logging.getLogger("django_lc_phone.security")

# How long a process exiting normally waits for the sends still queued on its thread.
DRAIN_TIMEOUT: Final = 30.0

_IMMEDIATE_BACKENDS: Final = frozenset({"ImmediateBackend"})


def framework() -> ModuleType | None:
    """Django's tasks framework: ``django.tasks`` (Django 6.0+), the ``django_tasks`` backport
    package, or None when neither is there."""
    for name in ("django.tasks", "django_tasks"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


def as_task(func: Callable[..., None]) -> Any:
    """``func`` as a task of the framework (to be assigned to the module attribute of its own
    name, where a worker looks it up), or ``func`` itself without one.

    A ``TASKS`` setting that does not load leaves ``func`` as it is: sends then run on a
    thread, and the system check reports the setting."""
    tasks = framework()
    if tasks is None:
        return func
    # The two packages name them differently (InvalidTaskBackend, InvalidTaskBackendError).
    names = ("InvalidTaskBackend", "InvalidTaskBackendError", "InvalidTask", "InvalidTaskError")
    invalid: tuple[type[BaseException], ...] = tuple(
        error
        for name in names
        if isinstance(error := getattr(tasks.exceptions, name, None), type)
        and issubclass(error, BaseException)
    )
    try:
        return tasks.task(func)
    except Exception as error:
        if isinstance(error, (ImportError, KeyError, *invalid)):
            return func
        raise


def queue_backend() -> Any | None:
    """The configured task backend when it queues (runs sends outside the request), else None."""
    tasks = framework()
    if tasks is None:
        return None
    try:
        backend = tasks.task_backends[get_settings().TASK_BACKEND]
    except Exception:  # an alias or a backend that does not load: the check reports it
        return None
    return None if type(backend).__name__ in _IMMEDIATE_BACKENDS else backend


def submit(task: Any, /, **kwargs: Any) -> None:
    """Run ``task`` (made by :func:`as_task`) with ``kwargs`` outside the request: on the
    queue, else on the web process's send thread; in the request when background sends are
    off. ``kwargs`` must be JSON values (a queue stores them)."""
    func: Callable[..., None] = getattr(task, "func", task)
    if not get_settings().SEND_IN_BACKGROUND:
        func(**kwargs)
        return
    backend = queue_backend()
    if backend is not None and hasattr(task, "using"):
        try:
            task.using(backend=backend.alias).enqueue(**kwargs)
        except Exception:
            # The queue refused it (its database is down, say): the thread still sends it.
            logger.exception("code send: the task queue refused it; sending from this process")
        else:
            return
    _runner().put(func, kwargs)


class _SendThread:
    """One daemon thread that runs queued sends in order, each with its own database
    connection (closed after it, as a request's would be)."""

    def __init__(self) -> None:
        self._jobs: queue.Queue[tuple[Callable[..., None], dict[str, Any]]] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="lc-phone-sends", daemon=True)
        self._thread.start()

    def put(self, func: Callable[..., None], kwargs: dict[str, Any]) -> None:
        self._jobs.put((func, kwargs))

    def join(self, timeout: float) -> bool:
        """Wait until every queued send has run (or ``timeout`` seconds); whether they did."""
        done = threading.Event()

        def waiter() -> None:
            self._jobs.join()
            done.set()

        threading.Thread(target=waiter, daemon=True).start()
        return done.wait(timeout)

    def _run(self) -> None:
        while True:
            func, kwargs = self._jobs.get()
            try:
                func(**kwargs)
            except Exception:  # a task guards itself; this is the last line of defence
                logger.exception("code send failed")
            finally:
                connections.close_all()
                self._jobs.task_done()


_lock = threading.Lock()
_thread: _SendThread | None = None


def _runner() -> _SendThread:
    global _thread
    with _lock:
        if _thread is None:
            _thread = _SendThread()
            atexit.register(_thread.join, DRAIN_TIMEOUT)
        return _thread


def drain(timeout: float = DRAIN_TIMEOUT) -> bool:
    """Wait for the sends queued on this process's thread (tests; a process about to exit)."""
    with _lock:
        thread = _thread
    return True if thread is None else thread.join(timeout)
