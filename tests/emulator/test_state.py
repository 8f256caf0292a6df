"""The emulator's state: persistence in a SQLite file, atomic requests under concurrency, and
the natural (creation) order of objects."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from django_lc_phone.emulator import Emulator, RunningServer, serve_in_thread
from django_lc_phone.emulator import objects as emulator_objects
from django_lc_phone.emulator import queries as emulator_queries
from django_lc_phone.leancloud.protocol import ProtocolError
from django_lc_phone.leancloud.wire import Code
from django_lc_phone.testing.inprocess import wsgi_session

from ._support import call, sign_up, signed_headers

PHONE = "+8613800138000"
BASE = "http://lc-emulator.test"
THREADS = 20


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    return tmp_path / "lc.db"


def _session(emulator: Emulator) -> requests.Session:
    return wsgi_session(emulator, BASE)


def _post(emulator: Emulator, path: str, body: dict[str, Any], **headers: str) -> Any:
    with _session(emulator) as session:
        answer = session.post(
            BASE + path,
            json=body,
            headers={**signed_headers(emulator), **headers},
            timeout=5,
        )
    return answer


# --- persistence ----------------------------------------------------------------------------


def test_users_codes_and_outbox_persist_in_the_state_file(state_file: Path) -> None:
    first = Emulator(state_path=state_file)
    signup = _post(first, "/1.1/users", {"username": "keeper", "password": "pw-123456"})
    assert signup.status_code == 201
    user = signup.json()
    assert _post(first, "/1.1/requestSmsCode", {"mobilePhoneNumber": PHONE}).status_code == 200
    code = first.last_code(PHONE)
    first.store.close()
    assert state_file.exists()

    second = Emulator(state_path=state_file)
    login = _post(second, "/1.1/login", {"username": "keeper", "password": "pw-123456"})
    assert login.status_code == 200
    assert login.json()["objectId"] == user["objectId"]
    assert login.json()["sessionToken"] == user["sessionToken"]
    assert [m["code"] for m in second.messages(PHONE)] == [code]
    verify = _post(second, f"/1.1/verifySmsCode/{code}", {"mobilePhoneNumber": PHONE})
    assert verify.status_code == 200
    # The send limit persisted too: the number was used less than 10 s ago.
    again = _post(second, "/1.1/requestSmsCode", {"mobilePhoneNumber": PHONE})
    assert again.status_code == 400
    assert again.json()["code"] == 1
    second.store.close()


def test_state_path_accepts_a_string_and_reset_empties_the_file(state_file: Path) -> None:
    first = Emulator(state_path=str(state_file))
    assert _post(first, "/1.1/users", {"username": "u", "password": "p1"}).status_code == 201
    first.reset()
    first.store.close()
    second = Emulator(state_path=state_file)
    assert _post(second, "/1.1/login", {"username": "u", "password": "p1"}).json()["code"] == 211
    second.store.close()


def test_in_memory_emulators_share_nothing() -> None:
    first, second = Emulator(), Emulator()
    assert _post(first, "/1.1/users", {"username": "u", "password": "p1"}).status_code == 201
    assert _post(second, "/1.1/users", {"username": "u", "password": "p1"}).status_code == 201


# --- concurrency ----------------------------------------------------------------------------


def _all_at_once(action: Callable[[], requests.Response]) -> list[requests.Response]:
    """Run ``action`` on THREADS threads released together; every call must get an answer."""
    barrier = threading.Barrier(THREADS)
    answers: list[requests.Response] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run() -> None:
        barrier.wait()
        try:
            answer = action()
        except BaseException as exc:  # collected and re-raised on the main thread
            with lock:
                failures.append(exc)
            return
        with lock:
            answers.append(answer)

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert failures == []
    assert len(answers) == THREADS
    return answers


def test_concurrent_code_requests_for_one_number_send_exactly_one(
    emulator_server: RunningServer,
) -> None:
    answers = _all_at_once(
        lambda: call(emulator_server, "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": PHONE})
    )
    assert Counter(a.status_code for a in answers) == {200: 1, 400: THREADS - 1}
    refused = [a.json() for a in answers if a.status_code == 400]
    assert {r["code"] for r in refused} == {1}
    assert len(emulator_server.emulator.messages()) == 1


def test_concurrent_code_requests_for_different_numbers_all_go_through(
    emulator_server: RunningServer,
) -> None:
    numbers = iter(f"+86138001380{n:02d}" for n in range(THREADS))
    lock = threading.Lock()

    def request() -> requests.Response:
        with lock:
            phone = next(numbers)
        return call(emulator_server, "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": phone})

    answers = _all_at_once(request)
    assert Counter(a.status_code for a in answers) == {200: THREADS}
    assert len({m["mobilePhoneNumber"] for m in emulator_server.emulator.messages()}) == THREADS


def test_concurrent_signups_with_one_username_create_exactly_one(
    emulator_server: RunningServer,
) -> None:
    answers = _all_at_once(
        lambda: call(
            emulator_server, "POST", "/1.1/users", {"username": "same", "password": "pw-123456"}
        )
    )
    assert Counter(a.status_code for a in answers) == {201: 1, 400: THREADS - 1}
    refused = [a.json() for a in answers if a.status_code == 400]
    assert refused == [{"code": 202, "error": "Username has already been taken."}] * (THREADS - 1)
    users = call(emulator_server, "GET", "/1.1/classes/_User", master=True).json()["results"]
    assert [u["username"] for u in users] == ["same"]
    [created] = [a.json() for a in answers if a.status_code == 201]
    assert users[0]["objectId"] == created["objectId"]


@pytest.fixture
def file_server(state_file: Path) -> Iterator[RunningServer]:
    with serve_in_thread(Emulator(state_path=state_file)) as server:
        yield server
    server.emulator.store.close()


def test_concurrency_holds_with_a_state_file(file_server: RunningServer) -> None:
    answers = _all_at_once(
        lambda: call(file_server, "POST", "/1.1/requestSmsCode", {"mobilePhoneNumber": PHONE})
    )
    assert Counter(a.status_code for a in answers) == {200: 1, 400: THREADS - 1}
    assert len(file_server.emulator.messages()) == 1


# --- natural order --------------------------------------------------------------------------


def test_queries_without_order_keep_creation_order_after_updates(
    emulator_server: RunningServer,
) -> None:
    first = sign_up(emulator_server, "first")
    sign_up(emulator_server, "second")
    sign_up(emulator_server, "third")
    updated = call(
        emulator_server,
        "PUT",
        f"/1.1/classes/_User/{first['objectId']}",
        {"gender": "female"},
        session=first["sessionToken"],
    )
    assert updated.status_code == 200
    login = call(
        emulator_server, "POST", "/1.1/login", {"username": "first", "password": "pw-123456"}
    )
    assert login.status_code == 200
    users = call(emulator_server, "GET", "/1.1/classes/_User", master=True).json()["results"]
    assert [u["username"] for u in users] == ["first", "second", "third"]
    post = call(emulator_server, "POST", "/1.1/classes/Post", {"n": 1}).json()
    call(emulator_server, "POST", "/1.1/classes/Post", {"n": 2})
    call(emulator_server, "PUT", f"/1.1/classes/Post/{post['objectId']}", {"n": 3})
    posts = call(emulator_server, "GET", "/1.1/classes/Post").json()["results"]
    assert [p["n"] for p in posts] == [3, 2]


def test_saving_a_taken_unique_value_is_137_and_deletes_nobody(emulator: Emulator) -> None:
    with emulator.store.transaction() as db:
        for object_id, username in (("a" * 24, "taken"), ("b" * 24, "other")):
            user = emulator_objects.new_object(emulator_objects.USER, object_id, 0.0)
            user.update({"username": username, "_sessionToken": object_id})
            emulator_objects.save(db, emulator_objects.USER, user)
    with emulator.store.transaction() as db:
        clash = emulator_objects.load(db, emulator_objects.USER, "b" * 24)
        assert clash is not None
        clash["username"] = "taken"
        with pytest.raises(ProtocolError) as raised:
            emulator_objects.save(db, emulator_objects.USER, clash)
    assert raised.value.code == Code.DUPLICATE_VALUE
    with emulator.store.transaction() as db:
        found = emulator_queries.find(db, emulator_objects.USER, {})
    assert sorted(u["username"] for u in found) == ["other", "taken"]
