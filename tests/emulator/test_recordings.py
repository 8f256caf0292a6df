"""Replay LeanCloud's recorded traffic against a fresh emulator over real HTTP.

``recordings/`` is a copy of ``shared/reference/leancloud-recordings`` (see its README): 111
requests that the JavaScript SDK's test suite sent to the real service in September 2019, with
the answers it got. The 26 files come from one run, so sorting every entry by the timestamp in
its ``X-LC-Sign`` gives the order the service saw them in, and replaying them in that order on
one emulator reproduces the service's state as the suite went (a user created by one file is
found and deleted by the next).

Each request is sent with plain ``requests`` (not our client), re-signed with the emulator's
demo keys (master-signed when the recorded sign ends with ``,master``). Ids and session tokens
differ between the service and the emulator, so a map from recorded to ours is filled from every
answer and applied to paths, ``where`` parameters, bodies and ``X-LC-Session``. The map must stay
one-to-one: a login must answer the objectId and token of the sign-up it follows, and a query
must find the very objects the recording found.

State from before the recording began (an earlier, unrecorded run of the suite) is seeded through
the emulator's own API; see :func:`_seed`. When the emulator disagrees with the recordings, the
recordings win: fix the emulator, not these tests.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest
import requests

from django_lc_phone.emulator import Emulator, RunningServer, serve_in_thread

from ._support import DATE, JSON_CONTENT_TYPE, call, signed_headers

RECORDINGS: Final = Path(__file__).parent / "recordings"
# Server-generated usernames (authData and anonymous sign-ups) are 25 characters of [a-z0-9].
GENERATED_USERNAME: Final = re.compile(r"^[a-z0-9]{25}$")
SEED_PASSWORD: Final = "seeded-password-1"
# X-LC-Session values no recorded answer issued, sent as they are: the literal "0" of the
# outdated-session test, and a token issued by a request of the same run that is not among the
# recordings (between Associations #2 and failOnNotExist #0), which the entries carrying it
# (master-key queries and authData sign-ups) do not depend on.
FOREIGN_SESSIONS: Final = ("0", "amgd01rcacts0bzy236w8vycb")


@dataclass(frozen=True)
class Entry:
    """One recorded request and answer, with its place in the global order."""

    order: int
    file: str
    index: int
    timestamp: int
    request: dict[str, Any]
    response: dict[str, Any]

    @property
    def test_id(self) -> str:
        """``017-User__User-logIn-and-User-become__should-login#3-POST``."""
        name = self.file.removesuffix(".json")
        return f"{self.order:03d}-{name}#{self.index}-{self.request['method']}"


def _load_entries() -> list[Entry]:
    found: list[tuple[int, str, int, dict[str, Any]]] = []
    for path in sorted(RECORDINGS.glob("*.json")):
        for index, item in enumerate(json.loads(path.read_text(encoding="utf-8"))["entries"]):
            timestamp = int(item["request"]["headers"]["x-lc-sign"].split(",")[1])
            found.append((timestamp, path.name, index, item))
    found.sort(key=lambda row: row[0])
    return [
        Entry(order, name, index, timestamp, item["request"], item["response"])
        for order, (timestamp, name, index, item) in enumerate(found)
    ]


ENTRIES: Final = _load_entries()


def _entry(file_prefix: str, index: int) -> Entry:
    [entry] = [e for e in ENTRIES if e.file.startswith(file_prefix) and e.index == index]
    return entry


# The entries that need state from before the recording began.
ALL_USERS: Final = _entry("Queries__All-User__should-return-AV-User-Object-list", 0)
FEMALE_USERS: Final = _entry("User__existing-user__User-query__should-return-conditoinal", 4)
IMAUSER_QUERY: Final = _entry("User__currentUser-disabled__User", 1)
TEST_AUTHDATA_LOGIN: Final = _entry("User__associate-with-authData__logIn-an-user", 1)
TEST_ROLE_QUERY: Final = _entry("User__User-getRoles__Should-get-the-current-user-s-role", 2)


# --- recorded ids and tokens to ours ---------------------------------------------------------


