"""The master-key ``_User`` scan, credentials the emulator refuses, malformed phone numbers, and
the arguments LeanCloudClient refuses before sending anything, all over real HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from django_lc_phone.emulator import Emulator, RunningServer
from django_lc_phone.emulator import users as emulator_users
from django_lc_phone.leancloud import (
    LeanCloudAPIError,
    LeanCloudAuthError,
    LeanCloudClient,
    LeanCloudInvalidArgument,
    LeanCloudInvalidPhone,
    LeanCloudMasterKeyMissing,
    LeanCloudUnavailable,
)
from django_lc_phone.leancloud.wire import API_PREFIX, HEADER_ID, HEADER_SIGN, sign_header

from ._support import lc_error, make_user

PHONE = "+8613800000031"
OTHER = "+8613800000032"
USERS = 2500


def insert_users(emulator: Emulator, count: int) -> None:
    """Many users at once, straight into the store (signing each up over HTTP is too slow)."""
    now = emulator.clock.now()
    with emulator.store.transaction() as db:
        for i in range(count):
            fields = {"username": f"user{i:05d}", "mobilePhoneNumber": f"+86139{i:08d}"}
            emulator_users.store_new(db, emulator_users.new_user(fields, now))


# --- scan ----------------------------------------------------------------------------------


def test_scan_users_pages_through_every_user(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    insert_users(emulator_server.emulator, USERS)
    pages, cursor = [], None
    while True:
        page = http_client.scan_users(cursor=cursor)
        pages.append(page)
        if page.cursor is None:
            break
        cursor = page.cursor
    assert [len(page.results) for page in pages] == [1000, 1000, 500]
    results = [user for page in pages for user in page.results]
    ids = [user["objectId"] for user in results]
    assert ids == sorted(ids)
    assert len(set(ids)) == USERS
    assert {user["username"] for user in results} == {f"user{i:05d}" for i in range(USERS)}
    assert not any("sessionToken" in user or "password" in user for user in results)
    assert not any(key.startswith("_") for user in results for key in user)


@pytest.mark.parametrize(("batch_size", "requests"), [(1000, 3), (500, 5), (700, 4)])
def test_iter_users_yields_every_user_once(
    http_client: LeanCloudClient,
    emulator_server: RunningServer,
    monkeypatch: pytest.MonkeyPatch,
    batch_size: int,
    requests: int,
) -> None:
    insert_users(emulator_server.emulator, USERS)
    calls: list[int] = []
    scan = http_client.scan_users

    def counting_scan(**options: Any) -> Any:
        calls.append(options["limit"])
        return scan(**options)

    monkeypatch.setattr(http_client, "scan_users", counting_scan)
    users = list(http_client.iter_users(batch_size=batch_size))
    assert len(users) == USERS
    assert len({user["objectId"] for user in users}) == USERS
    assert calls == [batch_size] * requests


def test_scan_users_with_where_and_keys(
    http_client: LeanCloudClient, emulator_server: RunningServer
) -> None:
    insert_users(emulator_server.emulator, 300)
    wanted = ["user00007", "user00299"]
    page = http_client.scan_users(
        limit=10, where={"username": {"$in": wanted}}, keys=["mobilePhoneNumber"]
    )
    assert page.cursor is None
    assert sorted(user["mobilePhoneNumber"] for user in page.results) == [
        "+8613900000007", "+8613900000299",
    ]  # fmt: skip
    assert all(
        sorted(user) == ["createdAt", "mobilePhoneNumber", "objectId", "updatedAt"]
        for user in page.results
    )


@pytest.mark.parametrize("cursor", ["!!!!", "bm90LWFuLWlk", "", "AAAA"])
def test_a_garbage_scan_cursor_is_refused_not_restarted(
    http_client: LeanCloudClient, emulator_server: RunningServer, cursor: str
) -> None:
    insert_users(emulator_server.emulator, 3)
    if not cursor:  # an empty cursor is simply "from the start"
        assert len(http_client.scan_users(cursor=cursor).results) == 3
        return
    with lc_error(LeanCloudAPIError, 1, message="Invalid cursor."):
        http_client.scan_users(cursor=cursor)


def test_scan_needs_the_master_key(emulator_server: RunningServer) -> None:
    config = emulator_server.emulator.config
    client = LeanCloudClient(config.app_id, config.app_key, server_url=emulator_server.url)
    with pytest.raises(LeanCloudMasterKeyMissing) as info:  # no master key: nothing is sent
        client.scan_users()
    assert (info.value.code, info.value.status, info.value.request_sent) == (None, None, False)
    with lc_error(LeanCloudAuthError, 1, message="The request must be signed by master key."):
        client.transport.request(  # what LeanCloud answers an app-key scan
            "GET",
            API_PREFIX + "/scan/classes/_User",
            route=API_PREFIX + "/scan/classes/_User",
            headers=lambda: {
                HEADER_ID: config.app_id,
                HEADER_SIGN: sign_header(config.app_key, 1_700_000_000_000),
            },
        )
    client.close()


# --- credentials ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("app_id", "app_key", "master_key"),
    [("wrongAppId", None, None), (None, "wrong-app-key", None), (None, None, "wrong-master")],
)
def test_wrong_credentials_are_401(
    emulator_server: RunningServer,
    app_id: str | None,
    app_key: str | None,
    master_key: str | None,
) -> None:
    config = emulator_server.emulator.config
    client = LeanCloudClient(
        app_id or config.app_id,
        app_key or config.app_key,
        master_key=master_key or config.master_key,
        server_url=emulator_server.url,
    )
    with lc_error(LeanCloudAuthError, 401, status=401):
        if master_key is None:
            client.request_sms_code(PHONE)
        else:
            client.scan_users()
    assert emulator_server.emulator.messages() == []
    client.close()


# --- malformed phone numbers: 127 from every call that takes one -----------------------------

PHONE_CALLS: dict[str, Callable[[LeanCloudClient, str, str], object]] = {
    "request_sms_code": lambda c, p, s: c.request_sms_code(p),
    "verify_sms_code": lambda c, p, s: c.verify_sms_code(p, "123456"),
    "signup_or_login": lambda c, p, s: c.signup_or_login_by_mobile_phone(p, "123456"),
    "request_login_sms_code": lambda c, p, s: c.request_login_sms_code(p),
    "login_with_sms_code": lambda c, p, s: c.login_with_sms_code(p, "123456"),
    "login_with_password": lambda c, p, s: c.login_with_password(p, "pw-123456"),
    "request_password_reset": lambda c, p, s: c.request_password_reset_by_sms_code(p),
    "reset_password": lambda c, p, s: c.reset_password_by_sms_code(p, "123456", "pw-123456"),
    "request_verify": lambda c, p, s: c.request_mobile_phone_verify(p),
    "verify_mobile_phone": lambda c, p, s: c.verify_mobile_phone(p, "123456"),
    "request_change": lambda c, p, s: c.request_change_phone_number(p, session_token=s),
    "change_phone_number": lambda c, p, s: c.change_phone_number(p, "123456", session_token=s),
}


@pytest.mark.parametrize("phone", ["12-34", "+86 138 0000 0031", "12345", "+0123456789"])
@pytest.mark.parametrize("call", sorted(PHONE_CALLS))
def test_malformed_phone_is_127(
    http_client: LeanCloudClient, emulator_server: RunningServer, call: str, phone: str
) -> None:
    token = make_user(emulator_server.emulator, PHONE).session_token
    with lc_error(LeanCloudInvalidPhone, 127):
        PHONE_CALLS[call](http_client, phone, token)
    assert emulator_server.emulator.messages() == []


# --- arguments refused before any request --------------------------------------------------

ID = "a" * 24
TOKEN = "t" * 25
REFUSED: dict[str, Callable[[LeanCloudClient], object]] = {
    "code with a path": lambda c: c.verify_sms_code(PHONE, "../users/me"),
    "code of 5 digits": lambda c: c.verify_sms_code(PHONE, "12345"),
    "code of 7 digits": lambda c: c.verify_sms_code(PHONE, "1234567"),
    "verify code with a space": lambda c: c.verify_mobile_phone(PHONE, "12 456"),
    "reset code with a path": lambda c: c.reset_password_by_sms_code(PHONE, "../x/1", "pw"),
    "reset empty password": lambda c: c.reset_password_by_sms_code(PHONE, "123456", ""),
    "sign-up code of letters": lambda c: c.signup_or_login_by_mobile_phone(PHONE, "abcdef"),
    "login code of 5 digits": lambda c: c.login_with_sms_code(PHONE, "12345"),
    "login empty password": lambda c: c.login_with_password(PHONE, ""),
    "change code of 4 digits": lambda c: c.change_phone_number(PHONE, "1234", session_token=TOKEN),
    "empty phone": lambda c: c.request_sms_code(""),
    "33-character phone": lambda c: c.request_sms_code("1" * 33),
    "smsType fax": lambda c: c.request_sms_code(PHONE, sms_type="fax"),  # type: ignore[arg-type]
    "ttl 0": lambda c: c.request_sms_code(PHONE, ttl=0),
    "ttl 31": lambda c: c.request_sms_code(PHONE, ttl=31),
    "ttl True": lambda c: c.request_sms_code(PHONE, ttl=True),
    "variable overriding the phone": lambda c: c.request_sms_code(
        PHONE, variables={"mobilePhoneNumber": OTHER}
    ),
    "variable overriding the template": lambda c: c.request_sms_code(
        PHONE, variables={"template": "Order_Notice"}
    ),
    "variable overriding validate_token": lambda c: c.request_sms_code(
        PHONE, variables={"validate_token": "x"}
    ),
    "non-string variable": lambda c: c.request_sms_code(PHONE, variables={"n": 1}),  # type: ignore[dict-item]
    "empty validate_token": lambda c: c.request_sms_code(PHONE, validate_token=""),
    "session token with a path": lambda c: c.get_current_user("../users/me"),
    "short session token": lambda c: c.get_current_user("short"),
    "change-phone session with a path": lambda c: c.request_change_phone_number(
        PHONE, session_token="../x"
    ),
    "change-phone ttl 31": lambda c: c.request_change_phone_number(
        PHONE, session_token=TOKEN, ttl=31
    ),
    "objectId with a path": lambda c: c.get_user("../x"),
    "objectId of 23 characters": lambda c: c.get_user("a" * 23),
    "uppercase objectId": lambda c: c.get_user("A" * 24),
    "update objectId with a path": lambda c: c.update_user("../x", {"a": 1}, use_master_key=True),
    "update with no fields": lambda c: c.update_user(ID, {}, use_master_key=True),
    "refresh objectId with a path": lambda c: c.refresh_session_token("../x", session_token=TOKEN),
    "update empty old password": lambda c: c.update_password(ID, "", "new", session_token=TOKEN),
    "scan limit 0": lambda c: c.scan_users(limit=0),
    "scan limit 1001": lambda c: c.scan_users(limit=1001),
    "scan cursor too long": lambda c: c.scan_users(cursor="x" * 1025),
    "iter batch 0": lambda c: list(c.iter_users(batch_size=0)),
    "query limit 0": lambda c: c.query_users(limit=0),
    "query limit 1001": lambda c: c.query_users(limit=1001),
    "query skip -1": lambda c: c.query_users(skip=-1),
    "captcha width 0": lambda c: c.request_captcha(width=0),
    "captcha ttl -1": lambda c: c.request_captcha(ttl=-1),
    "empty captcha answer": lambda c: c.verify_captcha("", "AbCdEfGh"),
    "17-character captcha answer": lambda c: c.verify_captcha("1" * 17, "AbCdEfGh"),
    "captcha token with a path": lambda c: c.verify_captcha("1234", "../x"),
    "captcha token of 3 characters": lambda c: c.verify_captcha("1234", "abc"),
}


@pytest.fixture
def no_request_probe(emulator_server: RunningServer) -> Callable[[], bool]:
    """Arm a fault that the next API request would consume; report whether it is still armed."""
    emulator_server.emulator.arm_fault("http_error", 1, status=503)
    return lambda: len(emulator_server.emulator.faults.armed()) == 1


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_arguments_never_reach_the_service(
    http_client: LeanCloudClient, no_request_probe: Callable[[], bool], case: str
) -> None:
    with pytest.raises(LeanCloudInvalidArgument) as info:
        REFUSED[case](http_client)
    error = info.value
    assert isinstance(error, ValueError)
    assert (error.code, error.status, error.request_sent) == (None, None, False)
    assert no_request_probe()


@pytest.mark.parametrize("key", ["_method", "_SessionToken", "_MasterKey"])
def test_tunnelling_keys_are_not_template_variables(
    http_client: LeanCloudClient, no_request_probe: Callable[[], bool], key: str
) -> None:
    variables = {key: "GET", "order_id": "1", "date": "2"}
    with pytest.raises(LeanCloudInvalidArgument):
        http_client.request_sms_code(PHONE, template="Order_Notice", variables=variables)
    assert no_request_probe()


def test_the_probe_sees_a_request_that_is_sent(
    http_client: LeanCloudClient, no_request_probe: Callable[[], bool]
) -> None:
    with lc_error(LeanCloudUnavailable, 503, status=503, message="Emulated server error."):
        http_client.get_current_user(TOKEN)
    assert not no_request_probe()


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.scan_users(),
        lambda c: c.request_sms_code(PHONE, use_master_key=True),
        lambda c: c.get_user(ID, use_master_key=True),
        lambda c: c.request_captcha(size=4),
    ],
)
def test_master_key_calls_without_a_master_key_send_nothing(
    emulator_server: RunningServer,
    no_request_probe: Callable[[], bool],
    call: Callable[[LeanCloudClient], object],
) -> None:
    config = emulator_server.emulator.config
    client = LeanCloudClient(config.app_id, config.app_key, server_url=emulator_server.url)
    with pytest.raises(LeanCloudMasterKeyMissing) as info:
        call(client)
    assert info.value.request_sent is False
    assert no_request_probe()
    client.close()
