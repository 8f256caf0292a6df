"""The emulator as the benchmarks drive it: its control API, its users, and the direct
upstream call, built exactly as ``django_lc_phone.leancloud.client`` builds it."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

import requests

from django_lc_phone import __version__
from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY
from django_lc_phone.leancloud.wire import API_PREFIX, HEADER_ID, HEADER_SIGN, sign_header

PASSWORD = "bench-Passw0rd!"  # noqa: S105 - the synthetic users' password


def login_headers() -> dict[str, str]:
    """The headers our client sends with ``POST /1.1/login`` (client.py ``_headers``).

    The signature is made once: the server checks it the same way whatever its timestamp,
    so its cost is in every request, and the client's own signing is part of (a) only.
    """
    return {
        HEADER_ID: DEMO_APP_ID,
        HEADER_SIGN: sign_header(DEMO_APP_KEY, int(time.time() * 1000)),
        "Content-Type": "application/json",
        "Accept": "application/json",
        "User-Agent": f"django-lc-phone/{__version__}",
    }


def upstream_login_body(phone: str) -> str:
    """The body our client sends (transport.py: compact JSON)."""
    return json.dumps({"mobilePhoneNumber": phone, "password": PASSWORD}, separators=(",", ":"))


def site_login_body(phone: str) -> str:
    """The body of ``POST /auth/phone/login/`` (docs/api.md)."""
    return json.dumps({"phone": phone, "password": PASSWORD})


LOGIN_PATH = API_PREFIX + "/login"
SITE_LOGIN_PATH = "/auth/phone/login/"
FLOOR_PATH = "/bench/floor/"  # bench/floor.py


def phones(prefix: str, count: int) -> list[str]:
    """``count`` distinct E.164 numbers of China mobiles starting with ``prefix``."""
    return [f"{prefix}{i:0{14 - len(prefix)}d}" for i in range(count)]


@dataclass
class EmulatorControl:
    """The emulator's control API over one kept-alive connection."""

    url: str

    def __post_init__(self) -> None:
        self.http = requests.Session()
        self.http.trust_env = False

    def _post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(self.url + path, json=body, timeout=30)
        response.raise_for_status()
        return response.json()

    def set_latency(self, seconds: float) -> None:
        """Delay every API answer by ``seconds``."""
        self._post("/emulator/v1/latency", {"seconds": seconds})

    def accepted_connections(self) -> int:
        """TCP connections the emulator accepted so far (this session's own included)."""
        response = self.http.get(self.url + "/emulator/v1/connections", timeout=30)
        response.raise_for_status()
        value = response.json().get("accepted")
        if not isinstance(value, int):
            raise RuntimeError("this emulator does not count its connections")
        return value

    def sign_up(self, numbers: list[str]) -> None:
        """Create a LeanCloud user with ``PASSWORD`` for each number."""
        headers = login_headers()
        for phone in numbers:
            body = {"username": phone, "password": PASSWORD, "mobilePhoneNumber": phone}
            response = self.http.post(
                self.url + API_PREFIX + "/users", json=body, headers=headers, timeout=30
            )
            if response.status_code != 201:
                raise RuntimeError(f"sign-up failed: {response.status_code} {response.text}")

    def close(self) -> None:
        """Close the control connection."""
        self.http.close()
