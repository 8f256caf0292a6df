"""Compat's ``POST /1.1/login`` by username or email and password, for every local user (an
imported LeanCloud hash too): the answers, the one refusal for every failure, the same hashing
work either way, ``user_login_failed``, and the limits of phone logins."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.signals import user_login_failed
from django.test import Client

from django_lc_phone.guards.limits import remember_validate_token
from django_lc_phone.models import PhoneProfile
from tests.compat._wire import PASSWORD, PHONE, USER_KEYS, assert_error, signup
from tests.compat.conftest import LC
from tests.importer._records import DOC_ENCODED, DOC_PASSWORD

WRONG = "wrong-Password-9"
LEANCLOUD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django_lc_phone.hashers.LeanCloudSHA512PasswordHasher",
]


def make_user(username: str = "alice", email: str = "Alice@Example.com", **extra: Any) -> Any:
    """A site user with a Django password hash and no phone profile (the admin's, say)."""
    return get_user_model().objects.create_user(username, email, PASSWORD, **extra)


def client(n: int) -> LC:
    return LC(Client(REMOTE_ADDR=f"198.51.100.{n}"))


def login(lc: LC, password: str = PASSWORD, **names: Any) -> Any:
    return lc.post("login", {**names, "password": password})


@pytest.mark.parametrize("names", [{"username": "alice"}, {"email": "alice@EXAMPLE.com"}])
def test_a_local_user_logs_in_by_username_or_email(lc: LC, names: dict[str, str]) -> None:
    user = make_user()
    answer = login(lc, **names)
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert set(body) == (USER_KEYS - {"mobilePhoneNumber"}) | {"email"}
    assert (body["username"], body["email"]) == ("alice", "Alice@example.com")
    assert body["mobilePhoneVerified"] is False
    # A user without a profile gets one, with an objectId the SDKs address it by, kept.
    profile = PhoneProfile.objects.get(user=user)
    assert body["objectId"] == profile.lc_object_id
    assert len(profile.lc_object_id or "") == 24
    assert login(lc, username="alice").json()["objectId"] == body["objectId"]
    me = lc.get("users/me", session=body["sessionToken"])
    assert me.status_code == 200
    assert me.json()["objectId"] == body["objectId"]


def test_a_phone_user_logs_in_by_its_username_as_by_its_number(lc: LC) -> None:
    phone_user = signup(lc, password=PASSWORD, username="bob")
    answer = login(lc, username="bob")
    assert answer.status_code == 200, answer.content
    assert answer.json()["objectId"] == phone_user["objectId"]
    assert answer.json()["mobilePhoneNumber"] == PHONE


def test_an_imported_leancloud_hash_signs_in_and_is_rehashed(lc: LC, settings: Any) -> None:
    settings.PASSWORD_HASHERS = LEANCLOUD_HASHERS
    user = get_user_model().objects.create(username="imported", password=DOC_ENCODED)
    assert_error(login(lc, WRONG, username="imported"), 210)
    assert login(lc, DOC_PASSWORD, username="imported").status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("md5$")  # the site's default hasher from now on


def test_the_username_wins_over_an_email_sent_with_it(lc: LC) -> None:
    """The Python SDK's ``login`` sends both and relies on the server ignoring the email."""
    make_user()
    assert login(lc, username="alice", email="nobody@example.com").status_code == 200
    assert_error(login(lc, username="nobody", email="alice@example.com"), 210)


def _refusals() -> Iterator[tuple[str, dict[str, str]]]:
    yield "unknown username", {"username": "ghost"}
    yield "unknown email", {"email": "ghost@example.com"}
    yield "wrong password", {"username": "alice", "password": WRONG}
    yield "wrong password by email", {"email": "alice@example.com", "password": WRONG}
    yield "deactivated", {"username": "carol"}
    yield "no usable password", {"username": "dave"}
    yield "shared email", {"email": "shared@example.com"}
    yield "a NUL", {"username": "al\x00ice"}


@pytest.fixture
def accounts() -> None:
    make_user()
    make_user("carol", "carol@example.com", is_active=False)
    dave = make_user("dave", "dave@example.com")
    dave.set_unusable_password()
    dave.save()
    make_user("erin", "shared@example.com")
    make_user("frank", "SHARED@example.com")


@pytest.mark.usefixtures("accounts")
def test_every_refusal_is_one_answer_after_one_hash(
    lc: LC, monkeypatch: pytest.MonkeyPatch
) -> None:
    """LeanCloud answers 211 for an unknown user, 210 for a wrong password: here every
    refusal is 210, with the same body, after the hasher ran exactly once (counted)."""
    runs: list[str] = []
    encode = MD5PasswordHasher.encode

    def counted(self: MD5PasswordHasher, password: str, salt: str) -> str:
        runs.append(password)
        return encode(self, password, salt)

    monkeypatch.setattr(MD5PasswordHasher, "encode", counted)
    answers = []
    for n, (case, names) in enumerate(_refusals()):
        runs.clear()
        answer = client(n).post("login", {"password": PASSWORD, **names})
        assert len(runs) == 1, case
        answers.append((case, answer.status_code, answer.content))
    assert {(status, content) for _case, status, content in answers} == {
        (400, b'{"code":210,"error":"The username and password mismatch."}')
    }, answers
    runs.clear()
    assert login(client(99), username="alice").status_code == 200
    assert len(runs) == 1  # a success does the same work


def test_a_failed_login_sends_user_login_failed_without_the_password(lc: LC) -> None:
    make_user()
    sent: list[dict[str, Any]] = []

    def receiver(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
        sent.append(credentials)

    user_login_failed.connect(receiver)
    try:
        login(lc, WRONG, username="alice")
        login(lc, WRONG, email="ghost@example.com")
    finally:
        user_login_failed.disconnect(receiver)
    assert [c.get("lc_username") or c.get("lc_email") for c in sent] == [
        "alice",
        "ghost@example.com",
    ]
    assert all(c["password"] != WRONG for c in sent)


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"username": "alice"}, 201),
        ({"username": "alice", "password": "  "}, 218),
        ({"username": 7, "password": PASSWORD}, 217),
        ({"email": ["a@example.com"], "password": PASSWORD}, 125),
        ({"username": "", "email": "", "password": PASSWORD}, 200),
    ],
)
def test_malformed_account_logins(lc: LC, body: dict[str, Any], code: int) -> None:
    make_user()
    assert_error(lc.post("login", body), code)


