"""The compat endpoints' request plumbing: CORS, body, app keys, session, errors, audit.

:func:`endpoint` turns a handler ``(call, **path_params) -> Answer`` into a Django view that
speaks LeanCloud's wire format (``protocol.py``) and logs each outcome as ``api/`` does.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from ..audit import auth_event
from ..conf import get_settings
from ..exceptions import LcPhoneError
from ..guards.windows import clock
from ..leancloud import protocol
from ..leancloud.protocol import ProtocolError
from ..leancloud.wire import MESSAGE_NOT_FOUND, NOT_FOUND_STATUS, Code, KeyKind, error_body
from . import require_local_provider
from .errors import to_protocol

logger = logging.getLogger("django_lc_phone.compat")


@dataclass
class Call:
    """One authenticated LeanCloud API call."""

    request: HttpRequest
    body: dict[str, Any]
    key: KeyKind
    session_token: str | None
    # Set by handlers once known, for the audit log (masked there).
    phone: str | None = None

    @property
    def master(self) -> bool:
        """Signed with the master key."""
        return self.key == "master"

    def query(self, name: str) -> str | None:
        """A query parameter."""
        return self.request.GET.get(name)


@dataclass
class Answer:
    """A handler's successful answer: a JSON object body."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[..., Answer]


def respond(
    body: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
    *,
    preflight: bool = False,
) -> HttpResponse:
    """A LeanCloud-style JSON answer with CORS headers."""
    payload = protocol.encode(body)
    response = HttpResponse(payload, status=status)
    for name, value in [*protocol.response_headers(payload, preflight=preflight)]:
        response[name] = value
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _header(request: HttpRequest) -> protocol.HeaderGetter:
    def get(name: str) -> str | None:
        value = request.headers.get(name)
        return value or None

    return get


def _call(request: HttpRequest) -> Call:
    conf = get_settings()
    try:
        too_large = int(request.META.get("CONTENT_LENGTH") or 0) > conf.MAX_BODY_BYTES
    except ValueError:
        too_large = False
    if too_large:
        raise ProtocolError(Code.INTERNAL, "Request entity too large.", status=413)
    if not conf.APP_ID or not conf.APP_KEY:
        # An empty app key would take a signature anybody can make (the md5 of a timestamp),
        # and an empty app id nothing at all: refuse every call until both are set (the
        # system check lc_phone.E010 says so at start-up).
        raise ProtocolError(Code.UNAUTHORIZED)
    body = protocol.parse_body(request.body)
    credentials = protocol.Credentials(conf.APP_ID, conf.APP_KEY, conf.MASTER_KEY or None)
    # X-LC-Sign timestamps at most SIGN_MAX_AGE from the limits' clock (the emulator: any).
    key = protocol.authenticate(
        _header(request), body, credentials, max_sign_age=conf.SIGN_MAX_AGE, clock=clock
    )
    token = protocol.session_token(_header(request), body)
    return Call(request=request, body=body, key=key, session_token=token)


@csrf_exempt
def not_served(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any ``/1.1/`` path compat does not serve, or a method a served path does not take: what
    LeanCloud answers for one (404, code 1, JSON), never Django's HTML page; CORS preflights
    are answered as on the served paths. No key is checked: nothing is read or told."""
    if request.method == "OPTIONS":
        return respond({}, preflight=True)
    return respond(error_body(Code.INTERNAL, MESSAGE_NOT_FOUND), NOT_FOUND_STATUS)


def endpoint(method: str, event: str | None = None) -> Callable[[Handler], Callable[..., Any]]:
    """A Django view for ``handler``, answering ``method`` (and CORS preflights) only.

    ``event`` names the audit log event (``lc_phone.compat.<event>``); None logs nothing.
    """

    def decorate(handler: Handler) -> Callable[..., Any]:
        @csrf_exempt
        @sensitive_variables()
        def view(request: HttpRequest, **params: str) -> HttpResponse:
            require_local_provider()
            if request.method == "OPTIONS":
                return respond({}, preflight=True)
            if request.method != method:
                return not_served(request)
            call: Call | None = None
            try:
                call = _call(request)
                answer = handler(call, **params)
            except LcPhoneError as error:
                failure = to_protocol(error)
            except ProtocolError as error:
                failure = error
            except Exception:  # a bug or an outage: still answer as LeanCloud would, and log it
                logger.exception("compat endpoint %s failed", handler.__name__)
                failure = ProtocolError(Code.INTERNAL, status=500)
            else:
                _audit(event, "ok", answer.status, call, request)
                return respond(answer.body, answer.status, answer.headers)
            _audit(event, f"lc_{failure.code}", failure.status, call, request)
            return respond(failure.body, failure.status, failure.headers)

        view.__doc__ = handler.__doc__
        view.__name__ = handler.__name__
        return view

    return decorate


def _audit(
    event: str | None, outcome: str, status: int, call: Call | None, request: HttpRequest
) -> None:
    if event is not None:
        phone = call.phone if call is not None else None
        auth_event(f"compat.{event}", outcome, status=status, phone=phone, request=request)
