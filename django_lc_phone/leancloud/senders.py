"""The two ways a request reaches LeanCloud: urllib3's pool (the default) or a requests session.

The default is one :class:`urllib3.HTTPConnectionPool` for the server: keep-alive connections
shared by every thread (at most ``pool_maxsize`` kept), TLS verified against certifi's bundle,
no retries and no redirects in urllib3 (the transport decides). It skips what ``requests``
does on every call and the client never needs (environment proxy and netrc look-ups, cookie
jars, hooks, a merged settings dict): about 0.4 ms a call.

A :class:`requests.Session` is used instead when one is injected (``session=``, the
``HTTP_SESSION_FACTORY`` setting: custom adapters, the in-process emulator, ``responses`` in
tests), or when the environment names a proxy for the server's host (``HTTPS_PROXY``...,
``NO_PROXY``), which requests applies. The pool reads requests' CA bundle variables
(``REQUESTS_CA_BUNDLE``, ``CURL_CA_BUNDLE``) as requests does. The environment is read once,
when the client is built, not on every call.

Each sender turns its library's failures into :class:`LeanCloudConnectionError`, with
``request_sent=False`` only when the connection was never opened. Messages hold exception class
names only: the libraries' own texts hold the URL, and with it SMS codes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import certifi
import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    NewConnectionError,
    ReadTimeoutError,
)

from .errors import LeanCloudConnectionError, LeanCloudTimeout

# The variables requests reads for a CA bundle (with trust_env, its default), in its order.
_CA_BUNDLE_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")


@dataclass(frozen=True, slots=True)
class Answer:
    """An HTTP answer as the transport parses it."""

    status: int
    content_type: str
    content: bytes


class Sender(Protocol):
    """Sends one request; raises :class:`LeanCloudConnectionError` when no answer came."""

    def send(
        self, method: str, target: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        """``target`` is the path and query, below the server URL."""
        ...

    def close(self) -> None:
        """Close pooled connections."""
        ...


def _named(exc: BaseException) -> str:
    """``ProtocolError (RemoteDisconnected)``: the class and the cause it wraps, never text."""
    cause = exc.args[-1] if exc.args else None
    cause = getattr(cause, "reason", cause)  # MaxRetryError wraps the underlying cause
    if isinstance(cause, BaseException):
        return f"{type(exc).__name__} ({type(cause).__name__})"
    return type(exc).__name__


# --- urllib3 ----------------------------------------------------------------------------------


def _pool_error(exc: Exception) -> LeanCloudConnectionError:
    # NewConnectionError (refused, DNS failure) subclasses ConnectTimeoutError: test it first.
    if isinstance(exc, NewConnectionError):
        return LeanCloudConnectionError(_named(exc), request_sent=False)
    if isinstance(exc, ConnectTimeoutError):
        return LeanCloudTimeout("connect timeout", request_sent=False)
    if isinstance(exc, ReadTimeoutError):
        return LeanCloudTimeout("read timeout", request_sent=True)
    return LeanCloudConnectionError(_named(exc), request_sent=True)


def _trusted() -> dict[str, str]:
    """The CA bundle (a file) or directory requests would verify with: its environment
    variables, else certifi's bundle."""
    path = next((os.environ[n] for n in _CA_BUNDLE_VARIABLES if os.environ.get(n)), None)
    if path is None:
        return {"ca_certs": certifi.where()}
    return {"ca_cert_dir": path} if os.path.isdir(path) else {"ca_certs": path}


