"""Reference §5 table F, concurrency, transactions and local state (T29-T34): one local user per
remote user under races, deterministic recycled numbers, no partial rows when the database fails
after the upstream acted (and reconciliation on the next sign-in), revocation on reset and phone
change, and no session token carried over to another request.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db import DatabaseError, IntegrityError, OperationalError, connection, connections
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from django_lc_phone import services, signals, sync
from django_lc_phone.models import PhoneProfile
from django_lc_phone.services import signin
from django_lc_phone.sync import SYNCED_AT_PRECISION
from django_lc_phone.testing.inprocess import wsgi_session
from tests import upstream
from tests.app._api import (
    NEW_PASSWORD,
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    assert_error,
    code,
    cool_down,
    lc_phone_settings,
    post,
    received,
    request_code,
    signed_in,
    signup,
    url,
)
from tests.security._util import ip, local_state

User = get_user_model()
THREADS = 10
UNLIMITED_ATTEMPTS = {
    "CODE_ATTEMPTS": None,
    "PASSWORD_ATTEMPTS": None,
    "ATTEMPTS_PER_IP_MINUTE": None,
    "FAILURES_PER_NUMBER": None,
    "CAPTCHA_AFTER_FAILURES": None,
}


@pytest.fixture
def no_upstream_lock_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ten logins of one number at once: what is measured is the linking race, not the guard
    that keeps in-flight attempts below LeanCloud's own lock (tests/security/test_h_lockout)."""
    monkeypatch.setattr(signin, "login_lock", lambda: None)


