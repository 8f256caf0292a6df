"""Reference §5 table G, secrets and logging (T35-T37): no key, signature, code, password,
session token, upstream text or stack trace in any answer; nothing of the kind (nor a full phone
number) in any log record, one audit record per authentication request, no forged log lines;
generic 500s, and error reports that hide keys, passwords and codes.

A *tour* (:func:`tour`) runs every flow of the API, successes and failures (wrong codes and
passwords, throttling, upstream faults and LeanCloud errors, bad input, a sign-out), asserting
each answer's status, ``code`` and number of upstream calls; T35 and T36 then inspect everything
it produced. (Schemathesis, T38, lives elsewhere.)
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import got_request_exception
from django.db import IntegrityError, connection
from django.test import override_settings
from django.urls import include, path
from django.views.debug import ExceptionReporter
from rest_framework.test import APIClient

from django_lc_phone import sync
from django_lc_phone.api.views import base as views
from django_lc_phone.leancloud import transport
from django_lc_phone.leancloud.wire import ERRORS
from django_lc_phone.models import PhoneProfile
from django_lc_phone.services import signin
from tests import upstream
from tests.app._api import (
    NEW_PASSWORD,
    OTHER,
    PASSWORD,
    PHONE,
    THIRD,
    code,
    cool_down,
    lc_phone_settings,
    post,
    request_code,
    signup,
    url,
)
from tests.security._util import Exchanges, ip, upstream_log
from tests.security.test_e_upstream_faults import answer_next

# This module is also a URLconf (T37): the phone API with DRF's JSON 500 handler.
urlpatterns = [path("auth/phone/", include("django_lc_phone.urls"))]
handler500 = "rest_framework.exceptions.server_error"
JSON_500_URLCONF = __name__

APP_KEY = str(settings.LC_PHONE["APP_KEY"])
MASTER_KEY = str(settings.LC_PHONE["MASTER_KEY"])
WRONG_PASSWORD = "wrong-Password-9"
WEAK_PASSWORD = "qwertyuiop"
CRLF_PASSWORD = "crlf-Password-7\r\nINFO FORGED password line"
PASSWORDS = (PASSWORD, NEW_PASSWORD, WRONG_PASSWORD, WEAK_PASSWORD, "crlf-Password-7")
# Numbers the tour sends to (OTHER becomes the user's number; FAULTY get upstream faults).
FAULTY = [f"+861350013{5000 + n:04d}" for n in range(8)]
PHONES = (PHONE, OTHER, THIRD, *FAULTY)
# Text the scripted upstream answers carry, beyond the emulator's own error messages.
SCRIPTED_TEXTS = (
    "Emulated server error",
    "openresty",
    "Bad Gateway",
    "Login failed too many times",
    *(spec.message for spec in ERRORS.values()),
)
# The limits that would stop a long tour, off; the resend cooldown stays (one step needs it).
TOUR_SETTINGS: dict[str, Any] = {
    "SMS_PER_IP_MINUTE": None,
    "SMS_PER_IP_HOUR": None,
    "SMS_PER_PREFIX_HOUR": None,
    "SMS_PER_PHONE_HOUR": None,
    "SMS_PER_PHONE_DAY": None,
    "CODE_ATTEMPTS": None,
    "PASSWORD_ATTEMPTS": None,
    "ATTEMPTS_PER_IP_MINUTE": None,
    "CIRCUIT_FAILURES": None,
}
# Endpoints that log no audit record (read-only).
UNAUDITED = {url("me/"), url("captcha/")}


def digits_pattern(values: set[str]) -> re.Pattern[str] | None:
    """A pattern for any of ``values`` standing alone as a number (not inside a longer one)."""
    if not values:
        return None
    return re.compile(r"(?<!\d)(?:" + "|".join(sorted(map(re.escape, values))) + r")(?!\d)")


def national(phone: str) -> str:
    return phone.removeprefix("+86")


# --- the tour ---------------------------------------------------------------------------------


@dataclass
class Step:
    """One request of the tour: what was asked, what came back, and the log records it made."""

    label: str
    path: str
    response: Any
    records: list[logging.LogRecord]


@dataclass
class Tour:
    """Everything a tour produced, and every secret it used or saw."""

    steps: list[Step] = field(default_factory=list)
    codes: set[str] = field(default_factory=set)
    session_tokens: set[str] = field(default_factory=set)
    signatures: set[str] = field(default_factory=set)
    upstream_texts: set[str] = field(default_factory=set)

    def secrets(self) -> dict[str, str]:
        """Every secret string -> what it is (codes are matched separately, as numbers)."""
        found = {APP_KEY: "app key", MASTER_KEY: "master key"}
        found.update(dict.fromkeys(PASSWORDS, "password"))
        found.update(dict.fromkeys(self.session_tokens, "LeanCloud session token"))
        found.update(dict.fromkeys(self.signatures, "X-LC-Sign"))
        found.update({s.split(",")[0]: "X-LC-Sign digest" for s in self.signatures})
        return found


class Runner:
    """Runs the tour's requests; each one's status, ``code`` and upstream calls are checked."""

    def __init__(self, lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture | None) -> None:
        self.lc = lc
        self.caplog = caplog
        self.tour = Tour()

    def __call__(
        self,
        label: str,
        send: Callable[[], Any],
        status: int,
        answer_code: str | None,
        calls: int,
    ) -> Any:
        before_calls = len(self.lc.calls)
        before_records = len(self.caplog.records) if self.caplog is not None else 0
        response = send()
        assert response.status_code == status, (label, response.status_code, response.content)
        if answer_code is not None:
            assert response.json()["code"] == answer_code, (label, response.content)
        assert len(self.lc.calls) - before_calls == calls, (label, self.lc.calls[before_calls:])
        records = self.caplog.records[before_records:] if self.caplog is not None else []
        self.tour.steps.append(Step(label, response.wsgi_request.path, response, records))
        return response


def _client(n: int) -> APIClient:
    return APIClient(REMOTE_ADDR=ip(n), raise_request_exception=False)


def _wrong(real: str) -> str:
    return "000000" if real != "000000" else "111111"


def tour(lc: upstream.CountingApp, caplog: pytest.LogCaptureFixture | None = None) -> Tour:
    """Every flow, successes and failures; see the module docstring."""
    run = Runner(lc, caplog)
    lc.headers.clear()
    with lc_phone_settings(**TOUR_SETTINGS), upstream_log() as log:
        _tour(run)
    _collect(run.tour, lc, log)
    return run.tour


def _tour(run: Runner) -> None:
    a = _client(1)

    def send(client: APIClient, path: str, data: Any = None, **extra: Any) -> Callable[[], Any]:
        return lambda: post(client, path, data, **extra)

    # Generic codes: send, throttled resend, wrong and right verification.
    run("sms-code", send(a, "sms-code/", {"phone": PHONE}), 202, "code_sent", 1)
    first = code(PHONE)
    run(
        "sms-code again",
        send(_client(2), "sms-code/", {"phone": PHONE}),
        429,
        "sms_rate_limited",
        0,
    )
    run(
        "verify wrong code",
        send(a, "sms-code/verify/", {"phone": PHONE, "code": _wrong(first)}),
        400,
        "invalid_code",
        1,
    )
    run(
        "verify",
        send(a, "sms-code/verify/", {"phone": PHONE, "code": first}),
        200,
        "code_verified",
        1,
    )

    # Sign-up: a wrong code, a weak password (refused before anything is sent), success.
    cool_down()
    run("sms-code 2", send(a, "sms-code/", {"phone": PHONE}), 202, "code_sent", 1)
    second = code(PHONE)
    run(
        "signup wrong code",
        send(a, "signup/", {"phone": PHONE, "code": _wrong(second)}),
        400,
        "invalid_code",
        1,
    )
    weak = {"phone": PHONE, "code": second, "password": WEAK_PASSWORD}
    run("signup weak password", send(a, "signup/", weak), 400, "invalid", 0)
    body = {"phone": PHONE, "code": second, "password": PASSWORD, "username": "tour-user"}
    run("signup", send(a, "signup/", body), 201, None, 1)

    # Password login: wrong, a password with CR/LF in it, right.
    wrong = {"phone": PHONE, "password": WRONG_PASSWORD}
    run("login wrong password", send(a, "login/", wrong), 401, "invalid_credentials", 1)
    crlf = {"phone": PHONE, "password": CRLF_PASSWORD}
    run("login crlf password", send(a, "login/", crlf), 401, "invalid_credentials", 1)
    run("login", send(a, "login/", {"phone": PHONE, "password": PASSWORD}), 200, None, 1)

    # Code login.
    cool_down()
    run("login code", send(a, "login/sms-code/", {"phone": PHONE}), 202, "code_sent", 1)
    third = code(PHONE)
    run(
        "login wrong code",
        send(a, "login/", {"phone": PHONE, "code": _wrong(third)}),
        400,
        "invalid_code",
        1,
    )
    run("login with code", send(a, "login/", {"phone": PHONE, "code": third}), 200, None, 1)

    # Password reset.
    cool_down()
    run("reset code", send(a, "password-reset/sms-code/", {"phone": PHONE}), 202, "code_sent", 1)
    fourth = code(PHONE)
    reset = {"phone": PHONE, "code": _wrong(fourth), "password": NEW_PASSWORD}
    run("reset wrong code", send(a, "password-reset/", reset), 400, "invalid_code", 1)
    reset["code"] = fourth
    run("reset", send(a, "password-reset/", reset), 200, "password_reset", 1)
    login = run(
        "login new password",
        send(a, "login/", {"phone": PHONE, "password": NEW_PASSWORD}),
        200,
        None,
        1,
    )
    user = APIClient(REMOTE_ADDR=ip(3), raise_request_exception=False)
    user.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")

    # Signed in: me, verification (already verified: nothing sent), a wrong verify code.
    run("me", lambda: user.get(url("me/")), 200, None, 0)
    run(
        "phone verify code",
        send(user, "phone/verify/sms-code/", {}),
        400,
        "already_verified",
        0,
    )
    run(
        "phone verify wrong",
        send(user, "phone/verify/", {"code": "123456"}),
        400,
        "invalid_code",
        1,
    )

    # Phone change.
    cool_down()
    run("change code", send(user, "phone/change/sms-code/", {"phone": OTHER}), 202, "code_sent", 1)
    fifth = code(OTHER)
    change = {"phone": OTHER, "code": _wrong(fifth)}
    run("change wrong code", send(user, "phone/change/", change), 400, "invalid_code", 1)
    change["code"] = fifth
    run("change", send(user, "phone/change/", change), 200, None, 1)
    # The change ended every token of the user; the answer carries the caller's new one.
    user.credentials(HTTP_AUTHORIZATION=f"Token {run.tour.steps[-1].response.json()['token']}")

    # CAPTCHA.
    run("captcha", lambda: a.get(url("captcha/")), 200, None, 1)
    token = run.tour.steps[-1].response.json()["captcha_token"]
    wrong_captcha = {"captcha_token": token, "captcha_code": "zzzz"}
    run("captcha wrong", send(a, "captcha/verify/", wrong_captcha), 400, "invalid_captcha", 1)

    # Upstream faults and LeanCloud errors: generic answers.
    faults = [
        ("drop", 503, "upstream_unavailable"),
        ("hang", 504, "upstream_timeout"),
        ("html", 502, "bad_upstream_response"),
        ("malformed_json", 502, "bad_upstream_response"),
        ("redirect", 502, "bad_upstream_response"),
    ]
    for n, (kind, status, error) in enumerate(faults):
        upstream.EMULATOR.arm_fault(kind, status=500)
        run(
            f"fault {kind}",
            send(_client(10 + n), "sms-code/", {"phone": FAULTY[n]}),
            status,
            error,
            1,
        )
    upstream.EMULATOR.arm_fault("http_error", status=503)
    run(
        "fault http 503",
        send(_client(20), "sms-code/", {"phone": FAULTY[5]}),
        503,
        "upstream_unavailable",
        1,
    )
    for n, (lc_code, status, error) in enumerate(
        [(601, 429, "sms_rate_limited"), (602, 502, "sms_delivery_failed")]
    ):
        with answer_next(400, {"code": lc_code, "error": ERRORS[lc_code].message}):
            run(
                f"leancloud {lc_code}",
                send(_client(21 + n), "sms-code/", {"phone": FAULTY[6 + n]}),
                status,
                error,
                1,
            )
    locked = {"code": 219, "error": "Login failed too many times, try again in 15 minutes."}
    with answer_next(400, locked):
        run(
            "leancloud 219",
            send(_client(23), "login/", {"phone": OTHER, "password": PASSWORD}),
            429,
            "too_many_attempts",
            1,
        )

    # Bad input: nothing reaches the upstream.
    path_code = {"phone": OTHER, "code": "../users/me"}
    run("code as a path", send(a, "sms-code/verify/", path_code), 400, "invalid_code", 0)
    run("bad phone", send(a, "sms-code/", {"phone": "+86abc"}), 400, "invalid_phone", 0)
    form = {"phone": OTHER, "code": fifth, "password": PASSWORD}
    run("form body", lambda: a.post(url("signup/"), form), 415, "unsupported_media_type", 0)

    # Sign out: the token is gone.
    run("logout", lambda: user.post(url("logout/")), 204, None, 0)
    run("me after logout", lambda: user.get(url("me/")), 401, "authentication_failed", 0)


def _collect(result: Tour, lc: upstream.CountingApp, log: Exchanges) -> None:
    result.codes = {str(m["code"]) for m in upstream.EMULATOR.messages() if m.get("code")}
    assert len(result.codes) >= 5
    for exchange in log.items:
        answer = exchange.answer
        if isinstance(answer, dict):
            if isinstance(answer.get("sessionToken"), str):
                result.session_tokens.add(answer["sessionToken"])
            if isinstance(answer.get("error"), str):
                result.upstream_texts.add(answer["error"])
    result.session_tokens.update(
        t for t in PhoneProfile.objects.values_list("lc_session_token", flat=True) if t
    )
    assert result.session_tokens
    result.signatures = {h["X-Lc-Sign"] for h in lc.headers if "X-Lc-Sign" in h}
    assert len(result.signatures) >= 5
    result.upstream_texts.update(SCRIPTED_TEXTS)
    assert len(result.upstream_texts) >= 5


def _shown(response: Any) -> str:
    """Everything a client receives: body, headers and cookies."""
    cookies = "\n".join(m.OutputString() for m in response.cookies.values())
    headers = "\n".join(f"{k}: {v}" for k, v in response.items())
    return "\n".join((response.content.decode(errors="replace"), headers, cookies))


# --- T35 ------------------------------------------------------------------------------------------


def test_t35_no_secret_or_internal_in_any_answer(lc: upstream.CountingApp) -> None:
    """T35 | Run every flow (success and failure) and collect all response bodies and headers |
    None of these appear: master key, app key, `X-LC-Sign`, SMS code, password, upstream error
    text, stack trace; the LeanCloud `sessionToken` appears only if that is documented (it is
    not: it stays server-side) | Secrets or internals in responses."""
    result = tour(lc)
    secrets = result.secrets()
    codes = digits_pattern(result.codes)
    assert codes is not None
    assert len(result.steps) >= 40
    for step in result.steps:
        shown = _shown(step.response)
        for secret, what in secrets.items():
            assert secret not in shown, (step.label, what)
        for text in result.upstream_texts:
            assert text not in shown, (step.label, "upstream text", text)
        assert not codes.search(shown), (step.label, "SMS code")
        assert "Traceback" not in shown, step.label
        assert "sessionToken" not in shown, step.label
        assert "objectId" not in shown, step.label


def test_t35_a_crash_answers_a_generic_page(
    lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T35 | A flow that crashes (a bug below the view) | A generic 500, with nothing of the
    request or the crash in it | Stack traces or secrets in responses."""
    client = _client(1)
    sms = request_code(client)
    lc.calls.clear()
    monkeypatch.setattr(sync, "_apply", _crash)
    response = post(client, "signup/", {"phone": PHONE, "code": sms, "password": PASSWORD})
    assert response.status_code == 500
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    shown = _shown(response)
    assert "Server Error (500)" in shown
    for secret in (APP_KEY, MASTER_KEY, PASSWORD, sms, "Traceback", "RuntimeError", "injected"):
        assert secret not in shown, secret


