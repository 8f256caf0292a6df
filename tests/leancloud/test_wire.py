"""Wire facts shared by the client and the emulator: signing, key headers, dates, ids, errors."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta, timezone

import pytest

from django_lc_phone.leancloud.wire import (
    OBJECT_ID_RE,
    SESSION_TOKEN_RE,
    check_key_header,
    check_sign_header,
    compute_sign,
    error_body,
    error_status,
    format_date,
    format_timestamp,
    new_object_id,
    new_session_token,
    parse_date,
    sign_header,
)

# The worked example of leancloud-rest-api.md §1.3 (LeanCloud's "更安全的鉴权方式").
APP_KEY = "UtOCzqb67d3sN12Kts4URwy8"
MASTER_KEY = "DyJegPlemooo4X1tg94gQkw1"
TIMESTAMP = 1453014943466
APP_SIGN = "d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466"
MASTER_SIGN = "e074720658078c898aa0d4b1b82bdf4b,1453014943466,master"

DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


# --- signing --------------------------------------------------------------------------------


def test_documented_signing_example() -> None:
    assert compute_sign(APP_KEY, TIMESTAMP) == "d5bcbb897e19b2f6633c716dfdfaf9be"
    assert compute_sign(MASTER_KEY, TIMESTAMP) == "e074720658078c898aa0d4b1b82bdf4b"
    assert sign_header(APP_KEY, TIMESTAMP) == APP_SIGN
    assert sign_header(MASTER_KEY, TIMESTAMP, master=True) == MASTER_SIGN


def test_sign_is_md5_of_timestamp_then_key_in_lowercase_hex() -> None:
    for key, ts in [("k", 0), ("another-key", 1), (APP_KEY, 1_700_000_000_123)]:
        expected = hashlib.md5(f"{ts}{key}".encode(), usedforsecurity=False).hexdigest()
        assert compute_sign(key, ts) == expected
        assert re.fullmatch(r"[0-9a-f]{32}", compute_sign(key, ts))


def test_check_sign_header_accepts_the_documented_values() -> None:
    assert check_sign_header(APP_SIGN, APP_KEY, MASTER_KEY) == "app"
    assert check_sign_header(APP_SIGN, APP_KEY, None) == "app"
    assert check_sign_header(MASTER_SIGN, APP_KEY, MASTER_KEY) == "master"


def test_check_sign_header_round_trips_sign_header() -> None:
    for ts in (0, 1, 1_700_000_000_000, 9_999_999_999_999):
        assert check_sign_header(sign_header(APP_KEY, ts), APP_KEY, MASTER_KEY) == "app"
        master = sign_header(MASTER_KEY, ts, master=True)
        assert check_sign_header(master, APP_KEY, MASTER_KEY) == "master"


def test_check_sign_header_rejects_uppercase_hex() -> None:
    sign, ts = APP_SIGN.split(",")
    assert check_sign_header(f"{sign.upper()},{ts}", APP_KEY, MASTER_KEY) is None
    msign, mts, suffix = MASTER_SIGN.split(",")
    assert check_sign_header(f"{msign.upper()},{mts},{suffix}", APP_KEY, MASTER_KEY) is None


def test_check_sign_header_rejects_wrong_keys() -> None:
    assert check_sign_header(APP_SIGN, "wrong-app-key", MASTER_KEY) is None
    assert check_sign_header(MASTER_SIGN, APP_KEY, "wrong-master-key") is None
    # The app key's signature with a master suffix, and the master key's without one.
    assert check_sign_header(APP_SIGN + ",master", APP_KEY, MASTER_KEY) is None
    assert check_sign_header(MASTER_SIGN.removesuffix(",master"), APP_KEY, MASTER_KEY) is None
    # Another timestamp than the one signed.
    sign = APP_SIGN.split(",")[0]
    assert check_sign_header(f"{sign},{TIMESTAMP + 1}", APP_KEY, MASTER_KEY) is None


def test_check_sign_header_rejects_a_master_suffix_without_a_master_key() -> None:
    assert check_sign_header(MASTER_SIGN, APP_KEY, None) is None
    assert check_sign_header(MASTER_SIGN, APP_KEY, "") is None
    # Not even a value signed with the empty string as the master key.
    empty_signed = sign_header("", TIMESTAMP, master=True)
    assert check_sign_header(empty_signed, APP_KEY, None) is None
    assert check_sign_header(empty_signed, APP_KEY, "") is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        ",",
        ",,",
        "d5bcbb897e19b2f6633c716dfdfaf9be",
        "d5bcbb897e19b2f6633c716dfdfaf9be,",
        ",1453014943466",
        "d5bcbb897e19b2f6633c716dfdfaf9be,abc",
        "d5bcbb897e19b2f6633c716dfdfaf9be,-1453014943466",
        "d5bcbb897e19b2f6633c716dfdfaf9be,+1453014943466",
        "d5bcbb897e19b2f6633c716dfdfaf9be, 1453014943466",
        "d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466 ",
        "d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466.0",
        "d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466,",
        "d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466,Master",
        "d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466,app",
        "d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466,master,master",
        "d5bcbb897e19b2f6633c716dfdfaf9be;1453014943466",
        " d5bcbb897e19b2f6633c716dfdfaf9be,1453014943466",
        "d5bcbb897e19b2f6633c716dfdfaf9bé,1453014943466",
        # Non-ASCII "digits": str.isdigit() accepts them, int() refuses or reads them.
        "d5bcbb897e19b2f6633c716dfdfaf9be,²",
        "d5bcbb897e19b2f6633c716dfdfaf9be,١٤٥٣٠١٤٩٤٣٤٦٦",
        "d5bcbb897e19b2f6633c716dfdfaf9be,１４５３０１４９４３４６６",
        # More digits than int() converts by default (4300): must be refused, not raise.
        "d5bcbb897e19b2f6633c716dfdfaf9be," + "1" * 5000,
    ],
)
def test_check_sign_header_rejects_malformed_values(value: str) -> None:
    assert check_sign_header(value, APP_KEY, MASTER_KEY) is None


def test_check_sign_header_never_accepts_non_ascii_digits_even_when_correctly_signed() -> None:
    """``int("١٢٣") == 123``: a signature over ``123`` must not validate with Arabic digits."""
    sign = compute_sign(APP_KEY, 123)
    assert check_sign_header(f"{sign},123", APP_KEY, None) == "app"
    assert check_sign_header(f"{sign},١٢٣", APP_KEY, None) is None


# --- X-LC-Key -------------------------------------------------------------------------------


def test_check_key_header() -> None:
    assert check_key_header(APP_KEY, APP_KEY, MASTER_KEY) == "app"
    assert check_key_header(APP_KEY, APP_KEY, None) == "app"
    assert check_key_header(f"{MASTER_KEY},master", APP_KEY, MASTER_KEY) == "master"


@pytest.mark.parametrize(
    ("value", "master_key"),
    [
        ("wrong", MASTER_KEY),
        ("", MASTER_KEY),
        (APP_KEY.upper(), MASTER_KEY),
        (APP_KEY + " ", MASTER_KEY),
        (f"{APP_KEY},master", MASTER_KEY),  # the app key cannot claim master rights
        (MASTER_KEY, MASTER_KEY),  # the master key without its suffix is not the app key
        (f"{MASTER_KEY},master", None),  # no master key configured
        (f"{MASTER_KEY},master", ""),
        (",master", ""),
        (",master", None),
        (f"{MASTER_KEY},Master", MASTER_KEY),
        (f"{MASTER_KEY},master,master", MASTER_KEY),
        ("wrong,master", MASTER_KEY),
        ("ключ", MASTER_KEY),
    ],
)
def test_check_key_header_rejects(value: str, master_key: str | None) -> None:
    assert check_key_header(value, APP_KEY, master_key) is None


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (datetime(2016, 1, 17, 7, 15, 43, 466000, timezone.utc), "2016-01-17T07:15:43.466Z"),
        (datetime(2024, 2, 29, 23, 59, 59, 999999, timezone.utc), "2024-02-29T23:59:59.999Z"),
        (datetime(2024, 1, 1, 0, 0, 0, 0, timezone.utc), "2024-01-01T00:00:00.000Z"),
        (datetime(2024, 1, 1, 0, 0, 0, 1000, timezone.utc), "2024-01-01T00:00:00.001Z"),
        (  # another offset is converted to UTC
            datetime(2024, 1, 1, 8, 0, 0, 5000, timezone(timedelta(hours=8))),
            "2024-01-01T00:00:00.005Z",
        ),
    ],
)
def test_format_date(moment: datetime, text: str) -> None:
    assert format_date(moment) == text
    assert DATE_RE.fullmatch(format_date(moment))


def test_format_timestamp_and_parse_date() -> None:
    assert format_timestamp(0) == "1970-01-01T00:00:00.000Z"
    assert format_timestamp(TIMESTAMP / 1000) == "2016-01-17T07:15:43.466Z"
    parsed = parse_date("2016-01-17T07:15:43.466Z")
    assert parsed == datetime(2016, 1, 17, 7, 15, 43, 466000, timezone.utc)
    assert format_date(parsed) == "2016-01-17T07:15:43.466Z"
    for text in ("2016-01-17T07:15:43.466", "2016-01-17T07:15:43.466+00:00", "yesterday"):
        with pytest.raises(ValueError):  # noqa: PT011 - any ValueError is the contract
            parse_date(text)


# --- ids and tokens -------------------------------------------------------------------------


def test_new_object_id_shape() -> None:
    ids = {new_object_id() for _ in range(500)}
    assert len(ids) == 500
    for object_id in ids:
        assert re.fullmatch(r"[0-9a-f]{24}", object_id)
        assert OBJECT_ID_RE.fullmatch(object_id)


def test_new_session_token_shape() -> None:
    tokens = {new_session_token() for _ in range(500)}
    assert len(tokens) == 500
    for token in tokens:
        assert re.fullmatch(r"[a-z0-9]{25}", token)
        assert SESSION_TOKEN_RE.fullmatch(token)


def test_id_patterns_refuse_what_could_alter_a_path_or_a_header() -> None:
    for bad in ("", "a" * 23, "a" * 25, "A" * 24, "../" + "a" * 21, "a" * 23 + "\n"):
        assert OBJECT_ID_RE.fullmatch(bad) is None
    for bad in ("", "short", "a" * 129, "a" * 20 + "/x", "a" * 20 + "\r\nX: y", "a" * 20 + " "):
        assert SESSION_TOKEN_RE.fullmatch(bad) is None


# --- error bodies ---------------------------------------------------------------------------


def test_error_body_and_status() -> None:
    assert error_body(603) == {"code": 603, "error": "Invalid SMS code."}
    assert error_body(603, "custom") == {"code": 603, "error": "custom"}
    assert error_body(424242) == {"code": 424242, "error": "Unknown error."}
    assert error_status(603) == 400
    assert error_status(211) == 400  # observed: a missing user is a 400, not a 404
    assert error_status(101) == 404
    assert error_status(206) == 403
    assert error_status(401) == 401
    assert error_status(429) == 429
    assert error_status(503) == 503
    assert error_status(424242) == 400
