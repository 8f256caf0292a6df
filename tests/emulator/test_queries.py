"""The emulator's query answers that a delta import relies on: Date comparisons on updatedAt,
ordering by updatedAt then objectId, skip, and LeanCloud's rule for a limit out of range."""

from __future__ import annotations

from typing import Any

from django_lc_phone.emulator import Emulator
from django_lc_phone.emulator import objects as emulator_objects
from django_lc_phone.emulator.queries import matches
from django_lc_phone.leancloud import LeanCloudClient
from django_lc_phone.leancloud.wire import API_PREFIX, parse_date
from django_lc_phone.testing.inprocess import wsgi_session
from tests.conftest import INPROCESS_URL

from ._support import signed_headers


def _date(iso: str) -> dict[str, str]:
    return {"__type": "Date", "iso": iso}


def _user(emulator: Emulator, n: int, updated: str) -> None:
    moment = parse_date(updated).timestamp()
    with emulator.store.transaction() as db:
        obj = emulator_objects.new_object(emulator_objects.USER, f"{n:024x}", moment)
        obj["username"] = f"u{n}"
        emulator_objects.save(db, emulator_objects.USER, obj)


def test_dates_compare_as_moments_whatever_their_precision() -> None:
    obj: dict[str, Any] = {"objectId": "a" * 24, "updatedAt": 1764547200.0}  # 2025-12-01T00:00Z
    assert matches(obj, {"updatedAt": {"$gte": _date("2025-12-01T00:00:00Z")}})
    assert matches(obj, {"updatedAt": {"$lte": _date("2025-12-01T00:00:00Z")}})
    assert matches(obj, {"updatedAt": _date("2025-12-01T00:00:00Z")})
    assert not matches(obj, {"updatedAt": {"$gt": _date("2025-12-01T00:00:00Z")}})
    assert matches(obj, {"updatedAt": {"$lt": _date("2025-12-01T00:00:00.001Z")}})
    assert not matches(obj, {"updatedAt": {"$gte": _date("2025-12-01T00:00:00.001Z")}})


def test_a_delta_page_is_ordered_by_updated_at_then_object_id(
    emulator: Emulator, inprocess_client: LeanCloudClient
) -> None:
    _user(emulator, 3, "2026-12-01T00:00:02.000Z")
    _user(emulator, 2, "2026-12-01T00:00:01.000Z")
    _user(emulator, 1, "2026-12-01T00:00:02.000Z")
    _user(emulator, 4, "2026-12-01T00:00:00.500Z")
    where = {"updatedAt": {"$gte": _date("2026-12-01T00:00:01.000Z")}}

    page = inprocess_client.query_users(where=where, order="updatedAt,objectId", limit=1000)
    second = inprocess_client.query_users(where=where, order="updatedAt,objectId", limit=1, skip=2)

    assert [u["username"] for u in page] == ["u2", "u1", "u3"]
    assert [u["username"] for u in second] == ["u3"]
    assert all("sessionToken" not in u and "password" not in u for u in page)


def test_a_limit_out_of_range_is_the_default_hundred(emulator: Emulator) -> None:
    for n in range(1, 106):
        _user(emulator, n, "2026-12-01T00:00:00.000Z")
    session = wsgi_session(emulator, INPROCESS_URL)
    headers = signed_headers(emulator, master=True)

    def count(limit: str) -> int:
        response = session.get(
            f"{INPROCESS_URL}{API_PREFIX}/classes/_User",
            params={"limit": limit},
            headers=headers,
        )
        assert response.status_code == 200
        return len(response.json()["results"])

    assert count("1001") == 100  # LeanCloud: anything outside 1..1000 becomes 100 [S3]
    assert count("-1") == 100
    assert count("1000") == 105
    assert count("3") == 3