@dataclass
class IdMap:
    """Recorded objectIds and session tokens to the emulator's, kept one-to-one."""

    ours: dict[str, str] = field(default_factory=dict)
    recorded: dict[str, str] = field(default_factory=dict)

    def add(self, recorded: str, ours: str) -> str | None:
        """Map ``recorded`` to ``ours``; a description of the clash if that breaks the map."""
        known = self.ours.get(recorded)
        if known is not None and known != ours:
            return f"recorded {recorded} was our {known}, now our {ours}"
        back = self.recorded.get(ours)
        if back is not None and back != recorded:
            return f"our {ours} stands for recorded {back} and {recorded}"
        self.ours[recorded], self.recorded[ours] = ours, recorded
        return None

    def learn(self, recorded: Any, ours: Any) -> list[str]:
        """Walk a recorded answer beside ours and map every objectId and sessionToken."""
        clashes: list[str] = []
        if isinstance(recorded, dict) and isinstance(ours, dict):
            for key, value in recorded.items():
                mine = ours.get(key)
                if key in ("objectId", "sessionToken"):
                    if isinstance(value, str) and isinstance(mine, str):
                        clash = self.add(value, mine)
                        clashes += [clash] if clash else []
                else:
                    clashes += self.learn(value, mine)
        elif isinstance(recorded, list) and isinstance(ours, list):
            for value, mine in zip(recorded, ours, strict=False):
                clashes += self.learn(value, mine)
        return clashes

    def translate(self, value: Any) -> Any:
        """A recorded request value with recorded ids and tokens replaced by ours."""
        if isinstance(value, str):
            return self.ours.get(value, value)
        if isinstance(value, dict):
            return {k: self.translate(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.translate(v) for v in value]
        return value

    def translate_path(self, path: str) -> str:
        return "/".join(self.translate(part) for part in path.split("/"))

    def translate_query(self, query: dict[str, list[str]]) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, values in query.items():
            if name == "where":
                values = [
                    json.dumps(self.translate(json.loads(v)), separators=(",", ":")) for v in values
                ]
            out[name] = [self.translate(v) for v in values]
        return out


# --- seeding the state the recording started from -----------------------------------------


def _seed_user(server: RunningServer, ids: IdMap, recorded: dict[str, Any]) -> None:
    """Create a user with exactly the public fields of a recorded one (master key)."""
    defaults = ("objectId", "createdAt", "updatedAt", "emailVerified", "mobilePhoneVerified")
    body = {k: v for k, v in recorded.items() if k not in defaults}
    assert recorded["emailVerified"] is False
    assert recorded["mobilePhoneVerified"] is False
    if not isinstance(body.get("authData"), dict):  # an authData sign-up needs no password
        body["password"] = SEED_PASSWORD
    response = call(server, "POST", "/1.1/users", body, master=True)
    assert response.status_code == 201, response.text
    assert ids.add(recorded["objectId"], response.json()["objectId"]) is None


def _seed(server: RunningServer, ids: IdMap) -> None:
    """Recreate what an earlier, unrecorded run of the suite had left in the real app.

    Each seeded object's recorded objectId is mapped to ours up front, so the replay also checks
    that the recorded queries find exactly the seeded objects, in the recorded order.
    """
    all_users = ALL_USERS.response["body"]["results"]
    # Seed 1, for ALL_USERS (Queries__All-User #0: GET /1.1/classes/_User?where={}, no limit):
    # it answers 100 users because LeanCloud's default limit is 100 and the app held more. Its
    # 100 users are created first, in the recorded order, so that they are the emulator's first
    # 100 rows (a query without ``order`` answers in creation order) and come back in that order
    # with their recorded key sets: 57 with ``"authData": null`` (old rows), one authData
    # sign-up (weixin, no email or password) and 42 without authData.
    assert len(all_users) == 100
    for user in all_users:
        _seed_user(server, ids, user)
    # Seed 2, for FEMALE_USERS (User-query #4: GET /1.1/classes/_User?where={"gender":"female"},
    # no limit): it answers 100 users, the 30 female users of ALL_USERS first (in the same
    # relative order) and then 70 others, which are created next in the recorded order. The
    # replay itself creates one more female user (tester1, entry #3 of the same file) just
    # before the query; as the 101st she stays out of the answer, as she did on the service.
    known = {user["objectId"] for user in all_users}
    female = FEMALE_USERS.response["body"]["results"]
    assert [u["objectId"] for u in female[:30]] == [
        u["objectId"] for u in all_users if u.get("gender") == "female"
    ]
    for user in female:
        if user["objectId"] not in known:
            _seed_user(server, ids, user)
    # Seed 3, for IMAUSER_QUERY (currentUser-disabled #1: GET where {"username":"imauser"}): it
    # finds one user (email, no gender) and #2 deletes it before #3 signs it up again (201).
    [imauser] = IMAUSER_QUERY.response["body"]["results"]
    _seed_user(server, ids, imauser)
    # Seed 4, for TEST_AUTHDATA_LOGIN (associate-with-authData #1: POST /1.1/users with
    # authData "test"): it answers 200, the login of a user linked earlier, so that user is
    # created here by the same authData sign-up (201, a generated username). #2 and #3 then
    # update it and refreshSessionToken #1 rotates its token.
    auth_data = TEST_AUTHDATA_LOGIN.request["body"]["authData"]
    response = call(server, "POST", "/1.1/users", {"authData": auth_data}, master=True)
    assert response.status_code == 201, response.text
    recorded_id = TEST_AUTHDATA_LOGIN.response["body"]["objectId"]
    assert ids.add(recorded_id, response.json()["objectId"]) is None
    # Seed 5, for TEST_ROLE_QUERY (getRoles #2: GET /1.1/classes/_Role?where={"name":"testRole"}
    # with the app key): it finds one role (name plus the users and roles relations every
    # _Role has) that #3 deletes before #4 creates it again. A role needs an ACL on LeanCloud.
    [role] = TEST_ROLE_QUERY.response["body"]["results"]
    body = {"name": role["name"], "ACL": {"*": {"read": True}}}
    response = call(server, "POST", "/1.1/classes/_Role", body, master=True)
    assert response.status_code == 201, response.text
    assert ids.add(role["objectId"], response.json()["objectId"]) is None


# --- the replay ---------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the emulator answered to one replayed entry."""

    status: int
    content_type: str | None
    body: Any
    clashes: list[str]
    unknown_session: str | None


@dataclass
class Replay:
    outcomes: dict[int, Outcome]
    ids: IdMap


def _replay(server: RunningServer) -> Replay:
    ids = IdMap()
    _seed(server, ids)
    outcomes: dict[int, Outcome] = {}
    for entry in ENTRIES:
        request = entry.request
        recorded_headers = request["headers"]
        master = recorded_headers["x-lc-sign"].endswith(",master")
        headers = signed_headers(server.emulator, master=master)
        headers["X-LC-Prod"] = recorded_headers["x-lc-prod"]
        unknown_session = None
        if "x-lc-session" in recorded_headers:
            recorded_session = recorded_headers["x-lc-session"]
            session = ids.ours.get(recorded_session)
            if session is None:
                unknown_session, session = recorded_session, recorded_session
            headers["X-LC-Session"] = session
        response = requests.request(
            request["method"],
            server.url + ids.translate_path(request["path"]),
            params=ids.translate_query(request["query"]),
            # The JS SDK sent a JSON body on every call, the literal null on GETs [S23].
            data=json.dumps(ids.translate(request["body"])),
            headers=headers,
            timeout=10,
        )
        body = response.json()
        outcomes[entry.order] = Outcome(
            status=response.status_code,
            content_type=response.headers.get("Content-Type"),
            body=body,
            clashes=ids.learn(entry.response["body"], body),
            unknown_session=unknown_session,
        )
    return Replay(outcomes, ids)


@pytest.fixture(scope="module")
def replay() -> Iterator[Replay]:
    """Every recorded entry replayed once, in the global order, on a fresh HTTP emulator."""
    with serve_in_thread(Emulator()) as server:
        yield _replay(server)


# --- the recordings themselves --------------------------------------------------------------


def test_recordings_form_one_run_in_one_order() -> None:
    assert len({e.file for e in ENTRIES}) == 26
    assert len(ENTRIES) == 111
    assert len({e.timestamp for e in ENTRIES}) == len(ENTRIES)
    for name in {e.file for e in ENTRIES}:  # the global order keeps each file's own order
        indexes = [e.index for e in ENTRIES if e.file == name]
        assert indexes == sorted(indexes), name


# --- every entry ----------------------------------------------------------------------------


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.test_id for e in ENTRIES])
def test_replayed_entry_matches_recording(entry: Entry, replay: Replay) -> None:
    outcome = replay.outcomes[entry.order]
    recorded = entry.response
    assert outcome.status == recorded["status"], outcome.body
    assert outcome.content_type == recorded["content_type"] == JSON_CONTENT_TYPE
    assert outcome.clashes == []
    assert outcome.unknown_session in (None, *FOREIGN_SESSIONS)
    expected, body = recorded["body"], outcome.body
    if "results" in expected:
        assert set(body) == set(expected)
        assert len(body["results"]) == len(expected["results"])
        for position, (ours, theirs) in enumerate(
            zip(body["results"], expected["results"], strict=True)
        ):
            assert set(ours) == set(theirs), f"result {position}"
    elif "error" in expected:
        assert body == {"code": expected["code"], "error": expected["error"]}
    else:
        assert set(body) == set(expected)


