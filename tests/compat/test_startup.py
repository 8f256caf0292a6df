"""What SDKs call beside the phone flows (``compat/views/startup.py``): ``GET /1.1/date``, the
old iOS analytics' ``sendPolicy`` and ``stats/collect``: shape, status, keys, nothing kept."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from django_lc_phone.leancloud.wire import Code, format_timestamp, parse_date
from tests.compat._wire import ISO, PHONE, assert_error, signup
from tests.compat.conftest import APP_ID, LC, key_headers
from tests.limiter import FakeClock

POLICY = f"statistics/apps/{APP_ID}/sendPolicy"
# What the iOS SDK before 13.0 uploads (AVAnalyticsImpl.m): sessions, events, device info.
UPLOAD = {
    "events": {"terminate": {"sessionId": "s1", "duration": 12}, "event": []},
    "device": {"os": "iOS", "sdk_version": "v12.3.0"},
}


def test_the_server_date_is_a_leancloud_date_of_the_limits_clock(
    lc: LC, limiter_clock: FakeClock
) -> None:
    """``{"__type": "Date", "iso": ...}`` [S3], from the clock X-LC-Sign is checked against
    (moved here by an hour: the machine's clock would be an hour off)."""
    limiter_clock.advance(3600)
    answer = lc.get("date")
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/json;charset=utf-8"
    body = answer.json()
    assert set(body) == {"__type", "iso"}
    assert body["__type"] == "Date"
    assert ISO.fullmatch(body["iso"])
    assert body["iso"] == format_timestamp(limiter_clock.now)
    assert abs(parse_date(body["iso"]).timestamp() - limiter_clock.now) < 0.001


def test_the_server_date_takes_a_plain_key_and_a_trailing_slash(lc: LC) -> None:
    """``X-LC-Key`` as well as ``X-LC-Sign``, and ``/1.1/date/`` in place."""
    assert lc.get("date", headers=key_headers()).json()["__type"] == "Date"
    assert lc.get("date/").json()["__type"] == "Date"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [("GET", "date", None), ("GET", POLICY, None), ("POST", "stats/collect", UPLOAD)],
)
def test_every_startup_call_needs_the_apps_keys(method: str, path: str, body: Any, lc: LC) -> None:
    """No keys, or another app's, is 401 as for every compat call: the site answers its own
    apps only, and says nothing (not even its time) to anybody else."""
    assert_error(lc.call(method, path, body, headers={}), Code.UNAUTHORIZED)
    wrong = key_headers(key="not-the-app-key")
    assert_error(lc.call(method, path, body, headers=wrong), Code.UNAUTHORIZED)


@pytest.mark.parametrize("path", ["date", POLICY])
def test_the_gets_refuse_other_methods(path: str, lc: LC) -> None:
    """A POST to a GET endpoint is a LeanCloud-shaped 404, and a CORS preflight is answered."""
    assert_error(lc.post(path, {}), Code.INTERNAL, 404)
    assert lc.call("OPTIONS", path).status_code == 200


def test_the_analytics_policy_turns_reporting_off(lc: LC) -> None:
    """``{"enable": false}``: the iOS SDK before 13.0 stores it and collects nothing at later
    launches; any app id in the path (the keys decide)."""
    for path in (POLICY, "statistics/apps/someOtherAppId/sendPolicy"):
        answer = lc.get(path)
        assert answer.status_code == 200
        assert answer.json() == {"enable": False}


def test_an_analytics_upload_is_a_success_and_is_dropped(
    lc: LC, caplog: pytest.LogCaptureFixture
) -> None:
    """``{}`` (200, so the SDK deletes its queued copy), nothing stored, nothing logged."""
    signup(lc)
    users = get_user_model().objects.count()
    with caplog.at_level(logging.DEBUG):
        answer = lc.post("stats/collect", {**UPLOAD, "phone": PHONE})
    assert answer.status_code == 200
    assert answer.json() == {}
    assert get_user_model().objects.count() == users
    assert "s1" not in caplog.text
    assert PHONE not in caplog.text
    assert PHONE[-8:] not in caplog.text


def test_a_bad_analytics_upload_is_a_stable_error(lc: LC) -> None:
    """A body that is not a JSON object is 107, as on every compat endpoint, never a 500;
    the GET of an upload is 404."""
    assert_error(lc.post("stats/collect", raw="[1, 2"), Code.INVALID_JSON, 400)
    assert_error(lc.get("stats/collect"), Code.INTERNAL, 404)


def test_the_session_token_is_not_echoed(lc: LC) -> None:
    """A signed-in client's ``X-LC-Session`` reaches none of these answers."""
    token = str(signup(lc)["sessionToken"])
    for method, path in (("GET", "date"), ("GET", POLICY), ("POST", "stats/collect")):
        answer = lc.call(method, path, {} if method == "POST" else None, session=token)
        assert answer.status_code == 200
        assert token not in answer.content.decode()
        assert all(token not in value for value in answer.headers.values())
