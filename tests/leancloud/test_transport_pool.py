"""The default transport (urllib3's pool) against a scripted socket server: faults as urllib3
raises them, keep-alive and the pool across threads, TLS verification, what goes on the wire.

``test_transport_faults.py`` covers the same faults on the ``session=`` (requests) path with
``responses``, which cannot see urllib3. Here each fault is real (a socket that hangs, closes
or refuses) or raised where urllib3 opens its socket, so urllib3's own code maps it.
"""

from __future__ import annotations

import datetime
import hashlib
import ipaddress
import json
import socket
import ssl
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import urllib3.util.connection

from django_lc_phone import __version__
from django_lc_phone.leancloud import (
    LeanCloudBadResponse,
    LeanCloudClient,
    LeanCloudConnectionError,
    LeanCloudError,
    LeanCloudTimeout,
    RetryPolicy,
)
from django_lc_phone.leancloud.senders import PoolSender, SessionSender

APP_ID, APP_KEY = "pool-app", "pool-app-key"
PHONE, CODE, PASSWORD = "+8613800138000", "123456", "pw-1"
USER = {
    "objectId": "5f0c7e2a9b1d4c3e8f6a0b1c",
    "username": PHONE,
    "mobilePhoneNumber": PHONE,
    "mobilePhoneVerified": True,
    "sessionToken": "abcdefghijklmnopqrstuvwxy",
    "createdAt": "2024-01-02T03:04:05.678Z",
    "updatedAt": "2024-01-02T03:04:05.678Z",
}
READ_TIMEOUT = 0.3

# An answer script gets the connection and the request's bytes; True keeps the connection.
Script = Callable[[socket.socket, bytes], bool]


def json_answer(body: object, status: str = "200 OK", extra: str = "") -> bytes:
    data = json.dumps(body).encode()
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json;charset=utf-8\r\n{extra}"
    return f"{head}Content-Length: {len(data)}\r\n\r\n".encode() + data


def answer_user(conn: socket.socket, request: bytes) -> bool:
    conn.sendall(json_answer(USER))
    return True


class Upstream:
    """A local HTTP/1.1 server that answers each request with ``script``."""

    def __init__(self, script: Script, tls: ssl.SSLContext | None = None) -> None:
        self.script = script
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return  # closed
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self.tls:
                conn = self.tls.wrap_socket(conn, server_side=True)
            buffer = b""
            while True:
                while b"\r\n\r\n" not in buffer:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    buffer += chunk
                head, _, buffer = buffer.partition(b"\r\n\r\n")
                length = next(
                    (int(line.split(b":")[1]) for line in head.split(b"\r\n")
                     if line.lower().startswith(b"content-length:")),
                    0,
                )  # fmt: skip
                while len(buffer) < length:
                    buffer += conn.recv(65536)
                self.requests.append(head + b"\r\n\r\n" + buffer[:length])
                buffer = buffer[length:]
                if not self.script(conn, self.requests[-1]):
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            conn.close()

    def close(self) -> None:
        self.listener.close()


