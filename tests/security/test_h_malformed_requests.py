"""Finding 10 (step 8), the API and the emulator: requests that were answered with a 500.

- JSON nested ~5,000 deep (10 KB, under the 16 KiB body cap) made ``json`` raise
  ``RecursionError`` on every endpoint, and in the emulator; under ``DEBUG`` the error page
  showed the request, password included. It is now 400 ``parse_error`` (107 in the emulator).
- A POST without its trailing slash (``auth/phone/login``) was a 404, a ``RuntimeError`` page
  under ``DEBUG`` with ``APPEND_SLASH`` (``CommonMiddleware``), and without ``DEBUG`` a 301 that
  loses the body. Every endpoint now answers it in place.
- A NUL in an admin list lookup (``?phone=%00``) reached PostgreSQL, which refuses it: a 500.

The compat endpoints' cases are in ``tests/compat/test_malformed_requests.py``.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from django_lc_phone.emulator import Emulator
from django_lc_phone.leancloud.wire import ERRORS, Code, sign_header
from django_lc_phone.testing.inprocess import wsgi_session
from tests import upstream
from tests.app._api import ENDPOINTS, OTHER, PASSWORD, PHONE, code, post, signed_in, url
from tests.security._util import POSTGRESQL_ONLY, assert_answer, local_state, sends

# 5,000 levels: about 10 KB, under MAX_BODY_BYTES (16 KiB) and the emulator's 1 MB.
DEEP = "[" * 5000 + "]" * 5000
SECRET = "secret-Passw0rd-in-the-body"
POST_ENDPOINTS = [(path, auth) for path, method, auth in ENDPOINTS if method == "post"]
# logout/ takes no body: DRF never parses what it is sent.
BODY_ENDPOINTS = [(path, auth) for path, auth in POST_ENDPOINTS if path != "logout/"]


def _deep_body() -> str:
    """A body with a password beside the deep value: nothing of it may be echoed."""
    return json.dumps({"phone": PHONE, "password": SECRET, "code": "123456"})[:-1] + (
        f', "deep": {DEEP}}}'
    )


def _client(auth: bool, phone: str = PHONE) -> APIClient:
    return signed_in(phone)[0] if auth else APIClient()


# --- deep nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("path", "auth"), BODY_ENDPOINTS)
def test_finding10_deep_json_is_400_parse_error_on_every_api_endpoint(
    path: str, auth: bool, debug: bool, lc: upstream.CountingApp
) -> None:
    """Finding 10: JSON nested 5,000 deep is 400 ``parse_error`` on every endpoint that takes
    a body, with and without ``DEBUG``; the body is not echoed and nothing reaches LeanCloud."""
    client = _client(auth)
    client.raise_request_exception = False
    lc.calls.clear()
    with override_settings(DEBUG=debug):
        response = client.generic("POST", url(path), _deep_body(), content_type="application/json")
    body = assert_answer(response, 400, "parse_error")
    assert set(body) == {"code", "detail"}
    assert body["detail"] == "The JSON body is nested too deeply."
    assert SECRET not in response.content.decode()
    assert lc.calls == []


def test_finding10_nesting_up_to_the_limit_reaches_validation(lc: upstream.CountingApp) -> None:
    """Finding 10: the cap is on depth, not on JSON: ``MAX_JSON_DEPTH`` levels are parsed (and
    then refused by the serializer), one more is a parse error."""
    from django_lc_phone.leancloud.jsondepth import MAX_JSON_DEPTH

    inner = MAX_JSON_DEPTH - 1  # the body object is the first level
    at_limit = {"phone": json.loads("[" * inner + "]" * inner)}
    assert_answer(post(APIClient(), "sms-code/", at_limit), 400, "invalid_phone")
    over = '{"phone": ' + "[" * (inner + 1) + "]" * (inner + 1) + "}"
    response = APIClient().generic("POST", url("sms-code/"), over, content_type="application/json")
    assert_answer(response, 400, "parse_error")
    assert lc.calls == []


def test_finding10_brackets_inside_strings_do_not_count(lc: upstream.CountingApp) -> None:
    """Finding 10: a string full of brackets is a string (the scan skips strings)."""
    response = post(APIClient(), "sms-code/", {"phone": PHONE, "template": "[" * 5000})
    assert_answer(response, 400, "invalid")  # too long a template name, not a parse error


def _emulator_call(emulator: Emulator, method: str, path: str, body: str) -> Any:
    config = emulator.config
    headers = {
        "X-LC-Id": config.app_id,
        "X-LC-Sign": sign_header(config.app_key, 1_700_000_000_000),
        "Content-Type": "application/json",
    }
    session = wsgi_session(emulator, "http://emulator.test")
    return session.request(method, "http://emulator.test" + path, data=body, headers=headers)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/1.1/requestSmsCode"),
        ("POST", "/1.1/usersByMobilePhone"),
        ("POST", "/1.1/login"),
        ("PUT", "/1.1/resetPasswordBySmsCode/123456"),
        ("POST", "/1.1/classes/Thing"),
        ("GET", "/1.1/users/me"),
    ],
)
def test_finding10_deep_json_is_107_in_the_emulator(method: str, path: str) -> None:
    """Finding 10: the emulator answers a deep body as LeanCloud answers malformed JSON (107),
    not 500."""
    emulator = Emulator()
    response = _emulator_call(
        emulator, method, path, json.dumps({"password": SECRET})[:-1] + (f', "deep": {DEEP}}}')
    )
    assert response.status_code == 400, response.content
    assert response.json() == {"code": 107, "error": ERRORS[Code.INVALID_JSON].message}


def test_finding10_a_deep_where_is_107_in_the_emulator() -> None:
    """Finding 10: the emulator's ``where`` query parameter is JSON too: capped the same way."""
    emulator = Emulator()
    where = '{"a": ' + "[" * 5000 + "]" * 5000 + "}"
    response = _emulator_call(emulator, "GET", f"/1.1/classes/Thing?where={where}", "")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == Code.INVALID_JSON


