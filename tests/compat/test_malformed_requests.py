"""Finding 10 (step 8), the compat endpoints: requests that were answered with a 500.

- JSON nested ~5,000 deep made every endpoint answer 500 (before even checking the keys): it
  is LeanCloud's 107 "Malformed json object..." now.
- A NUL in an objectId path (``users/%00``) reached PostgreSQL, which refuses it: a 500. What
  is no objectId (``wire.OBJECT_ID_RE``) is now answered as an unknown id, with no query.
- ``/1.1/login/`` (a trailing slash) was a 404; every path now also answers with one.

Session tokens were already safe (checked against ``SESSION_TOKEN_RE``, then hashed): the
tests below keep them so on PostgreSQL.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_lc_phone.leancloud.wire import ERRORS, Code
from tests.compat._wire import NEW_PASSWORD, OTHER, PASSWORD, PHONE, assert_error, signup
from tests.compat.conftest import LC, last_code
from tests.security._util import POSTGRESQL_ONLY

DEEP = "[" * 5000 + "]" * 5000
SECRET = "secret-Passw0rd-in-the-body"
# Well formed, nobody's.
UNKNOWN_ID = "5d831ad3f40d3a0007541fbc"

# Every compat endpoint, with the method it answers.
ENDPOINTS = [
    ("POST", "requestSmsCode"),
    ("POST", "verifySmsCode/123456"),
    ("POST", "usersByMobilePhone"),
    ("POST", "users"),
    ("POST", "classes/_User"),
    ("POST", "login"),
    ("POST", "requestLoginSmsCode"),
    ("GET", "users/me"),
    ("GET", f"users/{UNKNOWN_ID}"),
    ("PUT", f"users/{UNKNOWN_ID}"),
    ("GET", f"classes/_User/{UNKNOWN_ID}"),
    ("PUT", f"classes/_User/{UNKNOWN_ID}"),
    ("PUT", f"users/{UNKNOWN_ID}/refreshSessionToken"),
    ("PUT", f"users/{UNKNOWN_ID}/updatePassword"),
    ("POST", "requestPasswordResetBySmsCode"),
    ("PUT", "resetPasswordBySmsCode/123456"),
    ("POST", "requestMobilePhoneVerify"),
    ("POST", "verifyMobilePhone/123456"),
    ("POST", "requestChangePhoneNumber"),
    ("POST", "changePhoneNumber"),
    ("GET", "requestCaptcha"),
    ("POST", "verifyCaptcha"),
]


def _raw(lc: LC, method: str, path: str, payload: str, **kwargs: Any) -> Any:
    """A signed call with ``payload`` as the body, exactly as given."""
    lc.client.raise_request_exception = False
    return lc.call(method, path, raw=payload, **kwargs)


# --- deep nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_finding10_deep_json_is_107_on_every_compat_endpoint(
    method: str, path: str, debug: bool, lc: LC
) -> None:
    """Finding 10: JSON nested 5,000 deep is LeanCloud's 107 on every endpoint, with and
    without ``DEBUG``; nothing of the body is echoed."""
    payload = json.dumps({"password": SECRET})[:-1] + f', "deep": {DEEP}}}'
    with override_settings(DEBUG=debug):
        response = _raw(lc, method, path, payload, master=True)
    assert_error(response, Code.INVALID_JSON)
    assert SECRET not in response.content.decode()


def test_finding10_deep_json_is_107_before_the_keys_are_checked(lc: LC) -> None:
    """Finding 10: the body is parsed before the keys are read (the tunnelled keys are in it),
    so an unsigned deep body is 107 too, as malformed JSON always was."""
    response = _raw(lc, "POST", "login", DEEP, headers={})
    assert_error(response, Code.INVALID_JSON)
    assert_error(_raw(lc, "POST", "login", "{not json", headers={}), Code.INVALID_JSON)


def test_finding10_nesting_within_the_limit_is_read(lc: LC) -> None:
    """Finding 10: a body nested a little (template variables, a JSON value in a field) is
    parsed and answered by the endpoint itself."""
    body = {"mobilePhoneNumber": PHONE, "password": [[["x"]]]}
    assert_error(lc.post("login", body), Code.INVALID_PASSWORD)


# --- objectIds ------------------------------------------------------------------------------

# What no objectId looks like: the first ones only PostgreSQL refuses to query.
NUL_IDS = ["%00", "5d831ad3f40d3a0007541f%00", "%00" * 24]
MALFORMED_IDS = [
    "not-an-id",
    "5D831AD3F40D3A0007541FBC",
    UNKNOWN_ID + "0",
    "me_too",
    "%20" + UNKNOWN_ID,
]
ID_PATHS = [
    ("GET", "users/{}"),
    ("PUT", "users/{}"),
    ("GET", "classes/_User/{}"),
    ("PUT", "classes/_User/{}"),
    ("PUT", "users/{}/updatePassword"),
    ("PUT", "users/{}/refreshSessionToken"),
]
ID_BODIES = {
    "PUT users/{}": {"username": "renamed"},
    "PUT classes/_User/{}": {"username": "renamed"},
    "PUT users/{}/updatePassword": {"old_password": PASSWORD, "new_password": NEW_PASSWORD},
}


def _id_call(lc: LC, method: str, path: str, object_id: str, caller: str | None) -> Any:
    """``path`` with ``object_id``, as ``caller``: ``master``, a session token, or nobody."""
    lc.client.raise_request_exception = False
    body = ID_BODIES.get(f"{method} {path}")
    master = caller == "master"
    session = None if caller in (None, "master") else caller
    return lc.call(method, path.format(object_id), body, master=master, session=session)


def _same_answer(first: Any, second: Any) -> None:
    assert (first.status_code, first.content) == (second.status_code, second.content)


def _check_ids(lc: LC, ids: list[str]) -> None:
    user = signup(lc, PHONE, password=PASSWORD)
    token = str(user["sessionToken"])
    for method, path in ID_PATHS:
        for caller in ("master", None, token, "a" * 25):
            unknown = _id_call(lc, method, path, UNKNOWN_ID, caller)
            for object_id in ids:
                with CaptureQueriesContext(connection) as queries:
                    answer = _id_call(lc, method, path, object_id, caller)
                _same_answer(answer, unknown)
                assert answer.status_code < 500
                # No query names it (the session's own lookups may run, as for any id).
                shown = object_id.replace("%00", "\x00").replace("%20", " ")
                assert not [q for q in queries.captured_queries if shown in q["sql"]]
                if caller in ("master", None):
                    assert queries.captured_queries == [], (method, path, object_id)


@POSTGRESQL_ONLY
def test_finding10_a_nul_in_an_object_id_path_is_an_unknown_id(lc: LC) -> None:
    """Finding 10 (PostgreSQL): a NUL in ``users/<id>``, ``classes/_User/<id>``,
    ``users/<id>/updatePassword`` or ``users/<id>/refreshSessionToken`` answers exactly as an
    unknown id (for the master key, the user's session, none and an unknown one), not 500."""
    _check_ids(lc, NUL_IDS)


def test_finding10_what_is_no_object_id_is_answered_with_no_query(lc: LC) -> None:
    """Finding 10: a string that is no objectId (``wire.OBJECT_ID_RE``) is answered exactly as
    an unknown id, and no query is made with it."""
    _check_ids(lc, MALFORMED_IDS)


# --- session tokens ------------------------------------------------------------------------------

NUL_TOKENS = ["\x00", "abcdefghij\x00klmnopqrstuvwxy", "a" * 25 + "\x00"]


@POSTGRESQL_ONLY
@pytest.mark.parametrize("token", NUL_TOKENS)
def test_finding10_a_nul_in_a_session_token_is_an_unknown_session(token: str, lc: LC) -> None:
    """Finding 10 (PostgreSQL): a NUL in ``X-LC-Session``, ``?session_token=`` or the tunnelled
    ``_SessionToken`` is an unknown session (211), never a query PostgreSQL refuses."""
    lc.client.raise_request_exception = False
    user = signup(lc)
    assert_error(lc.get("users/me", session=token), Code.USER_NOT_FOUND)
    quoted = token.replace("\x00", "%00")
    assert_error(lc.get(f"users/me?session_token={quoted}"), Code.USER_NOT_FOUND)
    tunnelled = {"_SessionToken": token, "mobilePhoneNumber": OTHER}
    assert_error(lc.post("requestChangePhoneNumber", tunnelled), Code.USER_NOT_FOUND)
    refresh = lc.put(f"users/{user['objectId']}/refreshSessionToken", session=token)
    assert refresh.status_code in (400, 403), refresh.content  # 206 or 211, never 500


# --- trailing slashes ----------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_finding10_every_compat_path_answers_with_a_trailing_slash(
    method: str, path: str, lc: LC
) -> None:
    """Finding 10: ``/1.1/<path>/`` is the same endpoint as ``/1.1/<path>``, same answer."""
    lc.client.raise_request_exception = False
    without = lc.call(method, path, {}, master=True)
    with_slash = lc.call(method, path + "/", {}, master=True)
    assert with_slash.status_code == without.status_code, with_slash.content
    assert with_slash.status_code != 404
    if method != "GET" or path != "requestCaptcha":  # a new challenge each time
        _same_answer(with_slash, without)


def test_finding10_a_flow_through_slashed_paths_works(lc: LC) -> None:
    """Finding 10: a sign-up and a login through slashed paths read their bodies."""
    assert lc.post("requestSmsCode/", {"mobilePhoneNumber": PHONE}).status_code == 200
    body = {"mobilePhoneNumber": PHONE, "smsCode": last_code(PHONE), "password": PASSWORD}
    created = lc.post("usersByMobilePhone/", body)
    assert created.status_code == 201, created.content
    login = lc.post("login/", {"mobilePhoneNumber": PHONE, "password": PASSWORD})
    assert login.status_code == 200, login.content
    me = lc.get("users/me/", session=login.json()["sessionToken"])
    assert me.json()["objectId"] == created.json()["objectId"]


def test_finding10_reverse_gives_leancloud_paths_without_the_slash() -> None:
    """Finding 10: the slash is accepted, not shown: ``reverse()`` gives LeanCloud's paths."""
    assert reverse("lc_compat:login") == "/1.1/login"
    assert reverse("lc_compat:verifySmsCode", kwargs={"code": "123456"}) == (
        "/1.1/verifySmsCode/123456"
    )
    assert ERRORS[Code.INVALID_JSON].message.startswith("Malformed json object")