def race(
    worker: Callable[[int], Any],
    threads: int = THREADS,
    *,
    bind: Callable[[], None] | None = None,
) -> list[Any]:
    """Run ``worker(i)`` in ``threads`` real threads released at once by a barrier; each
    thread's result (or the exception it raised). ``bind`` runs first in each thread (see
    :func:`shared_database`); every thread closes its connections at the end."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(index: int) -> None:
        try:
            if bind is not None:
                bind()
            barrier.wait(timeout=30)
            results[index] = worker(index)
        except Exception as exc:  # reported by the test, not lost in the thread
            results[index] = exc
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run, args=(i,), name=f"race-{i}") for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in pool), "a thread hung"
    return results


@contextmanager
def shared_database(tmp_path: Path) -> Iterator[Callable[[], None] | None]:
    """A database that several threads can write to at once, as the site's would be.

    PostgreSQL: the test database itself (nothing to do; yields None). SQLite: the suite's
    test database is in memory with a shared cache, where SQLite locks whole tables and a
    second writer fails at once ("database table is locked") instead of waiting; so the
    schema is copied to a file database (WAL, 30 s busy timeout, ``BEGIN IMMEDIATE`` as
    Django's docs advise for concurrent writers) which this thread, and every thread that
    calls the yielded ``bind``, uses as ``default`` until the block ends.
    """
    if connection.vendor != "sqlite":
        yield None
        return
    from django.db.backends.sqlite3.base import DatabaseWrapper

    path = tmp_path / "race.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    try:
        connection.connection.backup(target)  # the migrated schema (the tables are empty)
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()
    file_settings = {
        **connections.settings["default"],
        "NAME": str(path),
        "OPTIONS": {"timeout": 30, "transaction_mode": "IMMEDIATE"},
    }

    def bind() -> None:
        connections["default"] = DatabaseWrapper(file_settings, "default")

    original = connections["default"]
    bind()
    try:
        yield bind
    finally:
        connections["default"].close()
        connections["default"] = original


def _upstream_user(phone: str = PHONE, password: str = PASSWORD) -> str:
    """A LeanCloud user with ``phone`` and ``password`` and nothing local; its objectId."""
    body = signup(APIClient(), phone, password=password)
    object_id = PhoneProfile.objects.get(user_id=body["user"]["id"]).lc_object_id
    Token.objects.all().delete()
    PhoneProfile.objects.all().delete()
    User.objects.all().delete()
    assert object_id
    return object_id


def _responses(results: list[Any]) -> list[tuple[int, Any]]:
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    return [(r.status_code, r.json()) for r in results]


# --- T29 ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("issuer", ["authtoken", "session"])
@pytest.mark.usefixtures("no_upstream_lock_guard")
def test_t29_concurrent_password_logins_make_one_local_user(
    issuer: str, lc: upstream.CountingApp, tmp_path: Path
) -> None:
    """T29 | 10 threads log in at once; the upstream returns the **same `objectId`** to all |
    One local user and one link row; every response 200 with the same user id | `IntegrityError`
    -> 500; duplicate users (`MultipleObjectsReturned` later)."""
    object_id = _upstream_only_user_checked()
    lc.calls.clear()

    def login(i: int) -> Any:
        client = APIClient(REMOTE_ADDR=ip(100 + i), raise_request_exception=False)
        return post(client, "login/", {"phone": PHONE, "password": PASSWORD})

    with (
        lc_phone_settings(TOKEN_ISSUER=issuer, **UNLIMITED_ATTEMPTS),
        shared_database(tmp_path) as bind,
    ):
        answers = _responses(race(login, bind=bind))
        assert [status for status, _ in answers] == [200] * THREADS, answers
        assert len({body["user"]["id"] for _, body in answers}) == 1
        assert {body["created"] for _, body in answers} == {False}
        assert lc.calls == [("POST", "/1.1/login")] * THREADS
        assert User.objects.count() == 1
        profile = PhoneProfile.objects.get()
        assert (profile.lc_object_id, profile.phone_e164) == (object_id, PHONE)
        assert str(profile.user_id) == answers[0][1]["user"]["id"]
        if issuer == "authtoken":
            assert len({body["token"] for _, body in answers}) == 1
            assert Token.objects.count() == 1
        else:
            assert Session.objects.count() == THREADS
        # Nothing left half done: one more login is an ordinary 200 for the same user.
        again = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD})
        assert again.status_code == 200, again.content
        assert again.json()["user"]["id"] == str(profile.user_id)


def _upstream_only_user_checked() -> str:
    object_id = _upstream_user()
    assert local_state() == (0, 0, 0)
    return object_id


@pytest.mark.django_db(transaction=True)
def test_t29_concurrent_signups_make_one_local_user(
    lc: upstream.CountingApp, tmp_path: Path
) -> None:
    """T29 | 10 threads sign up at once with one (reusable, test-number) code; the upstream
    creates the account once and returns the same `objectId` to all | One local user and one
    link row; every response 200/201 with the same user id | `IntegrityError` -> 500;
    duplicate users."""
    upstream.EMULATOR.add_test_number(PHONE, "246810")  # a fixed code, as on the console
    request_code(APIClient())
    lc.calls.clear()

    def signup_now(i: int) -> Any:
        client = APIClient(REMOTE_ADDR=ip(100 + i), raise_request_exception=False)
        return post(client, "signup/", {"phone": PHONE, "code": "246810"})

    with lc_phone_settings(**UNLIMITED_ATTEMPTS), shared_database(tmp_path) as bind:
        answers = _responses(race(signup_now, bind=bind))
        # The upstream created the account for exactly one of them.
        assert sorted(status for status, _ in answers) == [200] * (THREADS - 1) + [201], answers
        assert len({body["user"]["id"] for _, body in answers}) == 1
        assert lc.calls == [("POST", "/1.1/usersByMobilePhone")] * THREADS
        assert User.objects.count() == 1
        profile = PhoneProfile.objects.get()
        assert profile.phone_e164 == PHONE
        assert str(profile.user_id) == answers[0][1]["user"]["id"]
        assert Token.objects.count() == 1


# --- T30 ------------------------------------------------------------------------------------------


def _recycle_upstream(object_id: str | None) -> None:
    """The carrier gave the number to someone else: the old LeanCloud account is gone (deleted
    with the master key, outside the counted upstream)."""
    assert object_id
    config = upstream.EMULATOR.config
    session = wsgi_session(upstream.EMULATOR, upstream.SERVER_URL)
    response = session.delete(
        f"{upstream.SERVER_URL}/1.1/users/{object_id}",
        headers={"X-LC-Id": config.app_id, "X-LC-Key": f"{config.master_key},master"},
    )
    assert response.status_code == 200, response.content


def _phone_holders(phone: str = PHONE) -> list[int]:
    return list(PhoneProfile.objects.filter(phone=phone).values_list("user_id", flat=True))


def test_t30_a_recycled_number_moves_to_the_new_account(lc: upstream.CountingApp) -> None:
    """T30 | The upstream returns a **new `objectId`** for a phone already linked to another local
    user (number recycled) | Deterministic handling (relink per policy: the new account gets the
    number, the old user keeps its account without it) inside one transaction; the unique
    constraint on phone holds | Two local users with the same phone."""
    old_client, old_user = signed_in(PHONE)
    old_object_id = PhoneProfile.objects.get(user=old_user).lc_object_id
    _recycle_upstream(old_object_id)
    newcomer = APIClient()
    sms = request_code(newcomer, PHONE)
    lc.calls.clear()
    response = post(newcomer, "signup/", {"phone": PHONE, "code": sms})
    assert response.status_code == 201, response.content
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    new_id = int(response.json()["user"]["id"])
    assert new_id != old_user.pk
    assert response.json()["user"]["phone"] == PHONE

    assert _phone_holders() == [new_id]
    new_profile = PhoneProfile.objects.get(user_id=new_id)
    assert new_profile.lc_object_id not in (None, old_object_id)
    old = PhoneProfile.objects.get(user=old_user)
    assert (old.phone, old.phone_verified, old.phone_verified_at) == (None, False, None)
    assert old.lc_object_id == old_object_id  # still linked to its own (gone) account
    assert User.objects.count() == 2
    me = old_client.get(url("me/"))  # the old user is still signed in, without the number
    assert me.status_code == 200, me.content
    assert me.json()["phone"] is None

    # The database refuses a second holder whatever the code does.
    with pytest.raises(IntegrityError), transaction_atomic():
        PhoneProfile.objects.filter(user=old_user).update(phone=PHONE)
    assert _phone_holders() == [new_id]


@contextmanager
def transaction_atomic() -> Iterator[None]:
    from django.db import transaction

    with transaction.atomic():
        yield


def test_t30_the_move_is_one_transaction(
    lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T30 | The write that links the new account fails after the old holder was released |
    Everything rolls back: the old user keeps the number, no new user | The old holder losing
    the number while nobody gets it; two holders."""
    _, old_user = signed_in(PHONE)
    _recycle_upstream(PhoneProfile.objects.get(user=old_user).lc_object_id)
    newcomer = APIClient(raise_request_exception=False)
    sms = request_code(newcomer, PHONE)
    lc.calls.clear()
    real_apply = sync._apply

    def failing_apply(remote: Any, profile: PhoneProfile) -> None:
        real_apply(remote, profile)
        raise IntegrityError("injected after the old holder was released")

    monkeypatch.setattr(sync, "_apply", failing_apply)
    response = post(newcomer, "signup/", {"phone": PHONE, "code": sms})
    assert_error(response, 503, "temporarily_unavailable")
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    assert _phone_holders() == [old_user.pk]
    assert PhoneProfile.objects.get(user=old_user).phone_verified is True
    assert User.objects.count() == 1

    monkeypatch.setattr(sync, "_apply", real_apply)
    cool_down()
    again = post(newcomer, "signup/", {"phone": PHONE, "code": request_code(newcomer, PHONE)})
    assert again.status_code == 200, again.content  # the upstream account exists already
    assert _phone_holders() == [int(again.json()["user"]["id"])]
    assert PhoneProfile.objects.get(user=old_user).phone is None


# --- T31 ------------------------------------------------------------------------------------------

DB_ERRORS: dict[str, type[DatabaseError]] = {
    "integrity_error": IntegrityError,
    "operational_error": OperationalError,
}


@pytest.mark.parametrize("model", ["profile", "user"])
@pytest.mark.parametrize("error", list(DB_ERRORS))
def test_t31_a_database_failure_after_signup_leaves_nothing_and_reconciles(
    error: str, model: str, lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T31 | DB fails (`IntegrityError` / `OperationalError` injected) after the upstream
    succeeded | 503; **no** partial rows; the next successful login with a new code reconciles
    by `objectId` | A user without a link, a link without a user, or a broken transaction
    leaking into the next query."""
    from tests.security._util import upstream_log

    client = APIClient(raise_request_exception=False)
    sms = request_code(client)
    lc.calls.clear()
    target = PhoneProfile if model == "profile" else User
    with upstream_log() as log:
        monkeypatch.setattr(target, "save", _failing(DB_ERRORS[error]))
        response = post(client, "signup/", {"phone": PHONE, "code": sms, "password": PASSWORD})
        monkeypatch.undo()
    assert_error(response, 503, "temporarily_unavailable")
    assert response["Retry-After"] == "30"
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]  # the local retry is not upstream
    object_id = log.items[0].answer["objectId"]
    assert local_state() == (0, 0, 0)  # no user, no link, no token
    assert Session.objects.count() == 0

    # The code is spent upstream; a new one signs in and links the account by its objectId.
    assert_error(post(client, "signup/", {"phone": PHONE, "code": sms}), 400, "invalid_code")
    cool_down()
    again = post(client, "signup/", {"phone": PHONE, "code": request_code(client)})
    assert again.status_code == 200, again.content  # the upstream account existed already
    profile = PhoneProfile.objects.get()
    assert (profile.lc_object_id, profile.phone_e164) == (object_id, PHONE)
    assert str(profile.user_id) == again.json()["user"]["id"]
    assert local_state() == (1, 1, 1)


def _failing(error: type[DatabaseError]) -> Callable[..., None]:
    def failing_save(self: Any, *args: Any, **kwargs: Any) -> None:
        raise error("injected: the database failed")

    return failing_save


@pytest.mark.parametrize("error", list(DB_ERRORS))
def test_t31_a_database_failure_on_login_keeps_the_existing_rows(
    error: str, lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T31 | An existing user logs in; the upstream succeeds, the local update fails | 503; the
    user's rows as they were; the next login updates them | Partial rows; a broken transaction
    leaking into the next query."""
    _, user = signed_in(PHONE, password=PASSWORD)
    # Old enough that the login rewrites the profile (an unchanged, fresh one is left alone).
    PhoneProfile.objects.update(last_synced_at=timezone.now() - SYNCED_AT_PRECISION)
    before = PhoneProfile.objects.values().get()
    client = APIClient(raise_request_exception=False)
    lc.calls.clear()
    monkeypatch.setattr(PhoneProfile, "save", _failing(DB_ERRORS[error]))
    response = post(client, "login/", {"phone": PHONE, "password": PASSWORD})
    monkeypatch.undo()
    assert_error(response, 503, "temporarily_unavailable")
    assert lc.calls == [("POST", "/1.1/login")]
    assert PhoneProfile.objects.values().get() == before
    assert local_state() == (1, 1, 1)
    again = post(client, "login/", {"phone": PHONE, "password": PASSWORD})
    assert again.status_code == 200, again.content
    assert again.json()["user"]["id"] == str(user.pk)
    synced = PhoneProfile.objects.get().last_synced_at
    assert synced is not None
    assert before["last_synced_at"] is not None
    assert synced > before["last_synced_at"]


# --- T32 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("reconcile", ["password_login", "code_login", "resync"])
def test_t32_a_failed_local_phone_change_is_repaired_by_the_next_sync(
    reconcile: str, lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T32 | Change phone: upstream `changePhoneNumber` succeeds, then the local update fails |
    503; the next authenticated sync or login writes the upstream phone locally | Local and
    upstream phone staying out of sync."""
    client, user = signed_in(PHONE, password=PASSWORD)
    client.raise_request_exception = False
    token = Token.objects.get().key
    assert post(client, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
    sms = code(OTHER)
    lc.calls.clear()
    with received(signals.phone_changed) as changed, received(signals.credentials_revoked) as gone:
        monkeypatch.setattr(PhoneProfile, "save", _failing(OperationalError))
        response = post(client, "phone/change/", {"phone": OTHER, "code": sms})
        monkeypatch.undo()
    assert_error(response, 503, "temporarily_unavailable")
    assert lc.calls == [("POST", "/1.1/changePhoneNumber")]
    assert (changed, gone) == ([], [])
    assert PhoneProfile.objects.get().phone_e164 == PHONE  # rolled back: out of sync for now
    assert list(Token.objects.values_list("key", flat=True)) == [token]

    lc.calls.clear()
    if reconcile == "resync":
        services.resync(PhoneProfile.objects.get())
        assert lc.calls == [
            ("GET", f"/1.1/classes/_User/{PhoneProfile.objects.get().lc_object_id}")
        ]
    else:
        anonymous = APIClient()
        if reconcile == "code_login":
            cool_down()
            assert post(anonymous, "login/sms-code/", {"phone": OTHER}).status_code == 202
            body = {"phone": OTHER, "code": code(OTHER)}
        else:
            body = {"phone": OTHER, "password": PASSWORD}
        login = post(anonymous, "login/", body)
        assert login.status_code == 200, login.content
        assert login.json()["user"]["id"] == str(user.pk)
        assert login.json()["user"]["phone"] == OTHER
    profile = PhoneProfile.objects.get()
    assert (profile.user_id, profile.phone_e164, profile.phone_verified) == (user.pk, OTHER, True)
    assert _phone_holders(PHONE) == []
    assert User.objects.count() == 1


# --- T33 ------------------------------------------------------------------------------------------


def _two_credentials() -> tuple[APIClient, APIClient, Any]:
    """One user signed in twice: a DRF token client and a Django session client."""
    token_client, user = signed_in(PHONE, password=PASSWORD)
    session_client = APIClient()
    with lc_phone_settings(TOKEN_ISSUER="session"):
        login = post(session_client, "login/", {"phone": PHONE, "password": PASSWORD})
    assert login.status_code == 200, login.content
    assert login.json()["token"] is None
    assert session_client.cookies[settings.SESSION_COOKIE_NAME].value
    for client in (token_client, session_client):
        me = client.get(url("me/"))
        assert me.status_code == 200, me.content
        assert me.json()["id"] == str(user.pk)
    return token_client, session_client, user


def _refused(client: APIClient) -> None:
    response = client.get(url("me/"))
    assert response.status_code == 401, response.content
    assert response.json()["code"] in ("authentication_failed", "not_authenticated")


def test_t33_a_password_reset_revokes_every_token_and_session(
    lc: upstream.CountingApp, django_capture_on_commit_callbacks: Any
) -> None:
    """T33 | Password reset by SMS succeeds | Every existing Django session and DRF token for
    that user is revoked; the response logs nobody in; a notification hook fires on commit |
    An old session still working; automatic login."""
    token_client, session_client, user = _two_credentials()
    assert Session.objects.count() == 1
    anonymous = APIClient()
    cool_down()
    lc.calls.clear()
    assert post(anonymous, "password-reset/sms-code/", {"phone": PHONE}).status_code == 202
    sms = code(PHONE)
    body = {"phone": PHONE, "code": sms, "password": NEW_PASSWORD}
    with (
        received(signals.password_reset) as reset,
        received(signals.credentials_revoked) as revoked,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        response = post(anonymous, "password-reset/", body)
        assert (reset, revoked) == ([], [])  # not before the commit
    assert response.status_code == 200, response.content
    assert response.json() == {
        "code": "password_reset",
        "detail": "Your password has been reset. Sign in with it.",
    }
    assert len(callbacks) == 2
    assert [(r["user"].pk, r["phone"]) for r in reset] == [(user.pk, PHONE)]
    assert [(r["user"].pk, r["reason"]) for r in revoked] == [(user.pk, "password_reset")]
    assert lc.calls == [
        ("POST", "/1.1/requestPasswordResetBySmsCode"),
        ("PUT", f"/1.1/resetPasswordBySmsCode/{sms}"),
    ]
    # Nobody is signed in by the reset.
    assert not response.cookies
    assert "_auth_user_id" not in anonymous.session
    _refused(anonymous)
    # Every earlier credential is dead.
    _refused(token_client)
    _refused(session_client)
    assert Token.objects.count() == 0
    assert PhoneProfile.objects.get().lc_session_token == ""
    # The new password works (a new credential, for the same user).
    login = post(APIClient(), "login/", {"phone": PHONE, "password": NEW_PASSWORD})
    assert login.status_code == 200, login.content
    assert login.json()["user"]["id"] == str(user.pk)


@pytest.mark.parametrize("via", ["token", "session"])
def test_t33_a_phone_change_keeps_the_current_credential_and_revokes_the_others(
    via: str, lc: upstream.CountingApp, django_capture_on_commit_callbacks: Any
) -> None:
    """T33 | Phone change (a change of authentication factor) | Every other session and token of
    the user is revoked; the caller keeps going: a session under a new key, a token client
    with the new token the answer carries (the old token, shared by every device, ends too) |
    An old session or token still working (finding 7)."""
    token_client, session_client, user = _two_credentials()
    acting, other = (
        (token_client, session_client) if via == "token" else (session_client, token_client)
    )
    cool_down()
    assert post(acting, "phone/change/sms-code/", {"phone": OTHER}).status_code == 202
    lc.calls.clear()
    with (
        received(signals.credentials_revoked) as revoked,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = post(acting, "phone/change/", {"phone": OTHER, "code": code(OTHER)})
    assert response.status_code == 200, response.content
    assert response.json()["phone"] == OTHER
    assert lc.calls == [("POST", "/1.1/changePhoneNumber")]
    assert [(r["user"].pk, r["reason"]) for r in revoked] == [(user.pk, "phone_changed")]
    if via == "token":
        _refused(acting)  # the token every device shared is gone...
        acting.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    else:
        assert response.json()["token"] is None  # ...a session goes on under its new cookie
    me = acting.get(url("me/"))
    assert me.status_code == 200, me.content
    assert me.json()["phone"] == OTHER
    _refused(other)
    assert Token.objects.count() == (1 if via == "token" else 0)


# --- T34 ------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_t34_no_session_token_carries_over_to_the_next_request_on_a_thread(
    lc: upstream.CountingApp,
) -> None:
    """T34 | Thread reuse: user A's session-bound call (phone change sends `X-LC-Session`), then
    anonymous requests on the same thread | The anonymous upstream calls carry **no**
    `X-LC-Session`; user B's session call carries B's own | User A's session token attached to
    another request."""
    client_a, user_a = signed_in(PHONE, password=PASSWORD)
    client_b, user_b = signed_in(THIRD, password=PASSWORD)
    token_a = PhoneProfile.objects.get(user=user_a).lc_session_token
    token_b = PhoneProfile.objects.get(user=user_b).lc_session_token
    assert token_a
    assert token_b
    assert token_a != token_b
    lc.calls.clear()
    lc.headers.clear()

    def anonymous(n: int) -> APIClient:
        return APIClient(REMOTE_ADDR=ip(n))

    def on_one_thread() -> list[tuple[int, Any]]:
        thread = threading.get_ident()
        answers = [
            (thread, post(client_a, "phone/change/sms-code/", {"phone": OTHER})),
            (thread, post(anonymous(1), "sms-code/", {"phone": "+8613600136000"})),
            (thread, post(anonymous(2), "login/", {"phone": PHONE, "password": PASSWORD})),
            (thread, post(anonymous(3), "login/sms-code/", {"phone": PHONE})),
            (thread, post(anonymous(4), "password-reset/sms-code/", {"phone": THIRD})),
            (thread, post(client_b, "phone/change/sms-code/", {"phone": "+8613500135000"})),
            (thread, post(anonymous(5), "login/", {"phone": THIRD, "password": PASSWORD})),
        ]
        connections.close_all()
        return answers

    worker = threading.Thread(target=lambda: results.extend(on_one_thread()))
    results: list[tuple[int, Any]] = []
    worker.start()
    worker.join(timeout=60)
    assert len({thread for thread, _ in results}) == 1
    statuses = [response.status_code for _, response in results]
    assert statuses == [202, 202, 200, 202, 202, 202, 200], [r.content for _, r in results]
    assert lc.calls == [
        ("POST", "/1.1/requestChangePhoneNumber"),
        ("POST", "/1.1/requestSmsCode"),
        ("POST", "/1.1/login"),
        ("POST", "/1.1/requestLoginSmsCode"),
        ("POST", "/1.1/requestPasswordResetBySmsCode"),
        ("POST", "/1.1/requestChangePhoneNumber"),
        ("POST", "/1.1/login"),
    ]
    sessions = [headers.get("X-Lc-Session") for headers in lc.headers]
    assert sessions == [token_a, None, None, None, None, token_b, None]
    assert all("X-Lc-Sign" in headers for headers in lc.headers)
    # The pooled client keeps no per-user state between calls.
    http = services.provider().client.transport.sender.session  # type: ignore[attr-defined]
    assert not any(name.lower() == "x-lc-session" for name in http.headers)
    assert not http.cookies