def client_for(url: str, sleeps: list[float], **options: object) -> LeanCloudClient:
    return LeanCloudClient(
        APP_ID,
        APP_KEY,
        server_url=url,
        read_timeout=READ_TIMEOUT,
        retry=RetryPolicy(max_connect_retries=1, backoff_base=0.0),
        sleep=sleeps.append,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def serve() -> Iterator[Callable[[Script], Upstream]]:
    started: list[Upstream] = []

    def start(script: Script) -> Upstream:
        started.append(Upstream(script))
        return started[-1]

    yield start
    for upstream in started:
        upstream.close()


def headers_of(request: bytes) -> dict[str, str]:
    lines = request.split(b"\r\n\r\n")[0].decode().split("\r\n")[1:]
    return {name.lower(): value.strip() for name, _, value in (x.partition(":") for x in lines)}


# --- on the wire ----------------------------------------------------------------------------


def test_the_default_client_sends_through_urllib3s_pool(
    serve: Callable[[Script], Upstream], sleeps: list[float]
) -> None:
    upstream = serve(answer_user)
    client = client_for(upstream.url + "/", sleeps)
    assert isinstance(client.transport.sender, PoolSender)
    user = client.login_with_password(PHONE, PASSWORD)
    assert user.object_id == USER["objectId"]

    [request] = upstream.requests
    assert request.startswith(b"POST /1.1/login HTTP/1.1\r\n")
    headers = headers_of(request)
    sign, stamp = headers["x-lc-sign"].split(",")
    assert sign == hashlib.md5(f"{stamp}{APP_KEY}".encode(), usedforsecurity=False).hexdigest()
    assert abs(int(stamp) / 1000 - time.time()) < 60
    assert headers["x-lc-id"] == APP_ID
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "application/json"
    assert headers["user-agent"] == f"django-lc-phone/{__version__}"
    assert "x-lc-key" not in headers
    body = request.split(b"\r\n\r\n", 1)[1]
    assert body == b'{"mobilePhoneNumber":"+8613800138000","password":"pw-1"}'
    client.close()


def test_a_path_in_the_server_url_and_a_query_reach_the_server(
    serve: Callable[[Script], Upstream], sleeps: list[float]
) -> None:
    def captcha(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(json_answer({"captcha_token": "abcd1234", "captcha_url": "https://c.test/a"}))
        return True

    upstream = serve(captcha)
    client = client_for(upstream.url + "/lc/", sleeps, master_key="pool-master")
    client.request_captcha(width=85)
    assert upstream.requests[0].startswith(b"GET /lc/1.1/requestCaptcha?width=85 HTTP/1.1\r\n")


def test_redirects_are_not_followed(
    serve: Callable[[Script], Upstream], sleeps: list[float]
) -> None:
    def redirect(conn: socket.socket, request: bytes) -> bool:
        conn.sendall(json_answer({}, "302 Found", "Location: http://elsewhere.test/1.1/login\r\n"))
        return True

    upstream = serve(redirect)
    with pytest.raises(LeanCloudBadResponse) as info:
        client_for(upstream.url, sleeps).login_with_password(PHONE, PASSWORD)
    assert (info.value.status, len(upstream.requests)) == (302, 1)


# --- the pool -------------------------------------------------------------------------------


def test_calls_reuse_one_kept_alive_connection(
    serve: Callable[[Script], Upstream], sleeps: list[float]
) -> None:
    upstream = serve(answer_user)
    client = client_for(upstream.url, sleeps)
    for _ in range(20):
        client.login_with_password(PHONE, PASSWORD)
    assert (len(upstream.requests), upstream.connections) == (20, 1)


def test_threads_share_the_pool_up_to_its_size(
    serve: Callable[[Script], Upstream], sleeps: list[float]
) -> None:
    upstream = serve(answer_user)
    client = client_for(upstream.url, sleeps, pool_maxsize=3)
    failures: list[BaseException] = []
    barrier = threading.Barrier(3)

    def logins() -> None:
        barrier.wait()
        for _ in range(15):
            try:
                client.login_with_password(PHONE, PASSWORD)
            except LeanCloudError as exc:  # pragma: no cover - reported below
                failures.append(exc)

    threads = [threading.Thread(target=logins) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(upstream.requests) == 45
    assert 1 <= upstream.connections <= 3  # kept alive, never one per call


# --- faults before the request left: retried once -----------------------------------------


def _refused() -> OSError:
    return ConnectionRefusedError(111, "Connection refused")


def _no_such_host() -> OSError:
    return socket.gaierror(socket.EAI_NONAME, "Name or service not known")


def _connect_timeout() -> OSError:
    return TimeoutError("timed out")


CONNECT_FAULTS = {
    "refused": (_refused, LeanCloudConnectionError),
    "dns_failure": (_no_such_host, LeanCloudConnectionError),
    "connect_timeout": (_connect_timeout, LeanCloudTimeout),
}


@pytest.mark.parametrize("fault", sorted(CONNECT_FAULTS))
@pytest.mark.parametrize("then_succeed", [False, True], ids=["twice", "once"])
def test_connect_failures_are_retried_once(
    fault: str,
    then_succeed: bool,
    serve: Callable[[Script], Upstream],
    sleeps: list[float],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Raised where urllib3 opens its socket, so urllib3 wraps them (NameResolutionError...)."""
    make, expected = CONNECT_FAULTS[fault]
    real = urllib3.util.connection.create_connection
    attempts: list[object] = []

    def connect(*args: object, **kwargs: object) -> socket.socket:
        attempts.append(args)
        if then_succeed and len(attempts) > 1:
            return real(*args, **kwargs)  # type: ignore[arg-type]
        raise make()

    monkeypatch.setattr(urllib3.util.connection, "create_connection", connect)
    upstream = serve(answer_user)
    client = client_for(upstream.url, sleeps)
    if then_succeed:
        assert client.login_with_password(PHONE, PASSWORD).object_id == USER["objectId"]
        assert len(upstream.requests) == 1
    else:
        with pytest.raises(LeanCloudError) as info:
            client.login_with_password(PHONE, PASSWORD)
        assert type(info.value) is expected
        assert info.value.request_sent is False
        assert upstream.requests == []
    assert len(attempts) == 2
    assert len(sleeps) == 1


# --- faults after the request left: never retried ----------------------------------------


def _hang(conn: socket.socket, request: bytes) -> bool:
    time.sleep(READ_TIMEOUT * 3)
    return False


def _hang_mid_body(conn: socket.socket, request: bytes) -> bool:
    conn.sendall(json_answer(USER)[:-10])
    return _hang(conn, request)


def _drop(conn: socket.socket, request: bytes) -> bool:
    return False


def _drop_mid_body(conn: socket.socket, request: bytes) -> bool:
    conn.sendall(json_answer(USER)[:-10])
    return False


AFTER_SENDING: dict[str, tuple[Script, type[LeanCloudError]]] = {
    "read_timeout": (_hang, LeanCloudTimeout),
    "read_timeout_mid_body": (_hang_mid_body, LeanCloudTimeout),
    "dropped": (_drop, LeanCloudConnectionError),
    "dropped_mid_body": (_drop_mid_body, LeanCloudConnectionError),
}


@pytest.mark.parametrize("fault", sorted(AFTER_SENDING))
def test_faults_after_sending_are_never_retried(
    fault: str, serve: Callable[[Script], Upstream], sleeps: list[float]
) -> None:
    script, expected = AFTER_SENDING[fault]
    upstream = serve(script)
    with pytest.raises(LeanCloudError) as info:
        client_for(upstream.url, sleeps).verify_sms_code(PHONE, CODE)
    error = info.value
    assert type(error) is expected
    assert (error.request_sent, error.code, error.status) == (True, None, None)
    assert len(upstream.requests) == 1
    assert sleeps == []
    text = "".join(traceback.format_exception(error))  # the URL holds the code
    assert CODE not in text
    assert f"/verifySmsCode/{CODE}".encode() in upstream.requests[0]


# --- TLS and the environment ----------------------------------------------------------------


def _self_signed(tmp_path: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 signed by itself (no CA knows it)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def test_https_is_verified_against_the_trusted_bundle(
    tmp_path: Path, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Refused while nothing trusts the server's certificate; accepted once requests' own
    CA bundle variable names it (read as requests reads it)."""
    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    upstream = Upstream(answer_user, tls=context)
    try:
        for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
            monkeypatch.delenv(name, raising=False)
        with pytest.raises(LeanCloudConnectionError) as info:
            client_for(upstream.url, sleeps).login_with_password(PHONE, PASSWORD)
        assert info.value.request_sent is True  # never retried, whatever the cause
        assert "SSLError" in str(info.value)

        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(cert_file))
        trusting = client_for(upstream.url, sleeps)
        assert isinstance(trusting.transport.sender, PoolSender)
        assert trusting.login_with_password(PHONE, PASSWORD).object_id == USER["objectId"]
        assert len(upstream.requests) == 1  # the refused handshake carried no request
    finally:
        upstream.close()


def test_an_environment_proxy_keeps_requests(
    sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """requests applies ``HTTPS_PROXY`` (unless ``NO_PROXY`` covers the host); so does the
    client, through a requests session of its own."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.test:3128")
    proxied = client_for("https://api.example.test", sleeps)
    assert isinstance(proxied.transport.sender, SessionSender)
    assert isinstance(client_for("http://api.example.test", sleeps).transport.sender, PoolSender)
    monkeypatch.setenv("NO_PROXY", "api.example.test")
    direct = client_for("https://api.example.test", sleeps)
    assert isinstance(direct.transport.sender, PoolSender)
