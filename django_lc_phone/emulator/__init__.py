"""A LeanCloud-compatible server for tests, the example site and local development.

Standard library only. Run it over HTTP (``python manage.py lc_emulator`` or
:func:`serve_in_thread`), or in-process as a WSGI app (``Emulator()``), which
``django_lc_phone.testing.inprocess.wsgi_session`` can put behind the client with no socket.
"""

from .app import Emulator
from .clock import Clock
from .config import (
    DEMO_APP_ID,
    DEMO_APP_KEY,
    DEMO_MASTER_KEY,
    CodeTtls,
    EmulatorConfig,
    SmsLimits,
)
from .faults import FAULT_KINDS
from .server import RunningServer, make_server, serve_in_thread

__all__ = [
    "DEMO_APP_ID",
    "DEMO_APP_KEY",
    "DEMO_MASTER_KEY",
    "FAULT_KINDS",
    "Clock",
    "CodeTtls",
    "Emulator",
    "EmulatorConfig",
    "RunningServer",
    "SmsLimits",
    "make_server",
    "serve_in_thread",
]
