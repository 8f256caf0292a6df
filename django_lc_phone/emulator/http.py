"""The emulator's request and response values, and the LeanCloud-specific parts of parsing them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

from ..leancloud.protocol import MAX_BODY_BYTES, ProtocolError, parse_body

__all__ = ["MAX_BODY_BYTES", "ApiRequest", "ApiResponse", "error_response", "header", "parse_body"]


@dataclass
class ApiRequest:
    """One LeanCloud API call after authentication: ``path`` is relative to ``/1.1``."""

    method: str
    path: str
    query: dict[str, str]
    body: dict[str, Any]
    master: bool
    session_token: str | None
    base_url: str

    def flag(self, name: str) -> bool:
        """A boolean query option such as ``failOnNotExist=true``."""
        return self.query.get(name, "").lower() == "true"

    @property
    def fetch_when_save(self) -> bool:
        """``new=true`` (the JS SDK) or ``fetchWhenSave=true`` (the docs, the Python SDK)."""
        return self.flag("new") or self.flag("fetchWhenSave")


@dataclass
class ApiResponse:
    """What a handler answers; bodies are always JSON objects."""

    body: dict[str, Any]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


def error_response(error: ProtocolError) -> ApiResponse:
    """An error answered (and committed) rather than raised (and rolled back)."""
    return ApiResponse(dict(error.body), error.status)


def parse_query(raw: str) -> dict[str, str]:
    """The query string with the first value of each parameter."""
    return {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}


def header(environ: Mapping[str, Any], name: str) -> str | None:
    """A request header from a WSGI environ, or None."""
    value = environ.get("HTTP_" + name.upper().replace("-", "_"))
    return value if isinstance(value, str) and value else None
