"""Fixtures for the compat endpoints: the local provider with the locmem gateway, this
directory's URLs, and a client that signs requests as LeanCloud's SDKs do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from django_lc_phone.guards.windows import clock
from django_lc_phone.leancloud.wire import (
    HEADER_ID,
    HEADER_KEY,
    HEADER_SESSION,
    HEADER_SIGN,
    sign_header,
)
from django_lc_phone.sms import locmem
from django_lc_phone.testing import SmsOutbox
from tests.app._api import lc_phone_settings

APP_ID = "lcphoneDemoAppId0-gzGzoHsz"
APP_KEY = "lcphoneDemoAppKey000000"
MASTER_KEY = "lcphoneDemoMasterKey000"
LOCMEM = "django_lc_phone.sms.locmem.LocmemGateway"


class LC:
    """Calls to the compat endpoints, signed with the app key (``X-LC-Sign``) by default."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        session: str | None = None,
        headers: dict[str, str] | None = None,
        master: bool = False,
        raw: str | None = None,
    ) -> Any:
        """One request; ``headers`` replaces the signing headers when given, ``raw`` is sent
        as the body instead of ``body`` encoded. Signed at the site's clock (the limits'), as a
        client whose clock agrees with the server's (``SIGN_MAX_AGE``)."""
        if headers is None:
            key = MASTER_KEY if master else APP_KEY
            sign = sign_header(key, int(clock() * 1000), master=master)
            headers = {HEADER_ID: APP_ID, HEADER_SIGN: sign}
        if session is not None:
            headers = {**headers, HEADER_SESSION: session}
        data = (
            raw.encode() if raw is not None else b"" if body is None else json.dumps(body).encode()
        )
        return self.client.generic(
            method, "/1.1/" + path, data, content_type="application/json", headers=headers
        )

    def post(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        """A POST."""
        return self.call("POST", path, body, **kwargs)

    def put(self, path: str, body: Any = None, **kwargs: Any) -> Any:
        """A PUT."""
        return self.call("PUT", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> Any:
        """A GET."""
        return self.call("GET", path, **kwargs)


def key_headers(key: str = APP_KEY, app_id: str = APP_ID) -> dict[str, str]:
    """Plain ``X-LC-Key`` headers."""
    return {HEADER_ID: app_id, HEADER_KEY: key}


def last_code(phone: str, purpose: str | None = None) -> str:
    """The newest code the locmem gateway sent to ``phone`` (for ``purpose``)."""
    return SmsOutbox().last_code(phone, purpose)


@pytest.fixture(autouse=True)
def local_site(db: None, settings: Any) -> Iterator[None]:
    """The local provider, the locmem gateway and the compat URLs, around each test."""
    settings.ROOT_URLCONF = "tests.compat.urls"
    locmem.outbox.clear()
    with lc_phone_settings(PROVIDER="local", SMS_GATEWAY=LOCMEM):
        yield
    locmem.outbox.clear()


@pytest.fixture
def lc() -> LC:
    """A signed LeanCloud-style client."""
    return LC(Client())