class PoolSender:
    """One urllib3 connection pool for the server (thread-safe, keep-alive)."""

    def __init__(
        self, server_url: str, *, connect_timeout: float, read_timeout: float, pool_maxsize: int
    ) -> None:
        url = urllib3.util.parse_url(server_url)
        self._prefix = (url.path or "").rstrip("/")
        options: dict[str, object] = {}
        if url.scheme == "https":
            options = {"cert_reqs": "CERT_REQUIRED", **_trusted()}
        # block=False: a thread past pool_maxsize opens a connection of its own and drops it
        # afterwards instead of waiting (requests' HTTPAdapter does the same).
        self.pool = urllib3.connectionpool.connection_from_url(
            server_url,
            maxsize=pool_maxsize,
            block=False,
            retries=False,
            timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
            **options,
        )

    def send(
        self, method: str, target: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        """Send on a pooled connection; the whole body is read before the connection goes back."""
        try:
            raw = self.pool.urlopen(
                method,
                self._prefix + target,
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=True,
            )
        except (HTTPError, OSError) as exc:
            raise _pool_error(exc) from None
        return Answer(raw.status, raw.headers.get("Content-Type", ""), raw.data)

    def close(self) -> None:
        """Close the pool's idle connections."""
        self.pool.close()


# --- requests ---------------------------------------------------------------------------------


def _reason(exc: requests.RequestException) -> object:
    """The underlying urllib3 cause of a requests exception, if it carries one."""
    reason = exc.args[0] if exc.args else None
    return getattr(reason, "reason", reason)  # MaxRetryError wraps the underlying cause


def _never_sent(exc: requests.ConnectionError) -> bool:
    """True only for failures while opening the connection (nothing reached the server)."""
    if isinstance(exc, requests.ConnectTimeout | requests.exceptions.ProxyError):
        return True
    return isinstance(_reason(exc), NewConnectionError | ConnectTimeoutError)


def _session_error(exc: requests.RequestException) -> LeanCloudConnectionError:
    if isinstance(exc, requests.ConnectTimeout):
        return LeanCloudTimeout("connect timeout", request_sent=False)
    if isinstance(exc, requests.Timeout) or isinstance(_reason(exc), ReadTimeoutError):
        # requests raises a plain ConnectionError when the read times out after the headers
        return LeanCloudTimeout("read timeout", request_sent=True)
    if isinstance(exc, requests.ConnectionError):
        return LeanCloudConnectionError(_named(exc), request_sent=not _never_sent(exc))
    return LeanCloudConnectionError(_named(exc), request_sent=True)


class SessionSender:
    """A :class:`requests.Session`: one injected, or a pooled one of our own."""

    def __init__(
        self,
        server_url: str,
        session: requests.Session,
        *,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self._base = server_url.rstrip("/")
        self.session = session
        self._timeout = (connect_timeout, read_timeout)

    @classmethod
    def pooled(
        cls, server_url: str, *, connect_timeout: float, read_timeout: float, pool_maxsize: int
    ) -> SessionSender:
        """A session of our own with one pool of ``pool_maxsize`` and no adapter retries."""
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_maxsize, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return cls(server_url, session, connect_timeout=connect_timeout, read_timeout=read_timeout)

    def send(
        self, method: str, target: str, body: bytes | None, headers: Mapping[str, str]
    ) -> Answer:
        """One ``session.request``, redirects not followed."""
        try:
            raw = self.session.request(
                method,
                self._base + target,
                data=body,
                headers=dict(headers),
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            # Not chained: the requests exception's text holds the URL (SMS codes).
            raise _session_error(exc) from None
        return Answer(raw.status_code, raw.headers.get("Content-Type", ""), raw.content)

    def close(self) -> None:
        """Close the session's pooled connections."""
        self.session.close()


def needs_requests(server_url: str) -> bool:
    """Whether the environment names a proxy for ``server_url`` (``HTTPS_PROXY``..., unless
    ``NO_PROXY`` covers its host), which requests would apply."""
    proxies = requests.utils.get_environ_proxies(server_url)
    return requests.utils.select_proxy(server_url, proxies) is not None


def sender_for(
    server_url: str,
    *,
    connect_timeout: float,
    read_timeout: float,
    pool_maxsize: int,
    session: requests.Session | None,
) -> Sender:
    """The injected session's sender, else urllib3's pool unless the environment needs requests."""
    if session is not None:
        return SessionSender(
            server_url, session, connect_timeout=connect_timeout, read_timeout=read_timeout
        )
    build = SessionSender.pooled if needs_requests(server_url) else PoolSender
    return build(
        server_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        pool_maxsize=pool_maxsize,
    )
