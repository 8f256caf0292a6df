"""System checks of ``TEST_NUMBERS``: a malformed entry (E032), test numbers under LeanCloud
without the master key (E033), a test number that never expires in production (W031); no
message shows a fixed code or a whole number."""

from __future__ import annotations

from typing import Any

import pytest

from tests.checks._checks import configured, ids, lc_phone_messages

pytestmark = pytest.mark.usefixtures("redis_never_evicts")

NUMBER = "+8613800000000"
CODE = "975310"
GOOD = {NUMBER: {"code": CODE, "expires": "2027-06-30"}}


def _messages(test_numbers: Any, *, debug: bool = False, **more: Any) -> list[Any]:
    with configured(debug=debug, TEST_NUMBERS=test_numbers, **more):
        return [m for m in lc_phone_messages() if "TEST_NUMBERS" in m.msg]


def test_a_well_formed_entry_with_an_expiry_is_quiet() -> None:
    assert _messages(GOOD) == []
    assert _messages({}) == []


@pytest.mark.parametrize(
    ("number", "entry", "reason"),
    [
        ("13800000000", {"code": CODE}, "E.164"),
        ("+86 138 0000 0000", {"code": CODE}, "E.164"),
        ("+861380000", {"code": CODE}, "E.164"),
        (86, {"code": CODE}, "E.164"),
        (NUMBER, {"code": "12345"}, "six digits"),
        (NUMBER, {"code": 123456}, "six digits"),
        (NUMBER, {"code": "12345a"}, "six digits"),
        (NUMBER, {}, "a dict with 'code'"),
        (NUMBER, "123456", "a dict with 'code'"),
        (NUMBER, {"code": CODE, "expiry": "2027-06-30"}, "a dict with 'code'"),
        (NUMBER, {"code": CODE, "expires": "30/06/2027"}, "not a date"),
        (NUMBER, {"code": CODE, "expires": "2027-02-30"}, "not a date"),
        (NUMBER, {"code": CODE, "expires": 20270630}, "not a date"),
    ],
)
def test_a_malformed_entry_is_e030_without_its_code(number: Any, entry: Any, reason: str) -> None:
    [message] = _messages({number: entry}, debug=True)
    assert message.id == "lc_phone.E032"
    assert reason in message.msg
    assert CODE not in message.msg + (message.hint or "")
    assert "13800000000" not in message.msg  # masked


def test_no_expiry_warns_in_production_only() -> None:
    entry = {NUMBER: {"code": CODE}}
    [message] = _messages(entry)
    assert message.id == "lc_phone.W031"
    assert CODE not in message.msg
    assert _messages(entry, debug=True) == []
    assert _messages({NUMBER: {"code": CODE, "expires": None}}, debug=True) == []


def test_leancloud_test_numbers_need_the_master_key() -> None:
    assert ids(_messages(GOOD, MASTER_KEY="")) == ["lc_phone.E033"]
    assert _messages(GOOD, MASTER_KEY="", PROVIDER="local", SMS_GATEWAY=None) == []


def test_a_value_that_is_no_dict_is_e011_once() -> None:
    [message] = _messages([NUMBER])
    assert message.id == "lc_phone.E011"
    assert NUMBER not in message.msg  # a secret: shown by its type
