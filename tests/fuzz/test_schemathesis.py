"""Schemathesis fuzzes every operation of the phone API's OpenAPI schema, in-process over WSGI.

Four passes over the schema drf-spectacular generates (the one ``api/schema/`` serves),
derandomized with a fixed seed, each case in positive or negative mode:

- ``test_fuzz_without_limits``: every rate limit off, ours (``LC_PHONE``) and LeanCloud's (the
  emulator's), so the checks see the API's behaviour, not its throttling; Schemathesis's
  coverage phase (boundary and schema-violating cases derived from the schema), then its
  fuzzing phase;
- ``test_fuzz_with_default_limits``: a smaller pass, fuzzing alone, with the default limits,
  where a documented 429 is an acceptable answer;
- ``test_fuzz_slashless_paths``: fuzzing alone, limits off, over the same schema with every
  path's trailing slash taken off (``/auth/phone/login``), which the API answers in place;
- ``test_fuzz_deep_nesting``: limits off, every operation that takes a body, each generated
  body sent with one of its values nested thousands of levels down (:data:`NESTING`: 5,000
  arrays, 1,666 objects, or 2,500 of the two in turn): the answer must also be 400
  ``parse_error`` (:func:`deep_json_is_a_parse_error`).

Each operation starts from an empty emulator and empty limits, with one signed-up user and a
code requested for each purpose; the endpoints that need a signed-in user get that user's DRF
token (a new one after ``logout/`` revoked it). In the first pass the limits' store (the Django
cache, which also holds the circuit breaker's state) is emptied before every case; the emulator
is not reset between cases, which would delete the user, but its limits are off.

Console test numbers have a fixed code, and generated bodies draw ``phone``, ``code``,
``password`` and ``template`` from small dictionaries part of the time, so that positive cases
reach the success paths and negative cases get past a valid phone number to the field they
break.

A request that fails one of :data:`CHECKS` is recorded, not raised, so that one run finds every
distinct failure instead of stopping at the first. The last two tests of the module print the
figures (also in pytest's terminal summary, see ``conftest.py``), assert that at least
:data:`MIN_REQUESTS` requests reached the app, and fail with each distinct failure and a curl
command that reproduces it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Final

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from django_lc_phone.conf import RATE_LIMIT_KEYS
from django_lc_phone.emulator.config import SmsLimits
from tests import upstream
from tests.limiter import clear_limits

SEED: Final = 20251126
# Over both passes, at least this many requests reach the app.
MIN_REQUESTS: Final = 1000
# Fuzzing-phase cases per operation: in the first pass on top of the coverage phase's (about
# 40 per operation); the second pass is fuzzing alone.
MAX_EXAMPLES: Final = 40
MAX_EXAMPLES_WITH_LIMITS: Final = 25
MAX_EXAMPLES_SLASHLESS: Final = 15
MAX_EXAMPLES_DEEP: Final = 10
# The deep-nesting pass's brackets per body, about 10 KB (under MAX_BODY_BYTES, 16 KiB): 1,250
# to 5,000 levels, far past jsondepth.MAX_JSON_DEPTH and past the depth at which json raised
# RecursionError.
NESTING: Final = 10_000

CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    negative_data_rejection,
]
# Every rate limit of LC_PHONE, off for the first pass.
NO_LIMITS: Final[dict[str, Any]] = dict.fromkeys(RATE_LIMIT_KEYS)
# LeanCloud's per-number SMS limits, off in the emulator for the first pass.
UPSTREAM_NO_LIMITS: Final = SmsLimits(
    resend_interval=0,
    signature_interval=0,
    verification_per_day=10**9,
    notification_per_day=10**9,
    voice_interval=0,
    voice_per_hour=10**9,
    voice_per_day=10**9,
)

BASE: Final = "/auth/phone/"
# The Host header pytest-django allows.
BASE_URL: Final = "http://testserver"
# Console test numbers (China, the test settings' DEFAULT_REGION) whose codes are always CODE.
CODE: Final = "123456"
USER_PHONE: Final = "+8613800138000"  # the signed-up user's
NEW_PHONE: Final = "+8613900139000"  # nobody's, until a case signs up with it
USER_PASSWORD: Final = "fuzz-Password-1"
# Valid values the coverage phase builds its cases around (the schema documents no examples).
EXAMPLES: Final = {
    "phone": USER_PHONE,
    "code": CODE,
    "password": USER_PASSWORD,
    "captcha_token": "abcd1234",
}
# Values the fuzzing phase draws some of the time, instead of arbitrary strings.
DICTIONARIES: Final = {
    "phones": [USER_PHONE, NEW_PHONE, "13900139000", "+8613700137000", "+14155552671"],
    "codes": [CODE, "000000"],
    "passwords": [USER_PASSWORD, "second-Passw0rd-2"],
    "templates": ["Order_Notice"],  # the test settings' SMS_TEMPLATES
}


class RequestCounter:
    """Django's WSGI app, counting the requests it answers."""

    def __init__(self, app: WSGIHandler) -> None:
        self.app = app
        self.requests = 0

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        self.requests += 1
        return self.app(environ, start_response)


