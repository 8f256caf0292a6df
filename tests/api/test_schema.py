"""The OpenAPI 3 schema (drf-spectacular) documents every endpoint, body, answer and error."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import URLPattern
from drf_spectacular.management.commands.spectacular import Command as SpectacularCommand
from rest_framework.test import APIClient

from django_lc_phone.api import urls as api_urls
from tests import upstream
from tests.app._api import BASE, ENDPOINTS

ERROR_REF = "#/components/schemas/Error"
ERROR_STATUSES = ("400", "401", "409", "429", "502", "503", "504")

# path -> (method, request component or None, success status, success component or None)
EXPECTED: dict[str, tuple[str, str | None, str, str | None]] = {
    "sms-code/": ("post", "SmsCodeRequest", "202", "Message"),
    "sms-code/verify/": ("post", "PhoneCode", "200", "Message"),
    "signup/": ("post", "Signup", "201", "AuthResponse"),
    "login/sms-code/": ("post", "Phone", "202", "Message"),
    "login/": ("post", "Login", "200", "AuthResponse"),
    "password-reset/sms-code/": ("post", "Phone", "202", "Message"),
    "password-reset/": ("post", "PasswordReset", "200", "Message"),
    "password/change/": ("post", "PasswordChange", "200", "PasswordChanged"),
    "phone/verify/sms-code/": ("post", "ValidateTokenRequest", "202", "Message"),
    "phone/verify/": ("post", "Code", "200", "User"),
    "phone/change/sms-code/": ("post", "Phone", "202", "Message"),
    "phone/change/": ("post", "PhoneCode", "200", "PhoneChanged"),
    "captcha/": ("get", None, "200", "Captcha"),
    "captcha/verify/": ("post", "CaptchaVerify", "200", "ValidateToken"),
    "me/": ("get", None, "200", "User"),
    "logout/": ("post", None, "204", None),
}
# component -> (properties, required)
REQUESTS: dict[str, tuple[set[str], set[str]]] = {
    "SmsCodeRequest": ({"phone", "sms_type", "template", "variables", "validate_token"}, {"phone"}),
    # validate_token: a solved CAPTCHA, which a number under attack asks of new clients.
    "PhoneCode": ({"phone", "code", "validate_token"}, {"phone", "code"}),
    "Signup": ({"phone", "code", "username", "password", "validate_token"}, {"phone", "code"}),
    "Phone": ({"phone", "validate_token"}, {"phone"}),
    "Login": ({"phone", "code", "password", "validate_token"}, {"phone"}),
    "PasswordReset": (
        {"phone", "code", "password", "validate_token"},
        {"phone", "code", "password"},
    ),
    "PasswordChange": (
        {"old_password", "new_password", "validate_token"},
        {"old_password", "new_password"},
    ),
    "ValidateTokenRequest": ({"validate_token"}, set()),
    "Code": ({"code", "validate_token"}, {"code"}),
    # The image's token and code, or a vendor widget's response (and Tencent's randstr): each
    # optional, the serializer asks for one pair or the other.
    "CaptchaVerify": (
        {"captcha_token", "captcha_code", "captcha_response", "captcha_randstr"},
        set(),
    ),
}


@pytest.fixture
def schema(api: APIClient, lc: upstream.CountingApp) -> dict[str, Any]:
    response = api.get("/api/schema/?format=json")
    assert response.status_code == 200
    assert lc.calls == []
    document: dict[str, Any] = json.loads(response.content)
    return document


def _ref(content: dict[str, Any]) -> str:
    ref: str = content["application/json"]["schema"]["$ref"]
    return ref.removeprefix("#/components/schemas/")


def test_the_expectations_cover_every_url() -> None:
    routes = [str(p.pattern) for p in api_urls.urlpatterns if isinstance(p, URLPattern)]
    assert sorted(routes) == sorted(EXPECTED) == sorted(path for path, _, _ in ENDPOINTS)


def test_every_endpoint_is_documented_with_its_method(schema: dict[str, Any]) -> None:
    assert schema["openapi"].startswith("3.")
    documented = {
        p.removeprefix(BASE): ops for p, ops in schema["paths"].items() if p.startswith(BASE)
    }
    assert set(documented) == set(EXPECTED)
    for path, (method, *_rest) in EXPECTED.items():
        assert set(documented[path]) == {method}, path


@pytest.mark.parametrize("path", list(EXPECTED))
def test_request_and_success_bodies(schema: dict[str, Any], path: str) -> None:
    method, request, ok, answer = EXPECTED[path]
    operation = schema["paths"][BASE + path][method]
    if request is None:
        assert "requestBody" not in operation
    else:
        body = operation["requestBody"]
        assert set(body["content"]) == {"application/json"}  # JSON in, nothing else
        assert _ref(body["content"]) == request
        assert body.get("required", False) is bool(REQUESTS[request][1])
    successes = [code for code in operation["responses"] if code.startswith("2")]
    # signup/ is 201 for a new account, 200 for an existing one: both documented.
    assert successes == ([ok, "200"] if path == "signup/" else [ok])
    if answer is None:
        assert "content" not in operation["responses"][ok]
    else:
        assert _ref(operation["responses"][ok]["content"]) == answer


@pytest.mark.parametrize("path", list(EXPECTED))
def test_every_error_is_documented_with_the_error_component(
    schema: dict[str, Any], path: str
) -> None:
    method, request, _, _ = EXPECTED[path]
    responses = schema["paths"][BASE + path][method]["responses"]
    errors = {code for code in responses if not code.startswith("2")}
    assert errors == set(ERROR_STATUSES) | ({"413", "415"} if request else set())
    for code in errors:
        assert responses[code]["content"]["application/json"]["schema"]["$ref"] == ERROR_REF
        assert responses[code]["description"], code
    for code in ("429", "503"):
        assert set(responses[code]["headers"]) == {"Retry-After"}


def test_signed_in_endpoints_need_credentials(schema: dict[str, Any]) -> None:
    for path, method, signed_in in ENDPOINTS:
        security = schema["paths"][BASE + path][method]["security"]
        assert ({} in security) is not signed_in, path


def test_request_components(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    for name, (properties, required) in REQUESTS.items():
        assert set(components[name]["properties"]) == properties, name
        assert set(components[name].get("required", [])) == required, name
    sms_type = components["SmsCodeRequest"]["properties"]["sms_type"]
    assert components[sms_type["allOf"][0]["$ref"].rsplit("/", 1)[1]]["enum"] == ["sms", "voice"]


def test_answer_components(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]
    error = components["Error"]
    assert set(error["properties"]) == {"code", "detail", "errors"}
    assert set(error["required"]) == {"code", "detail"}
    user = components["User"]
    assert set(user["properties"]) == {"id", "username", "phone", "phone_verified", "lc_object_id"}
    assert set(user["required"]) == set(user["properties"])
    auth = components["AuthResponse"]
    assert set(auth["properties"]) == {"token", "refresh", "user", "created"}
    assert set(auth["required"]) == {"token", "user", "created"}
    assert auth["properties"]["token"]["nullable"] is True
    assert set(components["Message"]["required"]) == {"code", "detail"}
    captcha = components["Captcha"]
    assert set(captcha["properties"]) == {
        "verifier",
        "captcha_token",
        "captcha_url",
        "site_key",
        "action",
    }
    assert set(captcha["required"]) == {"verifier"}  # the rest depends on which it is


def test_the_schema_holds_no_secret_field(schema: dict[str, Any]) -> None:
    text = json.dumps(schema).lower()
    for word in ("sessiontoken", "session_token", "master", "app_key", "appkey"):
        assert word not in text, word
    components = schema["components"]["schemas"]
    for name in ("Signup", "Login", "PasswordReset"):
        assert components[name]["properties"]["password"]["writeOnly"] is True


def test_spectacular_validates_without_warnings(lc: upstream.CountingApp) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        SpectacularCommand(),
        "--validate",
        "--fail-on-warn",
        "--format",
        "openapi-json",
        stdout=out,
        stderr=err,
    )
    assert err.getvalue() == ""
    assert set(json.loads(out.getvalue())["paths"]) >= {BASE + path for path in EXPECTED}
