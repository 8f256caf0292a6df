"""The emulator: a LeanCloud-compatible WSGI application with a Python API for tests."""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from collections.abc import Callable, Iterable
from typing import Any, TextIO
from wsgiref.util import application_uri

from ..leancloud import protocol
from ..leancloud.protocol import ProtocolError, normalize_phone
from ..leancloud.wire import (
    API_PREFIX,
    MESSAGE_NOT_FOUND,
    NOT_FOUND_STATUS,
    SMS_CODE_RE,
    Code,
    KeyKind,
    error_body,
)
from ..redaction import mask_phone
from . import controls, faults, routing, sms
from .clock import Clock
from .config import EmulatorConfig
from .faults import Fault, FaultPlan
from .http import MAX_BODY_BYTES, ApiRequest, ApiResponse, header, parse_body, parse_query
from .store import Store

StartResponse = Callable[..., Any]
WsgiResult = Iterable[bytes]
_NOT_FOUND = error_body(Code.INTERNAL, MESSAGE_NOT_FOUND)


class Emulator:
    """A LeanCloud stand-in: call it as a WSGI app, or drive it from tests through its methods.

    State lives in SQLite, in memory unless ``state_path`` names a file.
    """

    def __init__(
        self,
        config: EmulatorConfig | None = None,
        *,
        state_path: str | os.PathLike[str] | None = None,
        clock: Clock | None = None,
        console: TextIO | None = None,
    ) -> None:
        self.config = config or EmulatorConfig()
        self.clock = clock or Clock()
        self.store = Store(state_path or ":memory:")
        self.faults = FaultPlan()
        self._extra_test_numbers: dict[str, str] = {}
        self._console = console if console is not None else sys.stdout

    # --- Python API for tests ---------------------------------------------------------------

    def test_numbers(self) -> dict[str, str]:
        """The configured test numbers plus those added at run time."""
        return {**self.config.test_numbers, **self._extra_test_numbers}

    def add_test_number(self, phone: str, code: str) -> None:
        """Give ``phone`` a fixed, reusable 6-digit code (until :meth:`reset`)."""
        if not isinstance(code, str) or not SMS_CODE_RE.fullmatch(code):
            raise ValueError("a test code has 6 digits")
        try:
            normalize_phone(phone)
        except ProtocolError:
            raise ValueError(f"not a phone number: {phone!r}") from None
        self._extra_test_numbers[phone] = code

    def messages(self, phone: str | None = None) -> list[dict[str, Any]]:
        """Outbox messages, oldest first, optionally for one number (bare numbers mean +86)."""
        sql, args = "SELECT * FROM outbox", []
        if phone:
            sql, args = sql + " WHERE phone = ?", [_normalized(phone)]
        with self.store.transaction() as db:
            rows = db.execute(sql + " ORDER BY seq", args).fetchall()
        return [sms.outbox_json(row) for row in rows]

    def last_code(self, phone: str) -> str:
        """The code of the newest message to ``phone`` (``LookupError`` if there is none)."""
        for message in reversed(self.messages(phone)):
            if message["code"]:
                return str(message["code"])
        raise LookupError(f"no code was sent to {mask_phone(phone)}")

    def clear_messages(self) -> None:
        """Empty the outbox (codes stay valid)."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM outbox")

    def arm_fault(self, kind: str, count: int = 1, **options: Any) -> None:
        """Make the next ``count`` API requests fail with ``kind`` (see ``faults.FAULT_KINDS``)."""
        self.faults.arm(Fault(kind, count, **options))

    def set_latency(self, seconds: float) -> None:
        """Delay every API request by ``seconds``."""
        self.faults.latency = max(0.0, seconds)

    def reset(self) -> None:
        """Forget everything: users, codes, outbox, limits, faults, latency and clock offset."""
        self.store.reset()
        self.faults.clear()
        self.clock.reset()
        self._extra_test_numbers.clear()

    def echo(self, message: sms.Message) -> None:
        """Print a sent code to the console when configured to (the server does)."""
        if self.config.echo_codes:
            shown = message.code or message.text
            line = f"[lc_emulator] {message.sms_type} to {mask_phone(message.phone)}: {shown}"
            self._console.write(f"{line} ({message.purpose})\n")
            self._console.flush()

    # --- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> WsgiResult:
        path = environ.get("PATH_INFO") or "/"
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if path.startswith(API_PREFIX + "/"):
            if method == "OPTIONS":
                return _respond(start_response, ApiResponse({}), preflight=True)
            return self._api(environ, start_response, method, path[len(API_PREFIX) :])
        if path == "/emulator" or path.startswith("/emulator/"):
            return controls.dispatch(self, environ, start_response, method, path)
        return _respond(start_response, ApiResponse(_NOT_FOUND, NOT_FOUND_STATUS))

    def _api(
        self, environ: dict[str, Any], start_response: StartResponse, method: str, path: str
    ) -> WsgiResult:
        if self.faults.latency:
            time.sleep(self.faults.latency)
        fault = self.faults.take(API_PREFIX + path)
        if fault is not None:
            return faults_response(fault, start_response)
        if method == "GET" and path == "/captchaImage":
            return controls.captcha_image(self, environ, start_response)
        try:
            request = self._parse(environ, method, path)
            response = self._handle(request)
        except ProtocolError as error:
            response = ApiResponse(dict(error.body), error.status)
        except Exception:  # an emulator bug: still answer as LeanCloud would, and say where
            traceback.print_exc(file=environ.get("wsgi.errors") or sys.stderr)
            response = ApiResponse(error_body(Code.INTERNAL), 500)
        return _respond(start_response, response)

    def _parse(self, environ: dict[str, Any], method: str, path: str) -> ApiRequest:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > MAX_BODY_BYTES:
            raise ProtocolError(Code.INTERNAL, "Request entity too large.", status=413)
        body = parse_body(environ["wsgi.input"].read(length) if length else b"")
        query = parse_query(environ.get("QUERY_STRING", ""))
        tunnelled = method == "POST" and isinstance(body.get("_method"), str)
        if tunnelled:
            method = body.pop("_method").upper()  # legacy method tunnelling [S3]
        kind = self._authenticate(environ, body)
        session = protocol.session_token(lambda name: header(environ, name), body)
        if tunnelled and method == "GET":
            # A tunnelled GET carries its parameters (where, limit, keys...) in the body, as
            # the "normal fields" beside _method; JSON values go back to their query form.
            for name, value in body.items():
                query.setdefault(name, value if isinstance(value, str) else json.dumps(value))
            body = {}
        return ApiRequest(
            method=method,
            path=path,
            query=query,
            body=body,
            master=kind == "master",
            session_token=session,
            base_url=application_uri(environ).rstrip("/"),
        )

    def _authenticate(self, environ: dict[str, Any], body: dict[str, Any]) -> KeyKind:
        """``X-LC-Id`` plus ``X-LC-Sign`` or ``X-LC-Key`` (or their tunnelled body forms)."""
        config = self.config
        credentials = protocol.Credentials(config.app_id, config.app_key, config.master_key)
        return protocol.authenticate(lambda name: header(environ, name), body, credentials)

    def _handle(self, request: ApiRequest) -> ApiResponse:
        found = routing.resolve(request.method, request.path)
        if found is None:
            raise ProtocolError(Code.INTERNAL, MESSAGE_NOT_FOUND, status=NOT_FOUND_STATUS)
        handler, params = found
        with self.store.transaction() as db:
            result: ApiResponse = handler(self, request, db, self.clock.now(), **params)
        return result


def _normalized(phone: str) -> str:
    """A phone in the outbox's E.164 form when it is one, else as given."""
    try:
        return normalize_phone(phone)
    except ProtocolError:
        return phone


def _respond(
    start_response: StartResponse, response: ApiResponse, *, preflight: bool = False
) -> WsgiResult:
    payload = protocol.encode(response.body)
    headers = protocol.response_headers(payload, preflight=preflight)
    start_response(protocol.status_line(response.status), [*headers, *response.headers.items()])
    return [payload]


def faults_response(fault: Fault, start_response: StartResponse) -> WsgiResult:
    """Answer (or refuse to answer) as an armed fault says."""
    if fault.kind == "drop":
        raise ConnectionAbortedError("emulated dropped connection")
    if fault.kind == "hang":
        raise TimeoutError(fault.seconds)
    status, content_type, payload = faults.payload(fault)
    headers = [("Content-Type", content_type), ("Content-Length", str(len(payload)))]
    if fault.kind == "redirect":
        headers.append(("Location", "http://redirected.invalid/1.1/elsewhere"))
    start_response(protocol.status_line(status), headers)
    return [payload]
