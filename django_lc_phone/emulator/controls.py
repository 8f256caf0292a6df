"""The emulator's own HTTP API under ``/emulator``: outbox, clock, faults, reset, inbox page.

These are test controls for suites in other processes or languages; LeanCloud has no such
paths. They need no credentials, so never expose an emulator to an untrusted network.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.util import application_uri

from ..leancloud import jsondepth, protocol
from ..leancloud.protocol import ProtocolError, normalize_phone
from ..leancloud.wire import JSON_CONTENT_TYPE, Code, error_body
from . import captcha, export
from .context import Controls
from .faults import FAULT_KINDS, Fault
from .http import header, parse_query
from .inbox import render_inbox

StartResponse = Callable[..., Any]


def _json(start_response: StartResponse, body: Any, status: str = "200 OK") -> Iterable[bytes]:
    payload = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        status, [("Content-Type", JSON_CONTENT_TYPE), ("Content-Length", str(len(payload)))]
    )
    return [payload]


def _bad(start_response: StartResponse, message: str) -> Iterable[bytes]:
    return _json(start_response, {"error": message}, "400 Bad Request")


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    try:
        value = jsondepth.loads(raw) if raw.strip() else {}
    except ValueError:
        raise ValueError("the body must be a JSON object") from None
    if not isinstance(value, dict):
        raise ValueError("the body must be a JSON object")
    return value


def dispatch(
    emu: Controls, environ: dict[str, Any], start_response: StartResponse, method: str, path: str
) -> Iterable[bytes]:
    """Route one control request."""
    base = application_uri(environ).rstrip("/")
    try:
        if path in ("/emulator", "/emulator/") and method == "GET":
            page = render_inbox(emu.messages(), base).encode()
            start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
            return [page]
        route = path.removeprefix("/emulator/v1").rstrip("/")
        handler = _CONTROLS.get((method, route))
        if method == "GET" and route == "/export/_User":
            return _export(emu, environ, start_response)
        if handler is None and method == "GET" and route.startswith("/captchas/"):
            return _captcha_answer(emu, start_response, route.removeprefix("/captchas/"))
        if handler is None:
            return _json(start_response, {"error": "Not found."}, "404 Not Found")
        return _json(start_response, handler(emu, environ))
    except (ValueError, TypeError) as exc:
        return _bad(start_response, str(exc))


def _messages(emu: Controls, environ: dict[str, Any]) -> Any:
    phone = parse_query(environ.get("QUERY_STRING", "")).get("mobilePhoneNumber")
    if phone:
        if phone.startswith(" "):  # an unencoded "+86..." in a URL arrives as " 86..."
            phone = "+" + phone[1:]
        try:
            phone = normalize_phone(phone)
        except ProtocolError:
            raise ValueError("mobilePhoneNumber is not a phone number") from None
    return {"messages": emu.messages(phone)}


def _clear_messages(emu: Controls, environ: dict[str, Any]) -> Any:
    emu.clear_messages()
    return {}


def _clock(emu: Controls, environ: dict[str, Any]) -> Any:
    if environ["REQUEST_METHOD"] == "POST":
        emu.clock.advance(_body(environ).get("advance", 0))  # bounded: clock.MAX_OFFSET
    return {"now": emu.clock.now()}


def _arm_faults(emu: Controls, environ: dict[str, Any]) -> Any:
    body = _body(environ)
    kind = body.get("fault")
    if kind not in FAULT_KINDS:
        raise ValueError(f"fault must be one of {', '.join(FAULT_KINDS)}")
    options = {k: body[k] for k in ("path", "status", "seconds") if k in body}
    emu.faults.arm(Fault(kind, body.get("count", 1), **options))  # Fault validates the options
    return _list_faults(emu, environ)


def _list_faults(emu: Controls, environ: dict[str, Any]) -> Any:
    return {"faults": [f.to_json() for f in emu.faults.armed()], "latency": emu.faults.latency}


def _clear_faults(emu: Controls, environ: dict[str, Any]) -> Any:
    emu.faults.clear()
    return _list_faults(emu, environ)


def _latency(emu: Controls, environ: dict[str, Any]) -> Any:
    seconds = _body(environ).get("seconds", 0)
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds < 0:
        raise ValueError("seconds must be a non-negative number")
    emu.set_latency(float(seconds))
    return _list_faults(emu, environ)


def _connections(emu: Controls, environ: dict[str, Any]) -> Any:
    """TCP connections the HTTP server accepted (null when served in-process, with no server)."""
    stats = environ.get("lc_emulator.connections")  # server.STATS_ENVIRON_KEY
    return stats.to_json() if stats is not None else {"accepted": None, "open": None}


def _reset(emu: Controls, environ: dict[str, Any]) -> Any:
    emu.reset()
    return {}


def _test_number(emu: Controls, environ: dict[str, Any]) -> Any:
    body = _body(environ)
    phone, code = body.get("mobilePhoneNumber"), body.get("code")
    if not isinstance(phone, str) or not isinstance(code, str):
        raise ValueError("mobilePhoneNumber and code are required strings")
    emu.add_test_number(phone, code)
    return {"testNumbers": sorted(emu.test_numbers())}


def _captcha_answer(emu: Controls, start_response: StartResponse, token: str) -> Iterable[bytes]:
    with emu.store.transaction() as db:
        code = captcha.answer(db, token)
    if code is None:
        return _json(start_response, {"error": "No such captcha."}, "404 Not Found")
    return _json(start_response, {"captcha_token": token, "captcha_code": code})


def _export(
    emu: Controls, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """``GET /emulator/v1/export/_User[?format=jsonl]``: the users as LeanCloud's data export
    writes them. It holds password hashes and session tokens, so unlike the other controls it
    needs the master key (``X-LC-Id`` with ``X-LC-Key: <master>,master`` or a master sign)."""
    credentials = protocol.Credentials(emu.config.app_id, emu.config.app_key, emu.config.master_key)
    try:
        kind = protocol.authenticate(lambda name: header(environ, name), {}, credentials)
    except ProtocolError as error:
        kind, status = None, error.status
    if kind != "master":
        start = protocol.status_line(status if kind is None else 403)
        return _json(start_response, error_body(Code.UNAUTHORIZED), start)
    fmt = parse_query(environ.get("QUERY_STRING", "")).get("format", "json")
    stream = io.StringIO()
    export.write(emu.store, stream, fmt)  # ValueError for another format: 400
    payload = stream.getvalue().encode()
    kind_of = JSON_CONTENT_TYPE if fmt == "json" else "application/x-ndjson; charset=utf-8"
    start_response("200 OK", [("Content-Type", kind_of), ("Content-Length", str(len(payload)))])
    return [payload]


def captcha_image(
    emu: Controls, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """``GET /1.1/captchaImage?token=...``: the challenge as an SVG image."""
    query = parse_query(environ.get("QUERY_STRING", ""))
    with emu.store.transaction() as db:
        code = captcha.answer(db, query.get("token", ""))
    if code is None:
        return _json(start_response, {"code": 1, "error": "Captcha not found."}, "404 Not Found")
    width = captcha.bounded_int(query.get("width"), 85, 60, 200)
    height = captcha.bounded_int(query.get("height"), 30, 30, 100)
    image = captcha.svg(code, width, height).encode()
    start_response("200 OK", [("Content-Type", "image/svg+xml"), ("Cache-Control", "no-store")])
    return [image]


_CONTROLS: dict[tuple[str, str], Callable[[Controls, dict[str, Any]], Any]] = {
    ("GET", "/messages"): _messages,
    ("DELETE", "/messages"): _clear_messages,
    ("GET", "/clock"): _clock,
    ("POST", "/clock"): _clock,
    ("GET", "/faults"): _list_faults,
    ("POST", "/faults"): _arm_faults,
    ("DELETE", "/faults"): _clear_faults,
    ("POST", "/latency"): _latency,
    ("POST", "/reset"): _reset,
    ("GET", "/connections"): _connections,
    ("POST", "/test-numbers"): _test_number,
}
