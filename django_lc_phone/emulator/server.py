"""Serve an :class:`Emulator` over real HTTP on 127.0.0.1, one thread per connection.

Two faults need the socket itself: a dropped connection is closed without a byte, and a hang
holds the connection open without answering until the fault's time passes (or the emulator is
reset), by which time the client has given up.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from .app import Emulator


class _FaultAwareHandler(ServerHandler):
    """Turns the emulator's drop and hang signals into socket behaviour, not a 500 page."""

    fault: BaseException | None = None

    def handle_error(self) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionAbortedError | TimeoutError):
            self.fault = error
            return
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    """wsgiref's handler, quiet, and aware of the emulator's connection-level faults."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - wsgiref's signature
        """Silence per-request lines: paths hold SMS codes (``/verifySmsCode/<code>``)."""

    def handle(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        if not self.raw_requestline or not self.parse_request():
            return
        handler = _FaultAwareHandler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]
            self.get_stderr(),
            self.get_environ(),
            multithread=True,
        )
        handler.request_handler = self  # type: ignore[attr-defined]
        handler.run(self.server.get_app())  # type: ignore[attr-defined]
        if isinstance(handler.fault, TimeoutError):
            emulator: Emulator = self.server.get_app()  # type: ignore[attr-defined]
            emulator.faults.release.wait(float(handler.fault.args[0] if handler.fault.args else 30))
        if handler.fault is not None:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server with a thread per request."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets connections when a test fires 20 at once.
    request_queue_size = 128


@dataclass
class RunningServer:
    """A server started by :func:`serve_in_thread`."""

    emulator: Emulator
    url: str
    server: ThreadingWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        """Release hanging requests, stop serving and close the socket."""
        self.emulator.faults.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def make_server(emulator: Emulator, host: str = "127.0.0.1", port: int = 0) -> ThreadingWSGIServer:
    """A bound (not yet serving) server; port 0 picks a free one."""
    server = ThreadingWSGIServer((host, port), _RequestHandler)
    server.set_app(emulator)
    return server


@contextmanager
def serve_in_thread(
    emulator: Emulator, host: str = "127.0.0.1", port: int = 0
) -> Iterator[RunningServer]:
    """Serve in a background thread for the duration of a ``with`` block."""
    server = make_server(emulator, host, port)
    thread = threading.Thread(target=server.serve_forever, name="lc-emulator", daemon=True)
    thread.start()
    running = RunningServer(emulator, f"http://{host}:{server.server_port}", server, thread)
    try:
        yield running
    finally:
        running.stop()
