"""The emulator's HTTP server keeps connections alive and counts them.

LeanCloud keeps connections alive, so a pooled client opens a few and reuses them; before, the
emulator answered in HTTP/1.0 and closed every connection, which hid whether our client pools
its connections at all (``bench/`` counts them through ``GET /emulator/v1/connections``). With
connections kept, Nagle's algorithm must be off: wsgiref writes the headers and the body
separately, and the body would wait for the client's delayed ACK (40 ms).
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import pytest
import requests

from django_lc_phone.emulator import Emulator, RunningServer, serve_in_thread
from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY
from django_lc_phone.leancloud import LeanCloudClient, LeanCloudUserNotFound


@pytest.fixture
def server() -> Iterator[RunningServer]:
    with serve_in_thread(Emulator()) as running:
        yield running


def _accepted(url: str) -> int:
    # A connection of its own, closed at once: counted, but never reused by the code under test.
    answer = requests.get(
        f"{url}/emulator/v1/connections", headers={"Connection": "close"}, timeout=5
    )
    return int(answer.json()["accepted"])


def test_a_pooled_client_reuses_one_connection(server: RunningServer) -> None:
    before = _accepted(server.url)
    client = LeanCloudClient(DEMO_APP_ID, DEMO_APP_KEY, server_url=server.url)
    try:
        for _ in range(5):
            with pytest.raises(LeanCloudUserNotFound):
                client.login_with_password("+8613800138000", "no-such-user")
    finally:
        client.close()
    # Five API calls over one connection, plus the counting request itself.
    assert _accepted(server.url) - before == 2


def test_the_control_api_reports_connections_and_requests(server: RunningServer) -> None:
    with requests.Session() as http:
        first = http.get(f"{server.url}/emulator/v1/connections").json()
        second = http.get(f"{server.url}/emulator/v1/connections").json()
    assert second["accepted"] == first["accepted"]
    assert second["requests"] == first["requests"] + 1
    assert second["open"] >= 1


def _raw_exchange(url: str, payload: bytes) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(payload)
        chunks = []
        while data := sock.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def test_an_unread_body_ends_the_connection_instead_of_becoming_the_next_request(
    server: RunningServer,
) -> None:
    # A 404 page does not read the body: keeping the connection would parse the body as a
    # request line. The server answers once and closes (the recv loop above ends).
    body = b'{"x": "GET /emulator/v1/faults HTTP/1.1"}'
    request = (
        b"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )
    answer = _raw_exchange(server.url, request)
    assert answer.startswith(b"HTTP/1.1 404")
    assert answer.count(b"HTTP/1.1 ") == 1
    # ...and says so, so that a pooling client does not reuse the closing connection.
    assert b"\r\nConnection: close\r\n" in answer.split(b"\r\n\r\n")[0] + b"\r\n"


def test_a_pooled_client_never_reuses_a_connection_the_server_closes(
    server: RunningServer,
) -> None:
    # Every answer that ends its connection (an unread body, a fault) says Connection: close;
    # without it the next pooled request went down a closing socket now and then.
    client = LeanCloudClient(DEMO_APP_ID, DEMO_APP_KEY, server_url=server.url)
    try:
        for _ in range(30):
            server.emulator.arm_fault("empty")
            with pytest.raises(Exception, match=r"(?i)json|empty|response"):
                client.login_with_password("+8613800138000", "no-such-user")
            with pytest.raises(LeanCloudUserNotFound):
                client.login_with_password("+8613800138000", "no-such-user")
    finally:
        client.close()


def test_two_pipelined_requests_on_one_connection_both_answer(server: RunningServer) -> None:
    one = b"GET /emulator/v1/faults HTTP/1.1\r\nHost: x\r\n\r\n"
    last = b"GET /emulator/v1/faults HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    answer = _raw_exchange(server.url, one + last)
    assert answer.count(b"HTTP/1.1 200") == 2


def test_a_kept_alive_connection_answers_without_a_nagle_delay(server: RunningServer) -> None:
    with requests.Session() as http:
        http.get(f"{server.url}/emulator/v1/faults")  # opens the connection
        timings = []
        for _ in range(5):
            started = time.perf_counter()
            http.post(f"{server.url}/emulator/v1/latency", data=json.dumps({"seconds": 0}))
            timings.append(time.perf_counter() - started)
    # With Nagle on, every answer after the first waits ~40 ms for the delayed ACK.
    assert sorted(timings)[2] < 0.030


def test_stopping_the_server_closes_idle_kept_alive_connections() -> None:
    with requests.Session() as http:
        with serve_in_thread(Emulator()) as running:
            http.get(f"{running.url}/emulator/v1/faults")
            assert running.server.stats.to_json()["open"] == 1
        # The idle connection's thread would otherwise keep answering for a stopped emulator.
        deadline = time.monotonic() + 5
        while running.server.stats.to_json()["open"] and time.monotonic() < deadline:
            time.sleep(0.01)
        assert running.server.stats.to_json()["open"] == 0
        with pytest.raises(requests.ConnectionError):
            http.get(f"{running.url}/emulator/v1/faults", timeout=2)