@pytest.mark.parametrize("target", ["alice", "ghost"])
def test_spellings_of_one_name_share_its_budget(lc: LC, target: str) -> None:
    """Five failures in any spelling (case, width, spaces), known account or not, and the
    client is refused (219) for the name, the right password included."""
    make_user()
    for spelling in (target, target.upper(), f" {target}", target.title(), f"{target}\u3000"):
        assert_error(login(lc, WRONG, username=spelling), 210)
    assert_error(login(lc, username=target), 219)
    if target == "ghost":  # an unknown name's budget is its own
        assert login(lc, username="alice").status_code == 200


def test_username_and_email_are_budgets_of_their_own_per_client(lc: LC) -> None:
    make_user()
    for _ in range(5):
        assert_error(login(lc, WRONG, email="alice@example.com"), 210)
    assert_error(login(lc, email="ALICE@example.com"), 219)


def test_many_names_from_one_client_hit_its_per_minute_cap(lc: LC) -> None:
    make_user()
    for n in range(10):
        assert_error(login(lc, WRONG, username=f"user{n}"), 210)
    assert_error(login(lc, username="alice"), 219)  # ATTEMPTS_PER_IP_MINUTE
    assert login(client(2), username="alice").status_code == 200  # another client is not


def test_many_clients_on_one_name_step_up_to_a_captcha(lc: LC) -> None:
    make_user()
    owner = client(1)
    assert login(owner, username="alice").status_code == 200  # a known device
    for n in range(5):
        assert_error(login(client(10 + n), WRONG, username="alice"), 210)
    newcomer = client(20)
    assert_error(login(newcomer, username="alice"), 608)
    remember_validate_token("solved-token-1")
    body = {"username": "alice", "password": PASSWORD, "validate_token": "solved-token-1"}
    assert newcomer.post("login", body).status_code == 200
    assert login(owner, username="alice").status_code == 200  # the owner is not stepped up


def test_phone_and_name_budgets_do_not_mix(lc: LC) -> None:
    signup(lc, password=PASSWORD, username="bob")
    for _ in range(5):
        assert_error(login(lc, WRONG, username="bob"), 210)
    assert_error(login(lc, username="bob"), 219)
    assert login(lc, mobilePhoneNumber=PHONE).status_code == 200
