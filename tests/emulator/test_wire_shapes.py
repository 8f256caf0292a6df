"""The emulator's answers have LeanCloud's wire shapes (§1-§2 and §9 of the reference).

Everything goes over real HTTP with plain ``requests`` and hand-made signatures.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from django_lc_phone.emulator import Emulator, RunningServer, routing
from django_lc_phone.emulator.http import MAX_BODY_BYTES
from django_lc_phone.leancloud.wire import compute_sign, sign_header
from django_lc_phone.testing.inprocess import wsgi_session

from ._support import (
    DATE,
    JSON_CONTENT_TYPE,
    OBJECT_ID,
    SESSION_TOKEN,
    call,
    now_ms,
    sign_up,
    signed_headers,
)

UNAUTHORIZED = {"code": 401, "error": "Unauthorized."}
USER_NOT_FOUND = {"code": 211, "error": "Could not find user."}


def _raw(
    server: RunningServer,
    method: str,
    path: str,
    headers: dict[str, str],
    data: bytes | str | None = None,
) -> requests.Response:
    return requests.request(method, server.url + path, headers=headers, data=data, timeout=5)


def _id_headers(server: RunningServer, **extra: str) -> dict[str, str]:
    return {"X-LC-Id": server.emulator.config.app_id, "Content-Type": "application/json", **extra}


def _assert_error(response: requests.Response, status: int, code: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["error"], str)
    assert body["error"]
    return dict(body)


# --- ids, tokens and dates ------------------------------------------------------------------


def test_signup_answers_201_with_the_full_user_and_a_relative_location(
    emulator_server: RunningServer,
) -> None:
    response = call(
        emulator_server,
        "POST",
        "/1.1/users",
        {"username": "tester1", "password": "password1", "email": "tester1@example.com"},
    )
    assert response.status_code == 201
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    user = response.json()
    assert OBJECT_ID.fullmatch(user["objectId"])
    assert SESSION_TOKEN.fullmatch(user["sessionToken"])
    assert DATE.fullmatch(user["createdAt"])
    assert user["updatedAt"] == user["createdAt"]
    assert response.headers["Location"] == f"/1.1/classes/_User/{user['objectId']}"
    assert set(user) == {
        "objectId",
        "createdAt",
        "updatedAt",
        "sessionToken",
        "username",
        "email",
        "emailVerified",
        "mobilePhoneVerified",
    }
    assert user["emailVerified"] is False
    assert user["mobilePhoneVerified"] is False
    assert "password" not in user


def test_signup_through_classes_user_also_answers_the_session_token(
    emulator_server: RunningServer,
) -> None:
    # The Python SDK signs up with POST /1.1/classes/_User?fetchWhenSave=false [S14, S17].
    response = call(
        emulator_server,
        "POST",
        "/1.1/classes/_User",
        {"username": "py", "password": "pw-123456"},
        params={"fetchWhenSave": "false"},
    )
    assert response.status_code == 201
    assert SESSION_TOKEN.fullmatch(response.json()["sessionToken"])


def test_created_objects_and_server_date_have_leancloud_shapes(
    emulator_server: RunningServer,
) -> None:
    response = call(emulator_server, "POST", "/1.1/classes/Post", {"title": "hello"})
    assert response.status_code == 201
    created = response.json()
    assert set(created) == {"objectId", "createdAt"}
    assert OBJECT_ID.fullmatch(created["objectId"])
    assert DATE.fullmatch(created["createdAt"])
    assert response.headers["Location"] == f"/1.1/classes/Post/{created['objectId']}"
    date = call(emulator_server, "GET", "/1.1/date").json()
    assert date["__type"] == "Date"
    assert DATE.fullmatch(date["iso"])


def test_login_and_me_answer_the_same_user_and_token(emulator_server: RunningServer) -> None:
    user = sign_up(emulator_server, "tester1")
    login = call(
        emulator_server, "POST", "/1.1/login", {"username": "tester1", "password": "pw-123456"}
    )
    assert login.status_code == 200
    assert login.json()["objectId"] == user["objectId"]
    assert login.json()["sessionToken"] == user["sessionToken"]
    me = call(emulator_server, "GET", "/1.1/users/me", session=user["sessionToken"])
    assert me.status_code == 200
    assert me.json() == login.json()


@pytest.mark.parametrize("path", ["/1.1/classes/_User/{id}", "/1.1/users/{id}"])
def test_fetching_a_user_never_shows_the_session_token(
    emulator_server: RunningServer, path: str
) -> None:
    user = sign_up(emulator_server, "tester1", gender="female")
    for session in (None, user["sessionToken"]):  # not even to the user herself [S23]
        response = call(
            emulator_server, "GET", path.format(id=user["objectId"]), None, session=session
        )
        assert response.status_code == 200
        fetched = response.json()
        assert "sessionToken" not in fetched
        assert fetched == {k: v for k, v in user.items() if k != "sessionToken"}


def test_queries_never_show_session_tokens(emulator_server: RunningServer) -> None:
    sign_up(emulator_server, "tester1")
    response = call(emulator_server, "GET", "/1.1/classes/_User", master=True)
    [found] = response.json()["results"]
    assert "sessionToken" not in found


# --- /users/me ------------------------------------------------------------------------------


def test_me_prefers_the_session_token_parameter_over_the_header(
    emulator_server: RunningServer,
) -> None:
    alice = sign_up(emulator_server, "alice")
    bob = sign_up(emulator_server, "bob")
    # What the Python SDK's User.become() sends while another user is current [S14].
    response = call(
        emulator_server,
        "GET",
        "/1.1/users/me",
        session=alice["sessionToken"],
        params={"session_token": bob["sessionToken"]},
    )
    assert response.status_code == 200
    assert response.json()["username"] == "bob"
    assert response.json()["sessionToken"] == bob["sessionToken"]


@pytest.mark.parametrize(
    ("session", "params"),
    [
        ("0", None),  # what the JS SDK test sent [S23]
        ("0123456789abcdefghijklmno", None),
        (None, {"session_token": "0123456789abcdefghijklmno"}),
        (None, None),
    ],
)
def test_me_with_an_unknown_or_missing_token_is_211(
    emulator_server: RunningServer, session: str | None, params: dict[str, str] | None
) -> None:
    sign_up(emulator_server, "tester1")
    response = call(emulator_server, "GET", "/1.1/users/me", session=session, params=params)
    assert response.status_code == 400
    assert response.json() == USER_NOT_FOUND


def test_an_outdated_token_stops_working_after_refresh(emulator_server: RunningServer) -> None:
    user = sign_up(emulator_server, "tester1")
    path = f"/1.1/users/{user['objectId']}/refreshSessionToken"
    # Both SDKs send the literal body null here [S13, S23].
    refreshed = call(emulator_server, "PUT", path, None, session=user["sessionToken"])
    assert refreshed.status_code == 200
    assert set(refreshed.json()) == {"updatedAt", "objectId", "sessionToken"}
    new_token = refreshed.json()["sessionToken"]
    assert SESSION_TOKEN.fullmatch(new_token)
    assert new_token != user["sessionToken"]
    old = call(emulator_server, "GET", "/1.1/users/me", session=user["sessionToken"])
    assert old.json() == USER_NOT_FOUND
    assert call(emulator_server, "GET", "/1.1/users/me", session=new_token).status_code == 200


# --- authentication ---------------------------------------------------------------------------


def _unauthorized_headers(server: RunningServer) -> dict[str, dict[str, str]]:
    config = server.emulator.config
    now = now_ms()
    good = sign_header(config.app_key, now)
    return {
        "bad app id": {"X-LC-Id": "someone-else", "X-LC-Sign": good},
        "no app id": {"X-LC-Sign": good},
        "no key or sign": {"X-LC-Id": config.app_id},
        "bad sign": {"X-LC-Id": config.app_id, "X-LC-Sign": f"{'0' * 32},{now}"},
        "sign with another key": {
            "X-LC-Id": config.app_id,
            "X-LC-Sign": sign_header("not-the-key", now),
        },
        "uppercase sign": {
            "X-LC-Id": config.app_id,
            "X-LC-Sign": f"{compute_sign(config.app_key, now).upper()},{now}",
        },
        "app key signed as master": {
            "X-LC-Id": config.app_id,
            "X-LC-Sign": f"{compute_sign(config.app_key, now)},{now},master",
        },
        "bad master suffix": {
            "X-LC-Id": config.app_id,
            "X-LC-Sign": f"{compute_sign(config.master_key, now)},{now},boss",
        },
        "sign without timestamp": {
            "X-LC-Id": config.app_id,
            "X-LC-Sign": compute_sign(config.app_key, now),
        },
        "bad key": {"X-LC-Id": config.app_id, "X-LC-Key": "not-the-key"},
        "app key as master": {"X-LC-Id": config.app_id, "X-LC-Key": f"{config.app_key},master"},
        "master key without suffix": {"X-LC-Id": config.app_id, "X-LC-Key": config.master_key},
    }


@pytest.mark.parametrize(
    "case",
    [
        "bad app id",
        "no app id",
        "no key or sign",
        "bad sign",
        "sign with another key",
        "uppercase sign",
        "app key signed as master",
        "bad master suffix",
        "sign without timestamp",
        "bad key",
        "app key as master",
        "master key without suffix",
    ],
)
@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/1.1/date"), ("POST", "/1.1/requestSmsCode"), ("GET", "/1.1/users/me")],
)
def test_bad_credentials_are_401(
    emulator_server: RunningServer, case: str, method: str, path: str
) -> None:
    headers = _unauthorized_headers(emulator_server)[case]
    body = json.dumps({"mobilePhoneNumber": "+8613800138000"}) if method == "POST" else None
    response = _raw(emulator_server, method, path, headers, body)
    assert response.status_code == 401
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert response.json() == UNAUTHORIZED
    assert emulator_server.emulator.messages() == []


def test_key_headers_are_accepted(emulator_server: RunningServer) -> None:
    config = emulator_server.emulator.config
    app = _id_headers(emulator_server, **{"X-LC-Key": config.app_key})
    master = _id_headers(emulator_server, **{"X-LC-Key": f"{config.master_key},master"})
    assert _raw(emulator_server, "GET", "/1.1/date", app).status_code == 200
    # _User queries need the master key on a new app: the key form carries it too.
    assert _raw(emulator_server, "GET", "/1.1/classes/_User", app).status_code == 403
    assert _raw(emulator_server, "GET", "/1.1/classes/_User", master).status_code == 200


def test_master_sign_is_accepted(emulator_server: RunningServer) -> None:
    response = call(emulator_server, "GET", "/1.1/classes/_User", master=True)
    assert response.status_code == 200
    assert response.json() == {"results": []}
    refused = call(emulator_server, "GET", "/1.1/classes/_User")
    assert refused.status_code == 403
    assert refused.json()["code"] == 403


# --- bodies -------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"null", b"", b"   ", b"{}"])
def test_null_and_empty_bodies_are_accepted(emulator_server: RunningServer, data: bytes) -> None:
    user = sign_up(emulator_server, "tester1")
    headers = signed_headers(emulator_server.emulator, session=user["sessionToken"])
    me = _raw(emulator_server, "GET", "/1.1/users/me", headers, data)
    assert me.status_code == 200
    refresh = _raw(
        emulator_server, "PUT", f"/1.1/users/{user['objectId']}/refreshSessionToken", headers, data
    )
    assert refresh.status_code == 200
    created = _raw(emulator_server, "POST", "/1.1/classes/Post", headers, data)
    assert created.status_code == 201


@pytest.mark.parametrize("data", [b"[1, 2]", b'"text"', b"42", b"true", b"{", b"{'a': 1}"])
def test_bodies_that_are_not_json_objects_are_107(
    emulator_server: RunningServer, data: bytes
) -> None:
    headers = signed_headers(emulator_server.emulator)
    for method, path in (("POST", "/1.1/classes/Post"), ("POST", "/1.1/requestSmsCode")):
        response = _raw(emulator_server, method, path, headers, data)
        body = _assert_error(response, 400, 107)
        assert body == {
            "code": 107,
            "error": "Malformed json object. A json dictionary is expected.",
        }
    assert emulator_server.emulator.messages() == []


def test_bodies_over_one_megabyte_are_413(emulator_server: RunningServer) -> None:
    headers = signed_headers(emulator_server.emulator)
    filler = "a" * (MAX_BODY_BYTES - len('{"text":""}'))
    fits = json.dumps({"text": filler}, separators=(",", ":"))
    assert len(fits) == MAX_BODY_BYTES
    assert _raw(emulator_server, "POST", "/1.1/classes/Post", headers, fits).status_code == 201
    too_big = json.dumps({"text": filler + "a"}, separators=(",", ":"))
    _assert_error(_raw(emulator_server, "POST", "/1.1/classes/Post", headers, too_big), 413, 1)
    huge = b'{"text": "' + b"a" * (8 * 1024 * 1024) + b'"}'
    _assert_error(_raw(emulator_server, "POST", "/1.1/classes/Post", headers, huge), 413, 1)
    query = call(emulator_server, "GET", "/1.1/classes/Post")
    assert len(query.json()["results"]) == 1


# --- CORS ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/1.1/users", "/1.1/requestSmsCode", "/1.1/classes/_User/x"])
def test_cors_preflight_allows_the_sdk_headers(emulator_server: RunningServer, path: str) -> None:
    response = requests.options(
        emulator_server.url + path,
        headers={
            "Origin": "http://localhost:3000",
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-lc-id, x-lc-sign, x-lc-session, content-type",
        },
        timeout=5,
    )
    assert 200 <= response.status_code < 300
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    allowed = {
        h.strip().lower() for h in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"x-lc-id", "x-lc-key", "x-lc-sign", "x-lc-session", "content-type"} <= allowed
    methods = {m.strip() for m in response.headers["Access-Control-Allow-Methods"].split(",")}
    assert {"GET", "POST", "PUT", "DELETE"} <= methods


def test_answers_allow_any_origin(emulator_server: RunningServer) -> None:
    assert call(emulator_server, "GET", "/1.1/date").headers["Access-Control-Allow-Origin"] == "*"
    refused = _raw(emulator_server, "GET", "/1.1/date", {})
    assert refused.headers["Access-Control-Allow-Origin"] == "*"


# --- errors and successes -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "signed"),
    [
        ("/nope", False),
        ("/1.1", False),
        ("/2/route", False),
        ("/1.1/nope", True),
        ("/1.1/classes", True),
        ("/1.1/users/a/b/c", True),
    ],
)
def test_unknown_paths_are_404_json(
    emulator_server: RunningServer, path: str, signed: bool
) -> None:
    headers = signed_headers(emulator_server.emulator) if signed else {}
    response = _raw(emulator_server, "GET", path, headers)
    _assert_error(response, 404, 1)


def test_missing_objects_are_404_101_and_missing_users_400_211(
    emulator_server: RunningServer,
) -> None:
    missing = "0123456789abcdef01234567"
    body = _assert_error(call(emulator_server, "GET", f"/1.1/classes/Post/{missing}"), 404, 101)
    assert body == {"code": 101, "error": "Class or object doesn't exists."}
    user = call(emulator_server, "GET", f"/1.1/classes/_User/{missing}")
    assert user.status_code == 400
    assert user.json() == USER_NOT_FOUND


def _every_kind_of_answer(server: RunningServer) -> list[requests.Response]:
    """A sweep of successes and failures across the endpoints."""
    user = sign_up(server, "tester1", email="t@example.com")
    token, uid = user["sessionToken"], user["objectId"]
    phone, other = "+8613800138000", "+8613800138002"
    me, post = f"/1.1/classes/_User/{uid}", "/1.1/classes/Post"
    missing = f"{post}/0123456789abcdef01234567"
    users = "/1.1/classes/_User"

    def query(**params: str) -> requests.Response:
        return call(server, "GET", users, params=params, master=True)

    def send(path: str, body: dict[str, Any], **options: Any) -> requests.Response:
        return call(server, options.pop("method", "POST"), path, body, **options)

    return [
        send("/1.1/users", {"username": "tester1", "password": "x"}),
        send("/1.1/users", {"username": "other"}),
        send("/1.1/users", {"password": "x"}),
        send("/1.1/users", {"username": "u2", "password": "x", "email": "bad"}),
        send("/1.1/login", {"username": "tester1", "password": "wrong"}),
        send("/1.1/login", {"username": "nobody", "password": "x"}),
        send("/1.1/login", {"username": "tester1", "password": "pw-123456"}),
        send("/1.1/login", {"email": "t@example.com", "password": "pw-123456"}),
        call(server, "GET", "/1.1/users/me", session=token),
        call(server, "GET", "/1.1/users/me", session="0"),
        send(me, {"gender": "female"}, method="PUT"),
        send(me, {"gender": "female"}, method="PUT", session=token),
        send(me, {"x": 1}, method="PUT", params={"new": "true"}, master=True),
        send(
            f"/1.1/users/{uid}/updatePassword",
            {"old_password": "no", "new_password": "y"},
            method="PUT",
            session=token,
        ),
        query(where="[]"),
        query(where="{"),
        query(limit="x"),
        query(where='{"username":"tester1"}'),
        call(server, "GET", "/1.1/scan/classes/_User"),
        call(server, "GET", "/1.1/scan/classes/_User", master=True),
        send("/1.1/requestSmsCode", {"mobilePhoneNumber": phone}),
        send("/1.1/requestSmsCode", {"mobilePhoneNumber": phone}),
        send("/1.1/requestSmsCode", {}),
        send("/1.1/requestSmsCode", {"mobilePhoneNumber": "12ab"}),
        send("/1.1/requestSmsCode", {"mobilePhoneNumber": other, "template": "Nope"}),
        send("/1.1/verifySmsCode/000000", {"mobilePhoneNumber": phone}),
        send("/1.1/verifySmsCode/abc", {"mobilePhoneNumber": phone}),
        send("/1.1/usersByMobilePhone", {"mobilePhoneNumber": phone, "smsCode": "000000"}),
        send("/1.1/requestLoginSmsCode", {"mobilePhoneNumber": other}),
        send("/1.1/requestPasswordResetBySmsCode", {"mobilePhoneNumber": other}),
        send(
            "/1.1/resetPasswordBySmsCode/000000",
            {"mobilePhoneNumber": phone, "password": "p"},
            method="PUT",
        ),
        send("/1.1/requestChangePhoneNumber", {"mobilePhoneNumber": other}),
        send("/1.1/changePhoneNumber", {"mobilePhoneNumber": phone, "code": "000000"}),
        call(server, "GET", "/1.1/requestCaptcha"),
        send("/1.1/verifyCaptcha", {"captcha_token": "nope", "captcha_code": "0000"}),
        call(server, "GET", missing),
        send(missing, {"a": 1}, method="PUT"),
        send(post, {"n": {"__op": "Explode"}}),
        send(post, {"n": 1}),
        call(server, "DELETE", me),
        call(server, "DELETE", me, {}, session=token),
        call(server, "GET", "/1.1/date"),
    ]


def test_errors_are_non_2xx_with_code_and_error_and_successes_have_no_error(
    emulator_server: RunningServer,
) -> None:
    answers = _every_kind_of_answer(emulator_server)
    statuses = {r.status_code for r in answers}
    assert {200, 201, 400, 403, 404} <= statuses  # the sweep really covers both sides
    for response in answers:
        where = f"{response.request.method} {response.request.path_url}: {response.text}"
        assert response.headers["Content-Type"] == JSON_CONTENT_TYPE, where
        body = response.json()
        assert isinstance(body, dict), where
        if response.ok:
            assert 200 <= response.status_code < 300, where
            assert "error" not in body, where
            assert "code" not in body, where
        else:
            assert response.status_code >= 400, where
            assert set(body) == {"code", "error"}, where
            assert isinstance(body["code"], int), where
            assert isinstance(body["error"], str), where
            assert body["error"], where


# --- method tunnelling --------------------------------------------------------------------


def _tunnel(
    server: RunningServer, path: str, fields: dict[str, Any], *, key: str | None = None
) -> requests.Response:
    """A text/plain POST whose JSON body names the method and the credentials [S3]."""
    config = server.emulator.config
    body = {"_ApplicationId": config.app_id, "_ApplicationKey": key or config.app_key, **fields}
    return requests.post(
        server.url + path,
        data=json.dumps(body),
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )


def test_tunnelled_get_put_and_delete(emulator_server: RunningServer) -> None:
    user = sign_up(emulator_server, "tester1")
    token, uid = user["sessionToken"], user["objectId"]
    me = _tunnel(emulator_server, "/1.1/users/me", {"_method": "GET", "_SessionToken": token})
    assert me.status_code == 200
    assert me.json()["objectId"] == uid
    assert me.json()["sessionToken"] == token

    put = _tunnel(
        emulator_server,
        f"/1.1/classes/_User/{uid}",
        {"_method": "PUT", "_SessionToken": token, "gender": "female"},
    )
    assert put.status_code == 200
    assert set(put.json()) == {"updatedAt", "objectId"}
    fetched = call(emulator_server, "GET", f"/1.1/classes/_User/{uid}").json()
    assert fetched["gender"] == "female"
    assert not any(k.startswith("_") for k in fetched)  # no tunnelling key was stored

    delete = _tunnel(
        emulator_server, f"/1.1/classes/_User/{uid}", {"_method": "DELETE", "_SessionToken": token}
    )
    assert delete.status_code == 200
    assert delete.json() == {}
    assert call(emulator_server, "GET", f"/1.1/classes/_User/{uid}").json() == USER_NOT_FOUND


def test_tunnelled_post_and_query_with_parameters_in_the_body(
    emulator_server: RunningServer,
) -> None:
    created = _tunnel(emulator_server, "/1.1/classes/Post", {"title": "a"})
    assert created.status_code == 201
    _tunnel(emulator_server, "/1.1/classes/Post", {"title": "b"})
    found = _tunnel(
        emulator_server,
        "/1.1/classes/Post",
        {"_method": "GET", "where": {"title": "b"}, "keys": "title", "limit": 5, "count": 1},
    )
    assert found.status_code == 200
    body = found.json()
    assert body["count"] == 1
    [post] = body["results"]
    assert post["title"] == "b"


def test_tunnelled_master_key_and_bad_credentials(emulator_server: RunningServer) -> None:
    config = emulator_server.emulator.config
    sign_up(emulator_server, "tester1")
    query = {"_method": "GET", "_MasterKey": config.master_key}
    master = requests.post(
        emulator_server.url + "/1.1/classes/_User",
        data=json.dumps({"_ApplicationId": config.app_id, **query}),
        headers={"Content-Type": "text/plain"},
        timeout=5,
    )
    assert master.status_code == 200
    assert len(master.json()["results"]) == 1
    refused = _tunnel(emulator_server, "/1.1/users/me", {"_method": "GET"}, key="not-the-key")
    assert refused.status_code == 401
    assert refused.json() == UNAUTHORIZED


# --- malformed operations and queries are LeanCloud errors, never a crash ------------------


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"text.sub": 1}, 111),  # a nested key under a string
        ({"text": {"__op": "Increment", "amount": 1}}, 111),
        ({"n": {"__op": "Increment", "amount": "x"}}, 111),
        ({"n": {"__op": "Add", "objects": [1]}}, 111),
        ({"text": {"__op": "AddRelation", "objects": [{"objectId": "x"}]}}, 111),
        ({"r": {"__op": "AddRelation", "objects": "x"}}, 1),
        ({"r": {"__op": "Explode"}}, 1),
    ],
)
def test_bad_update_operations_are_errors(
    emulator_server: RunningServer, change: dict[str, Any], code: int
) -> None:
    created = call(emulator_server, "POST", "/1.1/classes/Post", {"text": "s", "n": 1})
    path = f"/1.1/classes/Post/{created.json()['objectId']}"
    _assert_error(call(emulator_server, "PUT", path, change), 400, code)
    assert call(emulator_server, "GET", path).json()["text"] == "s"  # nothing half-applied


@pytest.mark.parametrize(
    "params",
    [
        {"where": '{"text":{"$regex":"("}}'},
        {"where": '{"text":{"$regex":"a","$options":"q"}}'},
        {"where": '{"$or":5}'},
        {"where": '{"$or":[1]}'},
        {"where": '{"$and":{"a":1}}'},
        {"where": '{"$nor":[{"a":1}]}'},
        {"where": '{"n":{"$in":5}}'},
        {"where": '{"n":{"$near":1}}'},
        {"skip": "x"},
        {"limit": "x"},
    ],
)
def test_bad_queries_are_errors(emulator_server: RunningServer, params: dict[str, str]) -> None:
    call(emulator_server, "POST", "/1.1/classes/Post", {"text": "s", "n": 1})
    _assert_error(call(emulator_server, "GET", "/1.1/classes/Post", params=params), 400, 1)


@pytest.mark.parametrize("where", ['{"$or":"x"}', "[]", "{", '"text"'])
def test_a_where_that_is_not_an_object_is_an_error(
    emulator_server: RunningServer, where: str
) -> None:
    response = call(emulator_server, "GET", "/1.1/classes/Post", params={"where": where})
    assert response.status_code == 400
    assert response.json()["code"] in (1, 107)


def test_queries_handle_regex_options_mixed_types_and_skip(emulator_server: RunningServer) -> None:
    for value in ("Apple", 3, "banana", True, None):
        call(emulator_server, "POST", "/1.1/classes/Post", {"v": value})

    def values(**params: str) -> list[Any]:
        answer = call(emulator_server, "GET", "/1.1/classes/Post", params=params)
        assert answer.status_code == 200, answer.text
        return [p.get("v") for p in answer.json()["results"]]

    assert values(where='{"v":{"$regex":"^a","$options":"i"}}') == ["Apple"]
    assert values(where='{"v":{"$regex":"^a"}}') == []
    assert values(order="v") == [True, 3, "Apple", "banana", None]
    assert values(order="-v") == ["banana", "Apple", 3, True, None]
    assert values(skip="-1", limit="2") == ["Apple", 3]
    assert values(skip="3") == [True, None]


def test_a_role_needs_an_acl(emulator_server: RunningServer) -> None:
    refused = call(emulator_server, "POST", "/1.1/classes/_Role", {"name": "r"}, master=True)
    assert refused.status_code == 400
    assert refused.json() == {"code": 1, "error": "Role ACL is required."}  # [S23]
    body = {"name": "r", "ACL": {"*": {"read": True}}}
    created = call(emulator_server, "POST", "/1.1/classes/_Role", body, master=True)
    assert created.status_code == 201
    [role] = call(emulator_server, "GET", "/1.1/classes/_Role").json()["results"]
    assert set(role) == {"objectId", "createdAt", "updatedAt", "name", "users", "roles"}
    assert role["users"] == {"__type": "Relation", "className": "_User"}


def test_an_emulator_bug_is_still_a_json_500(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in a handler")

    monkeypatch.setattr(routing, "resolve", lambda method, path: (broken, {}))
    base = "http://lc-emulator.test"
    with wsgi_session(emulator, base) as session:
        response = session.get(base + "/1.1/date", headers=signed_headers(emulator), timeout=5)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == JSON_CONTENT_TYPE
    assert response.json() == {
        "code": 1,
        "error": "Internal server error. No information available.",
    }
    assert "a bug in a handler" in capsys.readouterr().err
