"""The floor: a bare Django view that makes the round trips a login cannot do without, and
nothing else, served by the same gunicorn, middleware and settings as the benchmarked site.

``POST /bench/floor/`` with the site login's body runs one Redis script (``EVALSHA``: an
``INCR`` and an ``EXPIRE`` of one key, standing for the limits), one indexed ``SELECT`` of the
profile and its user with a raw cursor (standing for the local user), and the very upstream
``POST /1.1/login`` our client sends, on a keep-alive ``http.client`` connection per thread.
No DRF, no ORM, no serializer, no phone parsing, no token. What the site's login costs above
this is the layer; what this costs above (b) is the machine: the wake-ups of three other
processes on the same cores, Django's request handling, gunicorn.
"""

from __future__ import annotations

import http.client
import json
import threading
from typing import Any
from urllib.parse import urlsplit

from django.core.cache import caches
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from django_lc_phone.conf import get_settings
from django_lc_phone.models import PhoneProfile

from .upstream import LOGIN_PATH, login_headers, upstream_login_body

_SCRIPT = "local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 60) return n"
_HEADERS = login_headers()
_local = threading.local()


def _redis() -> tuple[Any, str]:
    """The limits cache's client and the script's SHA, loaded once per thread."""
    if not hasattr(_local, "sha"):
        client = caches[get_settings().CACHE]._cache.get_client(write=True)
        _local.redis, _local.sha = client, client.script_load(_SCRIPT)
    return _local.redis, _local.sha


def _upstream() -> http.client.HTTPConnection:
    """A keep-alive connection to the upstream, one per thread."""
    if not hasattr(_local, "upstream"):
        parts = urlsplit(get_settings().SERVER_URL)
        _local.upstream = http.client.HTTPConnection(parts.hostname or "", parts.port)
    upstream: http.client.HTTPConnection = _local.upstream
    return upstream


def _select_sql() -> str:
    """The profile and its user by phone (the phone column is unique: an index read)."""
    user = PhoneProfile._meta.get_field("user").related_model._meta.db_table
    profile = PhoneProfile._meta.db_table
    columns = "p.id, p.lc_object_id, u.id, u.username"
    join = f'"{profile}" p JOIN "{user}" u ON u.id = p.user_id'
    return f"SELECT {columns} FROM {join} WHERE p.phone = %s"  # noqa: S608 - our own tables


_SQL = _select_sql()


@csrf_exempt
def floor(request: HttpRequest) -> JsonResponse:
    """The three round trips of a login, answered with the upstream's session token."""
    body = json.loads(request.body)
    phone = body["phone"]  # the password is the bench's one (upstream_login_body)
    client, sha = _redis()
    client.evalsha(sha, 1, "{lc_phone}bench-floor:" + phone)
    with connection.cursor() as cursor:
        cursor.execute(_SQL, [phone])
        row = cursor.fetchone()
    status, data = _login_upstream(upstream_login_body(phone))
    if status != 200 or row is None:
        return JsonResponse({"error": status}, status=502)
    return JsonResponse({"user": row[2], "sessionToken": data["sessionToken"]})


def _login_upstream(body: str) -> tuple[int, Any]:
    """``POST /1.1/login`` on the thread's connection; once more on a new connection when the
    upstream had closed the kept-alive one (as urllib3's pool does for the app's client)."""
    for attempt in range(2):
        upstream = _upstream()
        try:
            upstream.request("POST", LOGIN_PATH, body, _HEADERS)
            answer = upstream.getresponse()
            return answer.status, json.loads(answer.read())
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            upstream.close()
            if attempt:
                raise
    raise AssertionError("unreachable")