def _comparable(recorded: Any, ours: Any, ids: IdMap) -> tuple[Any, Any]:
    """Both answers with recorded ids mapped, and dates and generated usernames as shapes."""
    if isinstance(recorded, dict) and isinstance(ours, dict):
        pairs = {k: _comparable(v, ours.get(k), ids) for k, v in recorded.items()}
        mine = {k: pairs[k][1] if k in pairs else v for k, v in ours.items()}
        return {k: pair[0] for k, pair in pairs.items()}, mine
    if isinstance(recorded, list) and isinstance(ours, list):
        pairs_list = [_comparable(r, o, ids) for r, o in zip(recorded, ours, strict=False)]
        return [p[0] for p in pairs_list], [p[1] for p in pairs_list] + ours[len(recorded) :]
    if isinstance(recorded, str) and isinstance(ours, str):
        for shape, name in ((DATE, "<date>"), (GENERATED_USERNAME, "<generated>")):
            if shape.fullmatch(recorded) and recorded not in ids.ours:
                return name, name if shape.fullmatch(ours) else ours
    return ids.translate(recorded), ours


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.test_id for e in ENTRIES])
def test_replayed_entry_values_match_recording(entry: Entry, replay: Replay) -> None:
    """Beyond key sets: every value agrees once ids, tokens, dates and generated names map."""
    expected, actual = _comparable(
        entry.response["body"], replay.outcomes[entry.order].body, replay.ids
    )
    assert actual == expected