APP: Final = RequestCounter(get_wsgi_application())


def _openapi_document() -> dict[str, Any]:
    """The schema ``api/schema/?format=json`` serves, as JSON data."""
    generated = SchemaGenerator().get_schema(request=None, public=True)
    document: dict[str, Any] = json.loads(OpenApiJsonRenderer().render(generated))
    return document


def _slashless(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` whose paths have no trailing slash (``/auth/phone/login``)."""
    copy: dict[str, Any] = json.loads(json.dumps(document))
    copy["paths"] = {path.rstrip("/"): item for path, item in copy["paths"].items()}
    return copy


def _operations(document: dict[str, Any], *, with_body: bool = False) -> dict[str, bool]:
    """Every operation of the app (not drf-spectacular's own view, which tests/urls.py mounts),
    and whether it is documented for signed-in users only; ``with_body``: those with a body."""
    return {
        f"{method.upper()} {path}": operation.get("security", [{}]) != [{}]
        for path, methods in document["paths"].items()
        if path.startswith(BASE)
        for method, operation in methods.items()
        if not with_body or "requestBody" in operation
    }


DOCUMENT: Final = _openapi_document()
SLASHLESS_DOCUMENT: Final = _slashless(DOCUMENT)
OPERATIONS: Final = _operations(DOCUMENT)
SLASHLESS_OPERATIONS: Final = _operations(SLASHLESS_DOCUMENT)
BODY_OPERATIONS: Final = _operations(DOCUMENT, with_body=True)


def _with_examples(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``document`` whose properties carry :data:`EXAMPLES`, constraints unchanged, so
    that a coverage case breaks one property of an otherwise valid request."""
    copy: dict[str, Any] = json.loads(json.dumps(document))
    for component in copy["components"]["schemas"].values():
        for name, prop in component.get("properties", {}).items():
            if name in EXAMPLES:
                prop["example"] = EXAMPLES[name]
    return copy


def _schema(
    max_examples: int,
    *,
    coverage: bool,
    document: dict[str, Any] = DOCUMENT,
    operations: Iterable[str] | None = None,
) -> schemathesis.BaseSchema:
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "base-url": BASE_URL,
            "generation": {
                "mode": "all",  # positive and negative
                "max-examples": max_examples,
                "deterministic": True,
                "database": "none",
                # The token is the fixture user's (see `_call`), not a generated one.
                "with-security-parameters": False,
            },
            "phases": {
                "examples": {"enabled": False},
                "coverage": {"enabled": coverage},
                "fuzzing": {"enabled": True},
                "stateful": {"enabled": False},
            },
            "dictionaries": {name: {"values": values} for name, values in DICTIONARIES.items()},
            "parameters": {
                "body.phone": {"dictionary": "phones", "probability": 0.6},
                "body.code": {"dictionary": "codes", "probability": 0.5},
                "body.password": {"dictionary": "passwords", "probability": 0.5},
                "body.template": {"dictionary": "templates", "probability": 0.5},
            },
            # Test-only credentials: the curl commands of the report show bodies as sent.
            "output": {"sanitization": {"enabled": False}},
        }
    )
    schema = schemathesis.openapi.from_dict(_with_examples(document), config=config)
    schema.app = APP
    if operations is not None:  # (a second include() would add to the first, not narrow it)
        return schema.include(name=list(operations))
    return schema.include(path_regex=f"^{BASE}")


SCHEMA_WITHOUT_LIMITS: Final = _schema(MAX_EXAMPLES, coverage=True)
SCHEMA_WITH_LIMITS: Final = _schema(MAX_EXAMPLES_WITH_LIMITS, coverage=False)
SCHEMA_SLASHLESS: Final = _schema(
    MAX_EXAMPLES_SLASHLESS, coverage=False, document=SLASHLESS_DOCUMENT
)
SCHEMA_DEEP: Final = _schema(MAX_EXAMPLES_DEEP, coverage=False, operations=BODY_OPERATIONS)


# --- what a pass found ----------------------------------------------------------------------


@dataclass
class Finding:
    """One distinct failure, the shortest request that showed it, and how often it did."""

    operation: str
    failure: Any  # schemathesis.core.failures.Failure: equal when Schemathesis deems them one
    component: list[str]  # for a negative case, the part of the request it broke
    curl: str
    answer: str
    count: int = 1

    def same_as(self, other: Finding) -> bool:
        return (self.operation, self.failure, self.component) == (
            other.operation,
            other.failure,
            other.component,
        )

    def __str__(self) -> str:
        message = self.failure.message.replace("\n", "\n    ")
        return (
            f"[{self.operation}] {type(self.failure).__name__} ({self.count}x):"
            f" {self.failure.title}\n    {message}\n    answer: {self.answer}\n    {self.curl}"
        )


@dataclass
class Pass:
    name: str
    expected: set[str]  # the operations it must run
    requests: int = 0
    operations: set[str] = field(default_factory=set)
    findings: list[Finding] = field(default_factory=list)

    def record(self, case: Any, response: Any, token: str | None, group: FailureGroup) -> None:
        for failure in group.exceptions:
            component = [line for line in failure.message.splitlines() if "component" in line]
            curl = case.as_curl_command(headers=dict(response.request.headers))
            if self.name == "deep nesting":
                curl += "  # with one value nested deep (_deep_body)"
            found = Finding(
                operation=case.operation.label,
                failure=failure,
                component=component,
                curl=curl.replace(token, "<token>") if token else curl,
                answer=f"{response.status_code} {response.text[:300]}",
            )
            for index, finding in enumerate(self.findings):
                if finding.same_as(found):
                    # The shortest request that shows it reproduces it best.
                    if len(found.curl) < len(finding.curl):
                        self.findings[index] = dataclasses.replace(found, count=finding.count)
                    self.findings[index].count += 1
                    break
            else:
                self.findings.append(found)

    def summary(self) -> str:
        return (
            f"fuzz pass {self.name}: {self.requests} requests over {len(self.operations)}"
            f" operations, {len(self.findings)} distinct failures"
        )

    def report(self) -> str:
        return "\n\n".join([self.summary(), *map(str, self.findings)])


PASSES: Final = {
    "without limits": Pass("without limits", set(OPERATIONS)),
    "with default limits": Pass("with default limits", set(OPERATIONS)),
    "slash-less paths": Pass("slash-less paths", set(SLASHLESS_OPERATIONS)),
    "deep nesting": Pass("deep nesting", set(BODY_OPERATIONS)),
}


# --- state ----------------------------------------------------------------------------------


@contextmanager
def _no_limits() -> Iterator[None]:
    """Every rate limit off, ours and LeanCloud's (the emulator's login lock too)."""
    emulator_config = upstream.EMULATOR.config
    upstream.EMULATOR.config = dataclasses.replace(
        emulator_config, limits=UPSTREAM_NO_LIMITS, lock_failures=10**9
    )
    try:
        with override_settings(LC_PHONE={**settings.LC_PHONE, **NO_LIMITS}):
            yield
    finally:
        upstream.EMULATOR.config = emulator_config


def _post(client: APIClient, path: str, body: dict[str, str]) -> dict[str, Any]:
    response = client.post(f"{BASE}{path}", body, format="json")
    assert response.status_code in (200, 201, 202), (path, response.content)
    answer: dict[str, Any] = response.json()
    return answer


def _sign_up_and_request_codes() -> Any:
    """The user of USER_PHONE, signed up through the API, and a code requested for every
    purpose: the test numbers' codes are reusable, so CODE verifies all along the run."""
    client = APIClient()
    for phone in (USER_PHONE, NEW_PHONE):
        for path in ("sms-code/", "login/sms-code/", "password-reset/sms-code/"):
            _post(client, path, {"phone": phone})
    body = {"phone": USER_PHONE, "code": CODE, "password": USER_PASSWORD}
    token = _post(client, "signup/", body)["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    _post(client, "phone/change/sms-code/", {"phone": NEW_PHONE})
    return Token.objects.get(key=token).user


@pytest.fixture
def fuzz_user(transactional_db: None) -> Iterator[Any]:
    """An emulator with two console test numbers, the signed-up user, and empty limits.

    Real transactions (the app relies on ``on_commit``) but one database connection for the
    whole run: Django's WSGI handler would close it after every request, so that is off here,
    as Django's test client does.
    """
    emulator_config = upstream.EMULATOR.config
    upstream.EMULATOR.config = dataclasses.replace(
        emulator_config, test_numbers={USER_PHONE: CODE, NEW_PHONE: CODE}
    )
    upstream.EMULATOR.reset()
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        with _no_limits():
            user = _sign_up_and_request_codes()
        clear_limits()
        yield user
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
        upstream.EMULATOR.config = emulator_config
        upstream.EMULATOR.reset()


@pytest.fixture
def no_limits() -> Iterator[None]:
    with _no_limits():
        yield


def _call(case: Any, user: Any, run: Pass, *, deep: bool = False) -> None:
    """Send the case (with the user's token if it needs one) and run the checks on the answer;
    ``deep``: with its body nested thousands of levels down (:func:`_deep_body`)."""
    run.operations.add(case.operation.label)
    token = None
    if {**OPERATIONS, **SLASHLESS_OPERATIONS}[case.operation.label]:
        # logout/ revokes the token: a new one when it has.
        token = Token.objects.get_or_create(user=user)[0].key
    headers = {"Authorization": f"Token {token}"} if token else None
    body: dict[str, bytes] = {}
    if deep:  # (a case whose optional body was left out has no content type of its own)
        body = {"data": _deep_body(case.body, len(run.operations) + run.requests)}
        headers = {**(headers or {}), "Content-Type": "application/json"}
    checks = [*CHECKS, deep_json_is_a_parse_error] if deep else CHECKS
    before = APP.requests
    response = case.call(headers=headers, **body)
    run.requests += APP.requests - before
    try:
        case.validate_response(response, checks=checks, headers=headers, transport_kwargs=body)
    except FailureGroup as group:
        run.record(case, response, token, group)


# The three shapes of the deep-nesting pass: arrays, objects, and the two in turn.
_OPENERS: Final = ("[", '{"a":', '[{"a":')
_CLOSERS: Final = ("]", "}", "}]")


def _deep_body(generated: Any, turn: int) -> bytes:
    """``generated`` (the case's body) as JSON with one of its values wrapped in
    :data:`NESTING` characters of brackets (the whole body when it is no object), in the shape
    ``turn`` picks. Built as text: ``json.dumps`` itself recurses too deeply for it."""
    shape = turn % len(_OPENERS)
    levels = NESTING // (len(_OPENERS[shape]) + len(_CLOSERS[shape]))

    def wrap(value: Any) -> str:
        return _OPENERS[shape] * levels + json.dumps(value) + _CLOSERS[shape] * levels

    if not isinstance(generated, dict) or not generated:
        return wrap(generated if isinstance(generated, dict | list) else {}).encode()
    name = sorted(generated)[turn % len(generated)]
    fields = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in generated.items() if k != name]
    return (
        "{" + ", ".join([*fields, f"{json.dumps(name)}: {wrap(generated[name])}"]) + "}"
    ).encode()


@schemathesis.check
def deep_json_is_a_parse_error(ctx: Any, response: Any, case: Any) -> bool:
    """A body nested past ``jsondepth.MAX_JSON_DEPTH`` is refused as unparsable: 400
    ``parse_error``, whatever the rest of it holds."""
    code = response.json().get("code") if response.status_code == 400 else None
    if code != "parse_error":
        raise AssertionError(f"a deep body got {response.status_code} {response.text[:200]}")
    return True


# The fixtures run once per operation, on purpose: each pass resets what it needs per case.
_ONE_SETUP_PER_OPERATION: Final = hypothesis.settings(
    suppress_health_check=[hypothesis.HealthCheck.function_scoped_fixture]
)


# --- the passes -----------------------------------------------------------------------------


@SCHEMA_WITHOUT_LIMITS.parametrize()
@_ONE_SETUP_PER_OPERATION
def test_fuzz_without_limits(case: Any, no_limits: None, fuzz_user: Any) -> None:
    # Limits are off, but their store also holds the circuit breaker's state: empty per case.
    clear_limits()
    _call(case, fuzz_user, PASSES["without limits"])


@SCHEMA_WITH_LIMITS.parametrize()
@_ONE_SETUP_PER_OPERATION
def test_fuzz_with_default_limits(case: Any, fuzz_user: Any) -> None:
    # The limits' counts and LeanCloud's accumulate over the operation's cases.
    _call(case, fuzz_user, PASSES["with default limits"])


@SCHEMA_SLASHLESS.parametrize()
@_ONE_SETUP_PER_OPERATION
def test_fuzz_slashless_paths(case: Any, no_limits: None, fuzz_user: Any) -> None:
    clear_limits()
    _call(case, fuzz_user, PASSES["slash-less paths"])


@SCHEMA_DEEP.parametrize()
@_ONE_SETUP_PER_OPERATION
def test_fuzz_deep_nesting(case: Any, no_limits: None, fuzz_user: Any) -> None:
    clear_limits()
    _call(case, fuzz_user, PASSES["deep nesting"], deep=True)


# --- the figures ----------------------------------------------------------------------------


def _require_complete_passes() -> None:
    for run in PASSES.values():
        if run.operations != run.expected:
            pytest.skip(f"the pass {run.name} did not run on every operation")


def test_at_least_min_requests_reached_the_app() -> None:
    _require_complete_passes()
    total = sum(run.requests for run in PASSES.values())
    print("\n" + "\n".join(run.summary() for run in PASSES.values()))
    assert total >= MIN_REQUESTS, f"{total} requests, fewer than {MIN_REQUESTS}"


def test_every_check_passed_on_every_request() -> None:
    _require_complete_passes()
    report = "\n\n".join(run.report() for run in PASSES.values())
    if any(run.findings for run in PASSES.values()):
        pytest.fail(report, pytrace=False)
