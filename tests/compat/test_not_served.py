"""Paths compat does not serve, and methods its paths do not take: LeanCloud's JSON 404."""

from __future__ import annotations

import pytest

from django_lc_phone.leancloud.wire import JSON_CONTENT_TYPE, MESSAGE_NOT_FOUND
from tests.compat.conftest import LC

NOT_FOUND = {"code": 1, "error": MESSAGE_NOT_FOUND}


def _is_leancloud_error(response: object) -> None:
    """What an SDK needs to raise its LeanCloudError: JSON with a numeric ``code``."""
    assert response.status_code == 404, response.content  # type: ignore[attr-defined]
    assert response["Content-Type"] == JSON_CONTENT_TYPE  # type: ignore[index]
    body = response.json()  # type: ignore[attr-defined]
    assert body == NOT_FOUND
    assert isinstance(body["code"], int)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "classes/Post"),
        ("POST", "classes/Post"),
        ("GET", "classes/Post/5f0c1e2d3a4b5c6d7e8f9012"),
        ("POST", "files/avatar.png"),
        ("POST", "functions/hello"),
        ("POST", "call/hello"),
        ("GET", "scan/classes/_User"),
        ("POST", "batch"),
        ("POST", "date"),  # GET is served (views/startup.py)
        ("GET", "nosuch/deep/path/"),
        ("DELETE", "classes/_User"),
    ],
)
def test_paths_compat_does_not_serve_answer_leancloud_json(lc: LC, method: str, path: str) -> None:
    _is_leancloud_error(lc.call(method, path, {"a": 1}))


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "requestSmsCode"),
        ("PUT", "login"),
        ("GET", "usersByMobilePhone/"),
        ("POST", "resetPasswordBySmsCode/123456"),
        ("PUT", "changePhoneNumber"),
        ("DELETE", "requestCaptcha"),
    ],
)
def test_a_wrong_method_on_a_served_path_answers_as_an_unknown_path(
    lc: LC, method: str, path: str
) -> None:
    """LeanCloud routes by method and path: a wrong method is a path it lacks (404, code 1)."""
    _is_leancloud_error(lc.call(method, path, {"mobilePhoneNumber": "+8613800138000"}))


def test_unsigned_calls_to_unknown_paths_answer_the_same(lc: LC) -> None:
    """Nothing is read, so nothing is authenticated: the answer is the same with no key."""
    _is_leancloud_error(lc.call("GET", "classes/Post", headers={}))


def test_a_preflight_on_an_unknown_path_is_answered_as_on_the_served_ones(lc: LC) -> None:
    answer = lc.call("OPTIONS", "classes/Post", headers={})
    assert answer.status_code == 200
    assert "X-LC-Session" in answer["Access-Control-Allow-Headers"]


def test_paths_outside_1_1_are_left_to_the_site(lc: LC) -> None:
    """Only /1.1/ is LeanCloud's: the site's own 404 stays the site's."""
    answer = lc.client.get("/nosuch/")
    assert answer.status_code == 404
    assert not answer["Content-Type"].startswith("application/json")