def test_finding10_a_deep_control_body_is_400_in_the_emulator() -> None:
    """Finding 10: the emulator's control API refuses a deep body as any malformed one."""
    emulator = Emulator()
    session = wsgi_session(emulator, "http://emulator.test")
    response = session.post("http://emulator.test/emulator/v1/faults", data=DEEP)
    assert response.status_code == 400, response.content


# --- trailing slashes ---------------------------------------------------------------------------

COMMON: list[str] = ["django.middleware.common.CommonMiddleware", *settings.MIDDLEWARE]


@pytest.mark.parametrize(
    ("debug", "middleware"),
    [(False, settings.MIDDLEWARE), (False, COMMON), (True, COMMON)],
    ids=["plain", "append-slash", "append-slash-debug"],
)
@pytest.mark.parametrize(("path", "auth"), POST_ENDPOINTS)
def test_finding10_every_endpoint_answers_without_its_trailing_slash(
    path: str, auth: bool, debug: bool, middleware: list[str], lc: upstream.CountingApp
) -> None:
    """Finding 10: ``auth/phone/<path>`` without its slash is the same endpoint, with the
    same answer: no 404, no 301 that drops the body, no ``APPEND_SLASH`` error page."""
    # Two users, so that logout/ revokes each one's own token.
    with_client, without_client = _client(auth), _client(auth, OTHER)
    without_client.raise_request_exception = False
    with override_settings(DEBUG=debug, MIDDLEWARE=middleware):
        with_slash = post(with_client, path, {})
        without = without_client.post(url(path).rstrip("/"), {}, format="json")
    assert without.status_code == with_slash.status_code, without.content
    assert without.status_code < 500
    assert without.status_code not in (301, 302, 404)
    assert without.content == with_slash.content


@pytest.mark.parametrize(
    ("debug", "middleware"), [(False, settings.MIDDLEWARE), (True, COMMON)], ids=["plain", "debug"]
)
def test_finding10_a_slashless_post_keeps_its_body(
    debug: bool, middleware: list[str], lc: upstream.CountingApp
) -> None:
    """Finding 10: the body of a slash-less POST is read (a code is sent, a user signs up and
    logs in), not lost to a redirect."""
    client = APIClient()
    client.default_format = "json"
    with override_settings(DEBUG=debug, MIDDLEWARE=middleware):
        sent = client.post("/auth/phone/sms-code", {"phone": PHONE})
        assert_answer(sent, 202, "code_sent")
        body = {"phone": PHONE, "code": code(PHONE), "password": PASSWORD}
        created = client.post("/auth/phone/signup", body)
        assert created.status_code == 201, created.content
        login = client.post("/auth/phone/login", {"phone": PHONE, "password": PASSWORD})
    assert login.status_code == 200, login.content
    assert login.json()["user"]["phone"] == PHONE
    assert sends(PHONE) == 1
    assert local_state()[0] == 1


def test_finding10_reverse_and_the_schema_keep_the_slash() -> None:
    """Finding 10: the slash-less form is matched, never listed: ``reverse()`` gives the slash
    form, and the schema lists each path once, with its slash and no pattern syntax."""
    assert reverse("lc_phone:login") == "/auth/phone/login/"
    response = Client().get("/api/schema/", {"format": "json"})
    paths = [p for p in json.loads(response.content)["paths"] if p.startswith("/auth/phone/")]
    assert len(paths) == len(ENDPOINTS) == len(set(paths))
    assert all(p.endswith("/") and not set(p) & set("?^$()\\") for p in paths), paths


# --- NUL in the admin -----------------------------------------------------------------------------


@POSTGRESQL_ONLY
@pytest.mark.parametrize(
    ("model", "lookup"),
    [
        ("phoneprofile", "phone"),
        ("phoneprofile", "lc_object_id"),
        ("phoneprofile", "lc_object_id__exact"),
        ("phoneprofile", "phone__startswith"),
    ],
)
def test_finding10_a_nul_in_an_admin_lookup_is_400_not_500(
    model: str, lookup: str, admin_client: Client
) -> None:
    """Finding 10 (PostgreSQL): a NUL in a query-string lookup of our admins is refused (400),
    where PostgreSQL raised (500)."""
    admin_client.raise_request_exception = False
    response = admin_client.get(f"/admin/lc_phone/{model}/", {lookup: "138\x00"})
    assert response.status_code == 400, response.status_code


@POSTGRESQL_ONLY
def test_finding10_a_nul_in_a_user_admin_lookup_is_400_not_500(admin_client: Client) -> None:
    """Finding 10 (PostgreSQL): the user admin that ``PhoneProfileUserAdminMixin`` extends
    refuses a NUL in a lookup too."""
    admin_client.raise_request_exception = False
    response = admin_client.get("/admin/auth/user/", {"username": "\x00"})
    assert response.status_code == 400, response.status_code


@POSTGRESQL_ONLY
@pytest.mark.parametrize("term", ["\x00", "+86 138\x000013 8000", "13800138000\x00"])
def test_finding10_a_nul_in_an_admin_search_box_never_reaches_postgresql(
    term: str, admin_client: Client
) -> None:
    """Finding 10 (PostgreSQL): a NUL in the search box of the phone profiles is dropped by
    Django's search form before our ``get_search_results`` (a 200 page, not a 500)."""
    admin_client.raise_request_exception = False
    response = admin_client.get("/admin/lc_phone/phoneprofile/", {"q": term})
    assert response.status_code == 200, response.status_code
