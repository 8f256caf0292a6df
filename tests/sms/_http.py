"""A scripted HTTP server on 127.0.0.1 for the gateways' real-socket tests.

Each request is recorded; the answer is the next scripted one: a status with a JSON body, a
hang (until the test ends: the client's read timeout fires), or a dropped connection.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Script:
    """What the server answers, in order; the last answer repeats."""

    answers: deque[tuple[str, int, Any]] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)

    def json(self, status: int, body: Any) -> None:
        self.answers.append(("json", status, body))

    def hang(self) -> None:
        self.answers.append(("hang", 0, None))

    def drop(self) -> None:
        self.answers.append(("drop", 0, None))

    def next(self) -> tuple[str, int, Any]:
        if len(self.answers) > 1:
            return self.answers.popleft()
        return self.answers[0] if self.answers else ("json", 200, {})


def _handler(script: Script) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (quiet)
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            script.requests.append(
                Recorded(self.command, self.path, dict(self.headers.items()), body)
            )
            kind, status, payload = script.next()
            if kind == "hang":
                script.release.wait(10)
                return
            if kind == "drop":
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def scripted_server() -> Iterator[tuple[str, Script]]:
    """``(base_url, script)`` of a server running in a thread until the block ends."""
    script = Script()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", script
    finally:
        script.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