def _crash(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("injected crash")


# --- T36 ------------------------------------------------------------------------------------------

WATCHED_LOGGERS = ("", "urllib3", "urllib3.connectionpool", "django.request", "django_lc_phone")


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record of every logger, at DEBUG (caplog restores the levels afterwards)."""
    for name in WATCHED_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name or None)
    return caplog


def _record_texts(caplog: pytest.LogCaptureFixture) -> Iterator[tuple[str, str]]:
    """(where, text) for everything a handler could write: the formatted log, and each record's
    message, arguments and extra attributes."""
    yield "caplog.text", caplog.text
    for record in caplog.records:
        where = f"{record.name}:{record.lineno}"
        yield where, record.getMessage()
        yield where + " args", repr(record.args)
        yield where + " msg", str(record.msg)
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRIBUTES:
                yield f"{where} extra {key}", repr(value)


_STANDARD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None)))


def assert_clean_logs(
    caplog: pytest.LogCaptureFixture, secrets: dict[str, str], codes: set[str], phones: set[str]
) -> None:
    code_pattern = digits_pattern(codes)
    phone_pattern = digits_pattern({national(p) for p in phones})
    assert phone_pattern is not None
    for where, text in _record_texts(caplog):
        for secret, what in secrets.items():
            assert secret not in text, (where, what)
        for phone in phones:
            assert phone not in text, (where, "full phone number")
        assert not phone_pattern.search(text), (where, "full national number")
        if code_pattern is not None:
            assert not code_pattern.search(text), (where, "SMS code")
        assert "sessionToken" not in text, where


def test_t36_logs_hold_no_secret_and_one_audit_record_per_auth_request(
    lc: upstream.CountingApp, debug_logs: pytest.LogCaptureFixture
) -> None:
    """T36 | The T35 runs with DEBUG logging for all loggers (incl. `urllib3.connectionpool`,
    `django.request`) | Logs contain no code, password, `sessionToken`, keys or signature, and
    no full phone number (only masked or HMAC); each auth event is logged once with a reason
    code | The code in a logged upstream URL path; log injection."""
    result = tour(lc, debug_logs)
    assert_clean_logs(debug_logs, result.secrets(), result.codes, set(PHONES))
    assert any(r.name == "django_lc_phone.leancloud" for r in debug_logs.records)
    for step in result.steps:
        audit = [r for r in step.records if r.name == "django_lc_phone.audit"]
        if step.path in UNAUDITED:
            assert audit == [], step.label
            continue
        assert len(audit) == 1, (step.label, [r.getMessage() for r in audit])
        response = step.response
        failed = response.status_code >= 400
        outcome = response.json()["code"] if failed else "ok"
        fields = audit[0].lc_phone  # type: ignore[attr-defined]
        assert (fields["outcome"], fields["status"]) == (outcome, response.status_code), step.label
        message = audit[0].getMessage()
        assert f"outcome={outcome} status={response.status_code}" in message, step.label
        assert audit[0].levelno == (
            logging.ERROR if response.status_code >= 500
            else logging.WARNING if failed else logging.INFO
        ), step.label  # fmt: skip


def test_t36_codes_in_upstream_url_paths_never_reach_the_urllib3_log(
    emulator_server: Any, debug_logs: pytest.LogCaptureFixture, lc: upstream.CountingApp
) -> None:
    """T36 | The flows whose code travels in an upstream URL path (`verifySmsCode/<code>`,
    `resetPasswordBySmsCode/<code>`, `verifyMobilePhone/<code>`), over real HTTP so urllib3
    logs its request lines at DEBUG | No code (and no full phone number) in any record |
    The code in a logged upstream URL path."""
    emulator = emulator_server.emulator
    http = {"SERVER_URL": emulator_server.url, "HTTP_SESSION_FACTORY": None, **TOUR_SETTINGS}
    seen: list[str] = []

    def sent(phone: str) -> str:
        value = str(emulator.last_code(phone))
        seen.append(value)
        return value

    def advance() -> None:
        emulator.clock.advance(61)
        cool_down()

    client = _client(1)
    with lc_phone_settings(**http):
        assert post(client, "sms-code/", {"phone": PHONE}).status_code == 202
        verified = post(client, "sms-code/verify/", {"phone": PHONE, "code": sent(PHONE)})
        assert verified.status_code == 200, verified.content
        advance()
        assert post(client, "sms-code/", {"phone": PHONE}).status_code == 202
        data = {"phone": PHONE, "code": sent(PHONE), "password": PASSWORD}
        created = post(client, "signup/", data)
        assert created.status_code == 201, created.content
        token = created.json()["token"]
        advance()
        assert post(client, "password-reset/sms-code/", {"phone": PHONE}).status_code == 202
        reset = {"phone": PHONE, "code": sent(PHONE), "password": NEW_PASSWORD}
        assert post(client, "password-reset/", reset).status_code == 200
        wrong = post(client, "password-reset/", reset)  # the code is spent now
        assert wrong.status_code == 400
        assert wrong.json()["code"] == "invalid_code"
        user = APIClient(REMOTE_ADDR=ip(2))
        login = post(user, "login/", {"phone": PHONE, "password": NEW_PASSWORD})
        assert login.status_code == 200, login.content
        user.credentials(HTTP_AUTHORIZATION=f"Token {login.json()['token']}")
        verify = post(user, "phone/verify/", {"code": "123456"})  # verifyMobilePhone/123456
        assert verify.status_code == 400
        assert verify.json()["code"] == "invalid_code"
    assert token
    assert lc.calls == []  # all of it went over the socket
    request_lines = [
        r.getMessage() for r in debug_logs.records if r.name == "urllib3.connectionpool"
    ]
    assert any("/1.1/verifySmsCode/<redacted>" in line for line in request_lines), request_lines
    assert any("/1.1/resetPasswordBySmsCode/<redacted>" in line for line in request_lines)
    assert any("/1.1/verifyMobilePhone/<redacted>" in line for line in request_lines)
    tokens = {t for t in PhoneProfile.objects.values_list("lc_session_token", flat=True) if t}
    secrets = {APP_KEY: "app key", MASTER_KEY: "master key", PASSWORD: "password"}
    secrets.update({NEW_PASSWORD: "password", **dict.fromkeys(tokens, "session token")})
    assert_clean_logs(debug_logs, secrets, {*seen, "123456"}, {PHONE})


FORGED = "INFO     django_lc_phone.audit:audit.py:50 lc_phone.login outcome=ok FORGED"


def test_t36_cr_lf_in_input_forges_no_log_line(
    lc: upstream.CountingApp, debug_logs: pytest.LogCaptureFixture
) -> None:
    """T36 | CR/LF in the input (phone, code, password, username, client address, URL path) |
    CR/LF in the input is neutralised: every record stays one line, no line of the log starts
    with injected text | Log injection."""
    injected = "\r\n" + FORGED
    client = _client(1)
    cases: list[tuple[str, Callable[[], Any], int, str]] = [
        ("phone", lambda: post(client, "sms-code/", {"phone": "+86138\r\n00138000" + injected}),
         400, "invalid_phone"),
        ("code", lambda: post(client, "signup/", {"phone": PHONE, "code": "12\r\n3456" + injected}),
         400, "invalid_code"),
        ("password", lambda: post(client, "login/", {"phone": PHONE, "password": injected}),
         401, "invalid_credentials"),
        ("username", lambda: post(client, "signup/", {"phone": PHONE, "code": "123456",
                                                      "username": "eve" + injected}),
         400, "invalid"),
        ("forwarded-for", lambda: post(client, "login/", {"phone": PHONE, "password": "x-Pass-99"},
                                       HTTP_X_FORWARDED_FOR="1.2.3.4" + injected),
         401, "invalid_credentials"),
        ("path", lambda: client.post("/auth/phone/login/%0D%0A" + FORGED.replace(" ", "%20")),
         404, ""),
    ]  # fmt: skip
    with lc_phone_settings(TRUSTED_PROXIES=1):
        for label, send, status, error in cases:
            response = send()
            assert response.status_code == status, (label, response.content)
            if error:
                assert response.json()["code"] == error, label
    assert lc.calls == [("POST", "/1.1/login")] * 2  # the two well-formed logins only
    assert debug_logs.records
    for record in debug_logs.records:
        message = record.getMessage()
        assert "\n" not in message, (record.name, message)
        assert "\r" not in message, (record.name, message)
    for line in debug_logs.text.splitlines():
        assert not line.startswith(FORGED), line


def test_t36_a_crash_is_audited_once_too(
    lc: upstream.CountingApp,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """T36 | An authentication request that crashes (a bug below the view: 500) | Still one audit
    record, with a reason (`outcome=`) and `status=500` | An authentication attempt that leaves
    no audit trail."""
    client = _client(1)
    sms = request_code(client)
    lc.calls.clear()
    monkeypatch.setattr(sync, "_apply", _crash)
    start = len(debug_logs.records)
    response = post(client, "signup/", {"phone": PHONE, "code": sms, "password": PASSWORD})
    assert response.status_code == 500
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    audit = [r for r in debug_logs.records[start:] if r.name == "django_lc_phone.audit"]
    assert len(audit) == 1, [r.getMessage() for r in audit]
    assert audit[0].lc_phone["status"] == 500  # type: ignore[attr-defined]
    assert "outcome=" in audit[0].getMessage()
    assert audit[0].levelno == logging.ERROR
    assert_clean_logs(debug_logs, {PASSWORD: "password"}, {sms}, {PHONE})


def test_t36_a_database_error_logs_no_phone_number(
    lc: upstream.CountingApp,
    debug_logs: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """T36 | The database refuses a write with its own message (PostgreSQL's unique violation
    quotes the key: `Key (phone)=(+86...) already exists`) | 503 `temporarily_unavailable`; the
    error is logged without the full phone number | A full phone number in the logs."""
    signup(APIClient(), PHONE)  # the number's first owner
    old = PhoneProfile.objects.get()
    _delete_upstream(old.lc_object_id or "")  # the number is recycled upstream...
    # ...and the old holder is not released first (as when two requests race for the number).
    monkeypatch.setattr(sync, "_release_recycled_phone", lambda remote, profile: None)
    raised: list[BaseException] = []
    real_link = sync._link

    def link(remote: Any) -> Any:
        try:
            return real_link(remote)
        except Exception as exc:
            raised.append(exc)
            raise

    monkeypatch.setattr(sync, "_link", link)
    client = _client(2)
    sms = request_code(client)
    lc.calls.clear()
    start = len(debug_logs.records)
    response = post(client, "signup/", {"phone": PHONE, "code": sms})
    assert response.status_code == 503, response.content
    assert response.json()["code"] == "temporarily_unavailable"
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    assert raised
    assert all(isinstance(exc, IntegrityError) for exc in raised)
    if connection.vendor == "postgresql":  # SQLite's message names the column, not the value
        assert PHONE in str(raised[-1])  # what the database said: not vacuous
    errors = [r for r in debug_logs.records[start:] if r.name == "django_lc_phone.api"]
    assert len(errors) == 1  # logged...
    assert errors[0].levelno == logging.ERROR
    assert_clean_logs(debug_logs, {}, {sms}, {PHONE})  # ...without the number


def _delete_upstream(object_id: str) -> None:
    from django_lc_phone.testing.inprocess import wsgi_session

    config = upstream.EMULATOR.config
    session = wsgi_session(upstream.EMULATOR, upstream.SERVER_URL)
    response = session.delete(
        f"{upstream.SERVER_URL}/1.1/users/{object_id}",
        headers={"X-LC-Id": config.app_id, "X-LC-Key": f"{config.master_key},master"},
    )
    assert response.status_code == 200, response.content


# --- T37 ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("urlconf", ["django_page", "drf_json"])
def test_t37_a_500_with_debug_false_is_generic(
    urlconf: str, lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T37 | Force a 500 with `DEBUG=False` | Generic 500 body (Django's page, or DRF's JSON
    `{"error": "Server Error (500)"}` where the project sets DRF's `handler500`; no error `code`
    exists for a crash) | Keys, codes or the crash in the page."""
    client = _client(1)
    sms = request_code(client)
    lc.calls.clear()
    monkeypatch.setattr(sync, "_apply", _crash)
    extra = {"ROOT_URLCONF": JSON_500_URLCONF} if urlconf == "drf_json" else {}
    with override_settings(DEBUG=False, **extra):
        response = post(client, "signup/", {"phone": PHONE, "code": sms, "password": PASSWORD})
    assert response.status_code == 500
    assert lc.calls == [("POST", "/1.1/usersByMobilePhone")]
    if urlconf == "drf_json":
        assert response.json() == {"error": "Server Error (500)"}
    else:
        assert response["Content-Type"].startswith("text/html")
        assert "<h1>Server Error (500)</h1>" in response.content.decode()
    shown = _shown(response)
    for secret in (APP_KEY, MASTER_KEY, PASSWORD, sms, "Traceback", "RuntimeError", "injected"):
        assert secret not in shown, secret


@dataclass
class Crash:
    """A request that crashes somewhere in the app, and what it carried."""

    path: str
    data: dict[str, str]
    form: bool
    upstream: list[tuple[str, str]]
    code: str


def _crash_in_link(client: APIClient, monkeypatch: pytest.MonkeyPatch) -> Crash:
    sms = request_code(client)
    monkeypatch.setattr(sync, "_apply", _crash)
    data = {"phone": PHONE, "code": sms, "password": PASSWORD}
    return Crash("signup/", data, False, [("POST", "/1.1/usersByMobilePhone")], sms)


def _crash_in_transport(client: APIClient, monkeypatch: pytest.MonkeyPatch) -> Crash:
    signup(client, password=PASSWORD)
    assert post(client, "password-reset/sms-code/", {"phone": PHONE}).status_code == 202
    sms = code(PHONE)
    monkeypatch.setattr(transport, "parse_response", _crash)
    data = {"phone": PHONE, "code": sms, "password": NEW_PASSWORD}
    return Crash(
        "password-reset/", data, False, [("PUT", f"/1.1/resetPasswordBySmsCode/{sms}")], sms
    )


def _crash_in_backend(client: APIClient, monkeypatch: pytest.MonkeyPatch) -> Crash:
    signup(client, password=PASSWORD)
    assert post(client, "login/sms-code/", {"phone": PHONE}).status_code == 202
    sms = code(PHONE)
    monkeypatch.setattr(signin, "link", _crash)
    return Crash("login/", {"phone": PHONE, "code": sms}, False, [("POST", "/1.1/login")], sms)


def _crash_with_form_data(client: APIClient, monkeypatch: pytest.MonkeyPatch) -> Crash:
    sms = request_code(client)
    monkeypatch.setattr(views, "auth_event", _crash)  # fails while answering (415)
    data = {"phone": PHONE, "code": sms, "password": PASSWORD, "validate_token": "tok" * 8}
    return Crash("signup/", data, True, [], sms)


def _crash_in_password_backend(client: APIClient, monkeypatch: pytest.MonkeyPatch) -> Crash:
    signup(client, password=PASSWORD)
    monkeypatch.setattr(signin, "link", _crash)
    data = {"phone": PHONE, "password": PASSWORD}
    return Crash("login/", data, False, [("POST", "/1.1/login")], "")


CRASHES: dict[str, Callable[[APIClient, pytest.MonkeyPatch], Crash]] = {
    "json_crash_in_link": _crash_in_link,
    "json_crash_in_transport": _crash_in_transport,
    "json_crash_in_code_backend": _crash_in_backend,
    "json_crash_in_password_backend": _crash_in_password_backend,
    "form_post_crash": _crash_with_form_data,
}


@pytest.mark.parametrize("crash", list(CRASHES))
def test_t37_error_reports_hide_keys_passwords_and_codes(
    crash: str, lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T37 | Force a 500 and render Django's technical 500 report (what error e-mails and the
    DEBUG page show) for requests carrying a password and a code in a JSON body and as form
    POST data | The report shows the `LC_PHONE` APP_KEY/MASTER_KEY settings and the
    `password`/`code` POST fields as `********`; the values appear nowhere, frame locals
    included | Keys or codes in error emails or pages."""
    client = APIClient(REMOTE_ADDR=ip(1), raise_request_exception=False)
    case = CRASHES[crash](client, monkeypatch)
    lc.calls.clear()
    reports: list[tuple[Any, Any]] = []

    def keep(sender: Any, request: Any, **kwargs: Any) -> None:
        # What Django's handler passes on to the reporter: the traceback from the handler down.
        reports.append((request, sys.exc_info()))

    got_request_exception.connect(keep, dispatch_uid="t37")
    try:
        if case.form:
            response = client.post(url(case.path), case.data)
        else:
            response = post(client, case.path, case.data)
    finally:
        got_request_exception.disconnect(dispatch_uid="t37")
    assert response.status_code == 500
    assert lc.calls == case.upstream
    assert len(reports) == 1
    request, (kind, exc, tb) = reports[0]
    assert isinstance(exc, RuntimeError)
    assert str(exc) == "injected crash"
    reporter = ExceptionReporter(request, kind, exc, tb)
    text, html = reporter.get_traceback_text(), reporter.get_traceback_html()
    frames = reporter.get_traceback_frames()
    assert len(frames) > 5
    secrets = {
        APP_KEY: "app key",
        MASTER_KEY: "master key",
        case.data.get("password", PASSWORD): "password",
        **{s: "X-LC-Sign" for h in lc.headers for s in [h.get("X-Lc-Sign", "")] if s},
    }
    tokens = PhoneProfile.objects.values_list("lc_session_token", flat=True)
    secrets.update({t: "session token" for t in tokens if t})
    code_pattern = digits_pattern({case.code} if case.code else set())
    for where, report in (("text", text), ("html", html), ("frames", repr(frames))):
        for secret, what in secrets.items():
            assert secret not in report, (where, what)
        if code_pattern is not None:
            assert not code_pattern.search(report), (where, "SMS code")
    assert "&#x27;APP_KEY&#x27;: &#x27;********************&#x27;" in html
    assert "'MASTER_KEY': '********************'" in text
    if case.form:
        for name in ("password", "code", "validate_token"):
            assert f"{name} = '********************'" in text, name
        assert "tok" * 8 not in html


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_t37_the_debug_page_hides_the_keys(
    accept: str, lc: upstream.CountingApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """T37 | Force a 500 with `DEBUG=True`: the technical page a browser (HTML) or an API client
    (text) gets | The `LC_PHONE` keys shown as `********` | Keys in error pages. (With
    `DEBUG=True` Django turns its variable and POST-field filtering off by design: a debug
    site is not safe anyway, so codes and passwords are only checked with `DEBUG=False`.)"""
    client = APIClient(REMOTE_ADDR=ip(1))
    case = _crash_in_transport(client, monkeypatch)
    lc.calls.clear()
    with override_settings(DEBUG=True):
        page_client = APIClient(raise_request_exception=False, HTTP_ACCEPT=accept)
        page = post(page_client, case.path, case.data)
    assert page.status_code == 500
    assert lc.calls == case.upstream
    shown = _shown(page)
    assert page["Content-Type"].startswith("text/html" if accept == "text/html" else "text/plain")
    assert "RuntimeError" in shown  # it is the technical page
    stars = "&#x27;MASTER_KEY&#x27;: &#x27;********************&#x27;"
    assert (stars if accept == "text/html" else "'MASTER_KEY': '********************'") in shown
    for secret, what in ((APP_KEY, "app key"), (MASTER_KEY, "master key")):
        assert secret not in shown, what
