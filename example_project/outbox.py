"""The local provider's outbox, served like the emulator's, so the same tools read codes.

With ``LC_PHONE_PROVIDER=local`` there is no emulator: codes go through the SMS gateway. When
that gateway is the console or the locmem one, ``/emulator/v1/messages`` (JSON, the emulator's
shape) and ``/emulator/`` (the inbox page) show what it sent, in this process; and
``/emulator/v1/clock`` moves the clock of the site's limits, as the emulator's clock does in
emulator mode, so a demo can skip the resend cooldown. They are test controls with no
credentials: ``urls.py`` mounts them only with DEBUG.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from django_lc_phone.emulator.clock import Clock
from django_lc_phone.emulator.inbox import render_inbox
from django_lc_phone.exceptions import InvalidPhoneNumber
from django_lc_phone.leancloud.wire import format_timestamp
from django_lc_phone.phone import normalize_phone
from django_lc_phone.sms import get_gateway, locmem
from django_lc_phone.sms.base import SmsMessage
from django_lc_phone.sms.console import ConsoleGateway


def sent() -> list[SmsMessage]:
    """What the configured gateway sent, oldest first (console and locmem gateways)."""
    gateway = get_gateway()
    if isinstance(gateway, ConsoleGateway):
        return gateway.recent()
    if isinstance(gateway, locmem.LocmemGateway):
        return list(locmem.outbox)
    return []


def as_json(message: SmsMessage) -> dict[str, Any]:
    """One message in the emulator outbox's JSON shape."""
    return {
        "mobilePhoneNumber": message.phone,
        "code": message.code,
        "smsType": message.channel,
        "template": message.template,
        "purpose": message.purpose,
        "text": message.text,
        "createdAt": format_timestamp(message.created_at),
    }


@csrf_exempt
@require_http_methods(["GET", "DELETE"])
def messages(request: HttpRequest) -> HttpResponse:
    """``GET /emulator/v1/messages[?mobilePhoneNumber=...]``; ``DELETE`` empties it."""
    if request.method == "DELETE":
        gateway = get_gateway()
        if isinstance(gateway, ConsoleGateway):
            gateway.clear()
        locmem.outbox.clear()
        return JsonResponse({})
    wanted = request.GET.get("mobilePhoneNumber")
    if wanted:
        wanted = "+" + wanted[1:] if wanted.startswith(" ") else wanted  # an unencoded "+"
        try:
            wanted = normalize_phone(wanted, "CN")
        except InvalidPhoneNumber:
            return JsonResponse({"error": "mobilePhoneNumber is not a phone number"}, status=400)
    found = [as_json(m) for m in sent() if not wanted or m.phone == wanted]
    return JsonResponse({"messages": found})


def inbox(request: HttpRequest) -> HttpResponse:
    """The inbox page, newest first."""
    base = request.build_absolute_uri("/").rstrip("/")
    return HttpResponse(render_inbox([as_json(m) for m in sent()], base))


# The same clock as the emulator's, so its bounds (clock.MAX_OFFSET) hold here too.
_clock = Clock()


def now() -> float:
    """``LC_PHONE["CLOCK"]`` in local mode with DEBUG: the real time, plus what :func:`advance`
    moved."""
    return _clock.now()


def advance(seconds: object) -> float:
    """Move :func:`now` forward (``ValueError`` past the emulator clock's bounds)."""
    return _clock.advance(seconds)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def clock(request: HttpRequest) -> HttpResponse:
    """``POST /emulator/v1/clock {"advance": seconds}``; both answer ``{"now": ...}``."""
    if request.method == "POST":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            body = None
        if not isinstance(body, dict):
            return JsonResponse({"error": "the body must be a JSON object"}, status=400)
        try:
            advance(body.get("advance", 0))
        except ValueError as exc:
            return JsonResponse({"error": str(exc)}, status=400)
    return JsonResponse({"now": now()})
