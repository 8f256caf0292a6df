"""The one table from LeanCloud error code to exception class, and its fallbacks.

The expected table below is written out by hand from errors.py's class docstrings and the
reference (leancloud-rest-api.md §4, security-and-reliability.md §3.4), so that any change to
``ERROR_CLASSES`` is a deliberate one.
"""

from __future__ import annotations

import json

import pytest

from django_lc_phone.leancloud import (
    ERROR_CLASSES,
    LeanCloudAccountLocked,
    LeanCloudAlreadyTaken,
    LeanCloudAPIError,
    LeanCloudAuthError,
    LeanCloudBadResponse,
    LeanCloudCaptchaError,
    LeanCloudConnectionError,
    LeanCloudError,
    LeanCloudInvalidArgument,
    LeanCloudInvalidCode,
    LeanCloudInvalidField,
    LeanCloudInvalidPhone,
    LeanCloudNotVerified,
    LeanCloudPasswordMismatch,
    LeanCloudQuotaExceeded,
    LeanCloudRateLimited,
    LeanCloudServiceDisabled,
    LeanCloudSessionRequired,
    LeanCloudSmsRejected,
    LeanCloudTimeout,
    LeanCloudUnavailable,
    LeanCloudUserNotFound,
)
from django_lc_phone.leancloud.errors import error_class_for
from django_lc_phone.leancloud.senders import Answer
from django_lc_phone.leancloud.transport import parse_response
from django_lc_phone.leancloud.wire import (
    ERRORS,
    MESSAGE_MASTER_KEY_REQUIRED,
    MESSAGE_SMS_TOO_FAST,
    Code,
    error_body,
    error_status,
)

EXPECTED: dict[int, type[LeanCloudAPIError]] = {
    101: LeanCloudUserNotFound,  # object not found
    107: LeanCloudInvalidField,  # malformed JSON
    111: LeanCloudInvalidField,  # incorrect type
    119: LeanCloudServiceDisabled,  # a console switch is off
    124: LeanCloudUnavailable,  # server-side timeout
    125: LeanCloudInvalidField,  # invalid email
    126: LeanCloudUserNotFound,  # invalid user id
    127: LeanCloudInvalidPhone,
    137: LeanCloudAlreadyTaken,  # unique index
    154: LeanCloudQuotaExceeded,  # spend cap
    160: LeanCloudQuotaExceeded,  # balance
    200: LeanCloudInvalidField,  # username missing
    201: LeanCloudInvalidField,  # password missing
    202: LeanCloudAlreadyTaken,  # username taken
    203: LeanCloudAlreadyTaken,  # email taken
    204: LeanCloudInvalidField,  # email missing
    205: LeanCloudUserNotFound,  # email not found
    206: LeanCloudSessionRequired,
    210: LeanCloudPasswordMismatch,
    211: LeanCloudUserNotFound,
    212: LeanCloudInvalidPhone,  # phone missing
    213: LeanCloudUserNotFound,  # phone not found
    214: LeanCloudAlreadyTaken,  # phone taken
    215: LeanCloudNotVerified,  # phone not verified
    216: LeanCloudNotVerified,  # email not verified
    217: LeanCloudInvalidField,  # invalid username
    218: LeanCloudInvalidField,  # invalid password
    219: LeanCloudAccountLocked,
    401: LeanCloudAuthError,
    403: LeanCloudAuthError,
    429: LeanCloudRateLimited,  # API concurrency
    502: LeanCloudUnavailable,  # maintenance
    503: LeanCloudUnavailable,  # app disabled / read-only
    511: LeanCloudUnavailable,  # API temporarily unavailable
    529: LeanCloudUnavailable,  # IP concurrency
    600: LeanCloudSmsRejected,  # SMS signature
    601: LeanCloudRateLimited,  # SMS too frequent
    602: LeanCloudSmsRejected,  # provider failure
    603: LeanCloudInvalidCode,
    604: LeanCloudSmsRejected,  # template not found
    605: LeanCloudSmsRejected,  # template not verified
    606: LeanCloudSmsRejected,  # template render failed
    607: LeanCloudCaptchaError,  # wrong CAPTCHA
    608: LeanCloudCaptchaError,  # validate token missing
}

