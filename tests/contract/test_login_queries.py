"""What a login costs the database, with each provider: a returning user whose data did not
change is read once (profile, user and DRF token in one SELECT) and written once (Django's
``last_login``), with no transaction; the local provider's code login also spends its code
(one UPDATE). Run with a custom user model too (``tests/test_custom_user_model.py``).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.app._api import PASSWORD, PHONE, assert_no_transaction, cool_down, post
from tests.contract.backends import Inbox


def _signup(api: APIClient, inbox: Inbox) -> dict[str, Any]:
    assert post(api, "sms-code/", {"phone": PHONE}).status_code == 202
    body = {"phone": PHONE, "code": inbox.last_code(PHONE), "password": PASSWORD}
    response = post(api, "signup/", body)
    assert response.status_code == 201, response.content
    cool_down()
    return dict(response.json())


def _login(
    api: APIClient, body: dict[str, str], *, creates: bool = False
) -> tuple[dict[str, Any], list[str]]:
    """The answer of a login, and the SQL it ran: none of it a transaction's, unless the
    login ``creates`` something (the user's first token)."""
    with CaptureQueriesContext(connection) as queries:
        response = post(api, "login/", {"phone": PHONE, **body})
    assert response.status_code == 200, response.content
    if not creates:
        assert_no_transaction(queries)
    return dict(response.json()), [q["sql"] for q in queries.captured_queries]


def _assert_read_once_written_once(sql: list[str], *, before: int = 0) -> None:
    """The profile, its user and the token in one SELECT; ``last_login`` the one write.
    ``before``: statements of the provider's own that come first."""
    assert len(sql) == before + 2, sql
    read, write = sql[before:]
    assert read.startswith("SELECT"), read
    assert all(table in read for table in ("lc_phone_phoneprofile", "authtoken_token")), read
    assert write.startswith("UPDATE"), write
    assert connection.ops.quote_name(get_user_model()._meta.db_table) in write, write
    assert '"last_login" = ' in write, write


def test_a_password_login_reads_once_and_writes_last_login(api: APIClient, inbox: Inbox) -> None:
    first = _signup(api, inbox)
    for _ in range(2):
        body, sql = _login(api, {"password": PASSWORD})
        assert (body["token"], body["user"]) == (first["token"], first["user"])
        # The local provider's hash read is the SELECT: the user comes with the profile.
        _assert_read_once_written_once(sql)


def test_a_code_login_reads_once_and_writes_last_login(api: APIClient, inbox: Inbox) -> None:
    first = _signup(api, inbox)
    assert post(api, "login/sms-code/", {"phone": PHONE}).status_code == 202
    body, sql = _login(api, {"code": inbox.last_code(PHONE)})
    assert (body["token"], body["user"]) == (first["token"], first["user"])
    # The local provider keeps its codes here: one UPDATE finds and spends the code first.
    spend = 1 if inbox.name == "local" else 0
    _assert_read_once_written_once(sql, before=spend)
    if spend:
        assert sql[0].startswith('UPDATE "lc_phone_phonecode" SET "used_at"'), sql[0]


def test_a_token_login_leaves_the_client_s_session_alone(api: APIClient, inbox: Inbox) -> None:
    """A client that also has a signed-in session (the admin, say) sends its cookie along:
    the token sign-in neither reads that session nor records it (``revocation.py``)."""
    first = _signup(api, inbox)
    api.force_login(get_user_model().objects.get(pk=first["user"]["id"]))
    body, sql = _login(api, {"password": PASSWORD})
    assert body["token"] == first["token"]
    assert not [s for s in sql if "django_session" in s or "signedinsession" in s], sql
    _assert_read_once_written_once(sql)


def test_a_user_without_a_token_gets_one(api: APIClient, inbox: Inbox) -> None:
    first = _signup(api, inbox)
    Token.objects.all().delete()
    body, _sql = _login(api, {"password": PASSWORD}, creates=True)
    assert body["token"] != first["token"]
    assert Token.objects.get().key == body["token"]
    again, sql = _login(api, {"password": PASSWORD})
    assert again["token"] == body["token"]
    _assert_read_once_written_once(sql)
