"""Serve an :class:`Emulator` over real HTTP on 127.0.0.1, one thread per connection.

Connections are kept alive (HTTP/1.1) as LeanCloud's own servers keep them: a client that
pools its connections reuses them here too, and :class:`ConnectionStats` (served at
``GET /emulator/v1/connections``) counts the connections accepted, so a benchmark or a test
can tell a pooled client from one that connects for every call.

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
from typing import Any, BinaryIO, Final
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer

from .app import Emulator

# Seconds an idle kept-alive connection waits for its next request before it is closed.
KEEPALIVE_IDLE_SECONDS: Final = 30.0
# The WSGI environ key under which the server's ConnectionStats reach the control API.
STATS_ENVIRON_KEY: Final = "lc_emulator.connections"


class ConnectionStats:
    """Connections accepted and open, for ``GET /emulator/v1/connections`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.accepted = 0
        self.requests = 0
        self._open: set[socket.socket] = set()

    def opened(self, connection: socket.socket) -> None:
        """Count a newly accepted connection."""
        with self._lock:
            self.accepted += 1
            self._open.add(connection)

    def closed(self, connection: socket.socket) -> None:
        """Forget a connection that was closed."""
        with self._lock:
            self._open.discard(connection)

    def served(self) -> None:
        """Count one request."""
        with self._lock:
            self.requests += 1

    def to_json(self) -> dict[str, int]:
        """The counters as the control API returns them."""
        with self._lock:
            return {"accepted": self.accepted, "open": len(self._open), "requests": self.requests}

    def shutdown_all(self) -> None:
        """Close every open connection (the server stops: no idle one may answer later)."""
        with self._lock:
            connections = list(self._open)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)


class _BodyReader:
    """``wsgi.input`` limited to the request's Content-Length, remembering what is left unread:
    on a kept-alive connection an unread body would be taken for the next request."""

    def __init__(self, stream: BinaryIO, length: int) -> None:
        self._stream = stream
        self.remaining = length

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self.remaining:
            size = self.remaining
        data = self._stream.read(size) if size else b""
        self.remaining -= len(data)
        return data

    def readline(self, size: int = -1) -> bytes:
        if size < 0 or size > self.remaining:
            size = self.remaining
        data = self._stream.readline(size) if size else b""
        self.remaining -= len(data)
        return data


class _FaultAwareHandler(ServerHandler):
    """Turns the emulator's drop and hang signals into socket behaviour, not a 500 page."""

    fault: BaseException | None = None
    http_version = "1.1"
    # Whether the answer said where it ends (close() forgets the headers, so it is kept here).
    sized = False

    def cleanup_headers(self) -> None:
        super().cleanup_headers()
        headers = getattr(self, "headers", None)  # set by start_response (untyped in typeshed)
        self.sized = headers is not None and "Content-Length" in headers
        unread = getattr(self.stdin, "remaining", 0)
        if headers is not None and (not self.sized or unread):
            # This connection ends after the answer: say so, or a pooling client would send
            # its next request down a socket that is about to close (a spurious error).
            headers["Connection"] = "close"

    def handle_error(self) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionAbortedError | TimeoutError):
            self.fault = error
            return
        super().handle_error()


class _RequestHandler(WSGIRequestHandler):
    """wsgiref's handler, quiet, keeping connections alive, and aware of the emulator's
    connection-level faults."""

    # parse_request() keeps an HTTP/1.1 client's connection open only under this version.
    protocol_version = "HTTP/1.1"
    # wsgiref sends the headers and the body in separate writes: on a kept-alive connection
    # Nagle's algorithm holds the body back until the client's delayed ACK, 40 ms later.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - wsgiref's signature
        """Silence per-request lines: paths hold SMS codes (``/verifySmsCode/<code>``)."""

    def handle(self) -> None:
        stats: ConnectionStats = self.server.stats  # type: ignore[attr-defined]
        stats.opened(self.connection)
        try:
            self.close_connection = True
            self._handle_one()
            while not self.close_connection:
                # Between requests an idle client may keep the connection, but not forever.
                self.connection.settimeout(KEEPALIVE_IDLE_SECONDS)
                self._handle_one()
        except (TimeoutError, ConnectionError):
            self.close_connection = True
        finally:
            stats.closed(self.connection)

    def _handle_one(self) -> None:
        self.raw_requestline = self.rfile.readline(65537)
        self.connection.settimeout(None)
        if not self.raw_requestline or not self.parse_request():
            self.close_connection = True
            return
        environ = self.get_environ()
        length = int(environ.get("CONTENT_LENGTH") or 0) if self._length_ok(environ) else 0
        body = _BodyReader(self.rfile, length)  # type: ignore[arg-type]
        environ["wsgi.input"] = body
        environ[STATS_ENVIRON_KEY] = self.server.stats  # type: ignore[attr-defined]
        self.server.stats.served()  # type: ignore[attr-defined]
        handler = _FaultAwareHandler(
            body,  # type: ignore[arg-type]
            self.wfile,  # type: ignore[arg-type]
            self.get_stderr(),
            environ,
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
            return
        # Keep the connection only when the next request's first byte is where it should be
        # and the client can tell where this answer ends.
        if body.remaining or not handler.sized:
            self.close_connection = True

    def _length_ok(self, environ: dict[str, Any]) -> bool:
        """A well-formed Content-Length (a malformed one ends the connection after the answer)."""
        value = environ.get("CONTENT_LENGTH") or "0"
        if value.isascii() and value.isdigit() and not self.headers.get("Transfer-Encoding"):
            return True
        self.close_connection = True
        return False


class ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    """wsgiref's server with a thread per request."""

    daemon_threads = True
    allow_reuse_address = True
    # socketserver's default backlog of 5 resets connections when a test fires 20 at once.
    request_queue_size = 128

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.stats = ConnectionStats()
        super().__init__(*args, **kwargs)

    def server_close(self) -> None:
        """Stop listening and end the kept-alive connections too."""
        super().server_close()
        self.stats.shutdown_all()


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