# Codes deliberately absent from the table, and what they raise instead.
DELIBERATE_FALLBACKS = {Code.INTERNAL}  # code 1: refined by its text, else by HTTP status

LOCKED_BY_CODE_1 = (
    "You have exceeded the maximum number of login attempts, please try again later, "
    "or consider resetting your password."
)


# --- the table ------------------------------------------------------------------------------


def test_the_table_is_exactly_as_documented() -> None:
    assert dict(ERROR_CLASSES) == EXPECTED


@pytest.mark.parametrize(("code", "cls"), sorted(EXPECTED.items()), ids=str)
def test_each_code_maps_to_its_class(code: int, cls: type[LeanCloudAPIError]) -> None:
    assert issubclass(cls, LeanCloudAPIError)
    message = ERRORS[code].message if code in ERRORS else "Some text."
    for status in (error_status(code), 400, 500):
        assert error_class_for(code, message, status) is cls


def test_every_code_of_the_wire_has_a_class_or_a_deliberate_fallback() -> None:
    for code in ERRORS:
        assert (code in ERROR_CLASSES) != (code in DELIBERATE_FALLBACKS), code
    named = {v for k, v in vars(Code).items() if not k.startswith("_") and isinstance(v, int)}
    assert named - set(ERROR_CLASSES) == DELIBERATE_FALLBACKS


@pytest.mark.parametrize("code", sorted(ERRORS), ids=str)
def test_every_wire_error_parses_to_its_class(code: int) -> None:
    """The emulator's exact answer for each code (body and status) through the real parser."""
    raw = Answer(
        error_status(code), "application/json;charset=utf-8", json.dumps(error_body(code)).encode()
    )
    with pytest.raises(LeanCloudError) as info:
        parse_response(raw)
    error = info.value
    expected = EXPECTED.get(code)
    if expected is None:  # code 1 with its generic text on a 400
        expected = LeanCloudAPIError
    assert type(error) is expected
    assert (error.code, error.status, error.request_sent) == (code, error_status(code), True)
    assert error.message == ERRORS[code].message


# --- code 1 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("message", "cls"),
    [
        (MESSAGE_SMS_TOO_FAST, LeanCloudRateLimited),
        ("SMS request too fast(1 request per 10s).", LeanCloudRateLimited),
        ("SMS request too fast", LeanCloudRateLimited),
        (LOCKED_BY_CODE_1, LeanCloudAccountLocked),
        ("You have exceeded the maximum number of login attempts", LeanCloudAccountLocked),
        (MESSAGE_MASTER_KEY_REQUIRED, LeanCloudAuthError),
        ("The request must be signed by master key.", LeanCloudAuthError),
        ("International SMS is disabled, please enable it in console.", LeanCloudServiceDisabled),
    ],
)
@pytest.mark.parametrize("status", [400, 403, 500])
def test_code_1_refined_by_its_documented_texts(
    message: str, cls: type[LeanCloudAPIError], status: int
) -> None:
    assert error_class_for(Code.INTERNAL, message, status) is cls


@pytest.mark.parametrize(
    "message",
    [
        "Internal server error. No information available.",
        "Role ACL is required.",
        "",
        " SMS request too fast(1 request per 10s).",  # a prefix, not a substring
        "sms request too fast(1 request per 10s).",  # case matters
        "Error: The request must be signed by master key.",
    ],
)
def test_code_1_with_other_texts_falls_back_by_status(message: str) -> None:
    assert error_class_for(Code.INTERNAL, message, 400) is LeanCloudAPIError
    assert error_class_for(Code.INTERNAL, message, 404) is LeanCloudAPIError
    assert error_class_for(Code.INTERNAL, message, 401) is LeanCloudAuthError
    assert error_class_for(Code.INTERNAL, message, 500) is LeanCloudUnavailable
    assert error_class_for(Code.INTERNAL, message, 503) is LeanCloudUnavailable


