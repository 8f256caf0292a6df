"""Helpers for the security cases: numbers, client addresses, answers compared byte for byte,
and a record of everything the upstream received and answered."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token

from django_lc_phone.emulator import captcha
from django_lc_phone.models import PhoneProfile
from tests import upstream
from tests.app._api import post, url
from tests.settings import USE_SERVICES

# What only PostgreSQL refuses (a NUL in a string, "text fields cannot contain NUL"); mandatory
# under CI=true, where tests/settings.py requires PostgreSQL.
POSTGRESQL_ONLY = pytest.mark.skipif(
    not USE_SERVICES, reason="PostgreSQL behaviour: needs PostgreSQL (see tests/settings.py)"
)

# Endpoints that send a code to an anonymous caller -> the upstream call each one makes.
SEND_PATHS: dict[str, str] = {
    "sms-code/": "/1.1/requestSmsCode",
    "login/sms-code/": "/1.1/requestLoginSmsCode",
    "password-reset/sms-code/": "/1.1/requestPasswordResetBySmsCode",
}


def ip(n: int) -> str:
    """The n-th client address of a test (documentation range, never a real host)."""
    return f"198.51.{n // 256}.{n % 256}"


def seq_phone(i: int) -> str:
    """Adjacent mobile numbers sharing one prefix (the number minus its last 4 digits)."""
    return f"+861380013{8000 + i:04d}"


def spread_phone(i: int) -> str:
    """Mobile numbers that share no prefix with each other."""
    return f"+86139{i:04d}0000"


def sends(phone: str | None = None) -> int:
    """Messages (SMS or voice) the emulator delivered, to ``phone`` or to anyone."""
    return len(upstream.EMULATOR.messages(phone))


def local_state() -> tuple[int, int, int]:
    """Local users, phone profiles and DRF tokens."""
    return (
        get_user_model().objects.count(),
        PhoneProfile.objects.count(),
        Token.objects.count(),
    )


def assert_answer(response: Any, status: int, code: str) -> dict[str, Any]:
    """The status and the ``code`` of a JSON answer (success or error); the body."""
    assert response.status_code == status, (response.status_code, response.content)
    body: dict[str, Any] = response.json()
    assert body.get("code") == code, body
    return body


def shape(response: Any) -> tuple[int, bytes, dict[str, str], dict[str, str]]:
    """Everything a client can see: status, body bytes, headers and cookies."""
    cookies = {name: morsel.OutputString() for name, morsel in response.cookies.items()}
    return response.status_code, response.content, dict(response.items()), cookies


def assert_identical(responses: Iterable[Any]) -> None:
    """The answers cannot be told apart: the same status, body bytes, headers and cookies."""
    shapes = [shape(r) for r in responses]
    assert shapes, "nothing to compare"
    for other in shapes[1:]:
        assert other == shapes[0], (shapes[0], other)


@dataclass
class Exchange:
    """One upstream request and its answer."""

    method: str
    path: str
    body: dict[str, Any]
    status: int = 0
    answer: Any = None


@dataclass
class Exchanges:
    """Every upstream exchange inside a :func:`upstream_log` block."""

    items: list[Exchange] = field(default_factory=list)

    def to(self, path: str) -> list[Exchange]:
        return [x for x in self.items if x.path == path]

    def leancloud_codes(self) -> list[int]:
        """LeanCloud error codes the upstream answered with."""
        return [
            int(x.answer["code"])
            for x in self.items
            if isinstance(x.answer, dict) and isinstance(x.answer.get("code"), int)
        ]


@contextmanager
def upstream_log() -> Iterator[Exchanges]:
    """Record the JSON body of every upstream request and the answer it got.

    Wraps the app behind ``tests.upstream.COUNTER``, so ``lc.calls`` counts as before.
    """
    log = Exchanges()
    app = upstream.COUNTER.app

    def recording(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        raw = environ["wsgi.input"].read()
        environ["wsgi.input"] = io.BytesIO(raw)
        exchange = Exchange(
            environ["REQUEST_METHOD"], environ.get("PATH_INFO", ""), json.loads(raw) if raw else {}
        )
        log.items.append(exchange)

        def start(status: str, headers: Any, *args: Any) -> Any:
            exchange.status = int(status.split()[0])
            return start_response(status, headers, *args)

        chunks = b"".join(app(environ, start))
        try:
            exchange.answer = json.loads(chunks) if chunks else None
        except ValueError:
            exchange.answer = chunks
        return [chunks]

    upstream.COUNTER.app = recording  # type: ignore[assignment]
    try:
        yield log
    finally:
        upstream.COUNTER.app = app


def solved_captcha(client: Any) -> str:
    """A ``validate_token`` from our own ``captcha/`` and ``captcha/verify/`` (two upstream
    calls), the emulator's answer read from its store as a person would read the image."""
    challenge = client.get(url("captcha/"))
    assert challenge.status_code == 200, challenge.content
    token = challenge.json()["captcha_token"]
    with upstream.EMULATOR.store.transaction() as db:
        answer = captcha.answer(db, token)
    assert answer is not None
    verified = post(client, "captcha/verify/", {"captcha_token": token, "captcha_code": answer})
    assert verified.status_code == 200, verified.content
    validate_token: str = verified.json()["validate_token"]
    return validate_token
