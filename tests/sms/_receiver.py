"""A Standard Webhooks receiver on 127.0.0.1, for the webhook gateway's real-socket tests.

It checks every delivery as www.standardwebhooks.com says a consumer must, with code of its
own (not the gateway's): the three ``webhook-*`` headers, a timestamp within five minutes,
and one ``v1`` signature among the space-separated ones equal, compared in constant time, to
the HMAC-SHA256 of ``{webhook-id}.{webhook-timestamp}.{body}`` under the secret's key. A
delivery that fails is answered ``401 {"error": "invalid_signature"}``, as a receiver should;
one that passes gets the test's scripted answer. Both are recorded.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TOLERANCE = 300  # seconds, the reference libraries' window


def new_secret(size: int = 32) -> str:
    """A signing secret as the spec serializes it."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(size)).decode()


def verify(
    secret: str, headers: Mapping[str, str], body: bytes, *, now: float | None = None
) -> bool:
    """Whether ``headers`` carry a valid signature of ``body`` under ``secret``."""
    lower = {name.lower(): value for name, value in headers.items()}
    msg_id = lower.get("webhook-id", "")
    stamp = lower.get("webhook-timestamp", "")
    signatures = lower.get("webhook-signature", "")
    if not (msg_id and stamp.isdigit() and signatures):
        return False
    if abs((time.time() if now is None else now) - int(stamp)) > TOLERANCE:
        return False
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = b".".join([msg_id.encode(), stamp.encode(), body])
    expected = hmac.new(key, signed, hashlib.sha256).digest()
    for entry in signatures.split(" "):
        version, _, value = entry.partition(",")
        if version == "v1" and hmac.compare_digest(base64.b64decode(value), expected):
            return True
    return False


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def payload(self) -> Any:
        return json.loads(self.body)

    @property
    def id(self) -> str:
        return {k.lower(): v for k, v in self.headers.items()}["webhook-id"]


@dataclass
class Answer:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (a read timeout on the sender's side)
    drop: bool = False  # close the connection instead of answering


@dataclass
class Receiver:
    """The running receiver: its URL and secret, what it got, and what it answers next (the
    last scripted answer repeats; none scripted: ``200 {"id": "sms_1"}``)."""

    url: str
    secret: str
    deliveries: list[Delivery] = field(default_factory=list)
    answers: deque[Answer] = field(default_factory=deque)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, status: int = 200, body: Any = None, **options: Any) -> None:
        self.answers.append(Answer(status, body, **options))

    def next(self) -> Answer:
        if len(self.answers) > 1:
            return self.answers.popleft()
        return self.answers[0] if self.answers else Answer(200, {"id": "sms_1"})

    @property
    def verified(self) -> list[Delivery]:
        return [d for d in self.deliveries if d.verified]


def _handler(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (quiet)
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = dict(self.headers.items())
            verified = verify(receiver.secret, headers, body)
            receiver.deliveries.append(Delivery(headers, body, verified))
            answer = receiver.next() if verified else Answer(401, {"error": "invalid_signature"})
            if answer.delay:
                receiver.release.wait(answer.delay)
            if answer.drop:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            data = b"" if answer.body is None else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            if data:
                self.send_header("Content-Type", "application/json")
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler


@contextmanager
def running_receiver(secret: str | None = None, path: str = "/hooks/sms") -> Iterator[Receiver]:
    """A receiver in a thread on a free port of 127.0.0.1 until the block ends."""
    receiver = Receiver(url="", secret=secret or new_secret())
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        receiver.release.set()
        server.shutdown()
        server.server_close()
        thread.join(5)