@pytest.mark.parametrize("code", [2, 210, 603, 9999])
def test_refinements_only_apply_to_code_1(code: int) -> None:
    cls = EXPECTED.get(code, LeanCloudAPIError)
    assert error_class_for(code, MESSAGE_SMS_TOO_FAST, 400) is cls
    assert error_class_for(code, LOCKED_BY_CODE_1, 400) is cls
    assert error_class_for(code, MESSAGE_MASTER_KEY_REQUIRED, 400) is cls


# --- unknown codes --------------------------------------------------------------------------


@pytest.mark.parametrize("code", [0, -1, 2, 100, 140, 142, 207, 208, 250, 305, 504, 9999])
@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, LeanCloudAPIError),
        (403, LeanCloudAPIError),
        (404, LeanCloudAPIError),
        (409, LeanCloudAPIError),
        (429, LeanCloudAPIError),
        (401, LeanCloudAuthError),
        (500, LeanCloudUnavailable),
        (502, LeanCloudUnavailable),
        (503, LeanCloudUnavailable),
        (504, LeanCloudUnavailable),
        (599, LeanCloudUnavailable),
    ],
)
def test_unknown_codes_fall_back_by_status(
    code: int, status: int, cls: type[LeanCloudAPIError]
) -> None:
    assert code not in ERROR_CLASSES
    assert error_class_for(code, "Whatever the service said.", status) is cls


# --- the hierarchy and the error values --------------------------------------------------


def test_hierarchy() -> None:
    for cls in set(EXPECTED.values()):
        assert issubclass(cls, LeanCloudAPIError)
    assert issubclass(LeanCloudAPIError, LeanCloudError)
    assert issubclass(LeanCloudTimeout, LeanCloudConnectionError)
    assert issubclass(LeanCloudConnectionError, LeanCloudError)
    assert issubclass(LeanCloudBadResponse, LeanCloudError)
    assert not issubclass(LeanCloudBadResponse, LeanCloudAPIError)
    assert not issubclass(LeanCloudConnectionError, LeanCloudAPIError)
    assert issubclass(LeanCloudInvalidArgument, ValueError)
    assert issubclass(LeanCloudError, Exception)


def test_error_attributes_and_defaults() -> None:
    error = LeanCloudInvalidCode("Invalid SMS code.", code=603, status=400)
    assert (error.message, error.code, error.status, error.request_sent) == (
        "Invalid SMS code.", 603, 400, True,
    )  # fmt: skip
    assert str(error) == "Invalid SMS code."
    bare = LeanCloudError("x")
    assert (bare.code, bare.status, bare.request_sent) == (None, None, True)
    refused = LeanCloudInvalidArgument("invalid SMS code")
    assert (refused.code, refused.status, refused.request_sent) == (None, None, False)


@pytest.mark.parametrize(
    ("error", "text"),
    [
        (
            LeanCloudInvalidCode("Invalid SMS code.", code=603, status=400),
            "LeanCloudInvalidCode(code=603, status=400, request_sent=True)",
        ),
        (
            LeanCloudTimeout("connect timeout", request_sent=False),
            "LeanCloudTimeout(code=None, status=None, request_sent=False)",
        ),
        (
            LeanCloudBadResponse("redirect refused", status=302),
            "LeanCloudBadResponse(code=None, status=302, request_sent=True)",
        ),
        (
            LeanCloudInvalidArgument("invalid phone number"),
            "LeanCloudInvalidArgument(code=None, status=None, request_sent=False)",
        ),
    ],
)
def test_repr_shows_code_status_and_request_sent(error: LeanCloudError, text: str) -> None:
    assert repr(error) == text


def test_repr_leaves_out_the_upstream_text() -> None:
    error = LeanCloudUnavailable("secret-ish upstream detail +8613800138000", code=1, status=500)
    assert "upstream detail" not in repr(error)
    assert "+8613800138000" not in repr(error)
