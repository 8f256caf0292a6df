"""phone.normalize_phone: what a person may type, and the one E.164 form it becomes."""

from __future__ import annotations

from typing import Any

import phonenumbers
import pytest
from django.core.signals import request_finished, request_started
from django.test import override_settings

from django_lc_phone import phone
from django_lc_phone.exceptions import InvalidPhoneNumber
from django_lc_phone.phone import normalize_phone
from tests import settings as test_settings

E164 = "+8613800138000"


@pytest.mark.parametrize(
    "typed",
    [
        "+8613800138000",
        "13800138000",  # national, with DEFAULT_REGION "CN"
        "+86 138-0013-8000",
        "+86 138 0013 8000",
        "+86.138.0013.8000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 (138) 0013 8000",
        "+86-138-0013-8000",
    ],
)
def test_equivalent_formats_give_one_e164(typed: str) -> None:
    assert normalize_phone(typed) == E164


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("+1 202-555-0123", "+12025550123"),
        ("+44 20 7946 0958", "+442079460958"),
        ("+852 5123 4567", "+85251234567"),
        ("010 1234 5678", "+861012345678"),  # a Beijing landline, national form
    ],
)
def test_other_countries_and_landlines(typed: str, e164: str) -> None:
    assert normalize_phone(typed) == e164


@pytest.mark.parametrize(
    "value",
    [
        "",
        " ",
        "abc",
        "+86abc13800138000",
        None,
        [],
        ["+8613800138000"],
        {"phone": "+8613800138000"},
        123,
        8613800138000,
        13800138000.0,
        True,
        b"+8613800138000",
        "1" * 16,
        "+" + "8" * 16,
        "+86 " + "1" * 40,
        "138",
        "+86 138",
        "1380013800",  # one digit short
        "138001380001",  # one digit long
        "+8612345678901",  # no such mobile range
        "+86\n13800138000",
        "++8613800138000",
        "+86 138 0013 8000 ext. 12",
        "tel:+8613800138000",
        "1-800-FLOWERS",
        "(+86)13800138000",
        "+86/13800138000",
        "+86_13800138000",
    ],
)
def test_malformed_input_is_refused(value: Any) -> None:
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(value)


def test_the_region_argument_wins_over_the_setting() -> None:
    assert normalize_phone("650 253 0000", region="US") == "+16502530000"
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone("650 253 0000")  # not a valid Chinese number


def _lc_phone(**changes: Any) -> dict[str, Any]:
    return {**test_settings.LC_PHONE, **changes}


def test_without_a_default_region_national_numbers_are_refused() -> None:
    with override_settings(LC_PHONE=_lc_phone(DEFAULT_REGION=None)):
        with pytest.raises(InvalidPhoneNumber):
            normalize_phone("13800138000")
        with pytest.raises(InvalidPhoneNumber):
            normalize_phone("138 0013 8000")
        assert normalize_phone("+86 138 0013 8000") == E164
    assert normalize_phone("13800138000") == E164  # the override ended: "CN" again


def test_the_default_region_is_read_when_used() -> None:
    with override_settings(LC_PHONE=_lc_phone(DEFAULT_REGION="US")):
        assert normalize_phone("650 253 0000") == "+16502530000"
        with pytest.raises(InvalidPhoneNumber):
            normalize_phone("13800138000")


def test_the_error_says_nothing_about_the_input() -> None:
    with pytest.raises(InvalidPhoneNumber) as info:
        normalize_phone("+86 138 0013 800")
    assert str(info.value) == "Enter a valid phone number."


def test_a_number_read_twice_in_one_request_is_parsed_once_and_never_across_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []
    real_parse = phonenumbers.parse

    def counting(value: str, region: str | None = None) -> Any:
        parsed.append(value)
        return real_parse(value, region)

    monkeypatch.setattr(phonenumbers, "parse", counting)
    request_started.send(sender=None)
    try:
        for _ in range(3):
            assert normalize_phone("+86 138 0013 8000") == E164
        assert len(parsed) == 1
        # Another region is another reading of the same digits.
        assert normalize_phone("650 253 0000", region="US") == "+16502530000"
        assert len(parsed) == 2
        # A refused number is read again each time (nothing is kept for it).
        for _ in range(2):
            with pytest.raises(InvalidPhoneNumber):
                normalize_phone("+86 138 0013 800")
        assert len(parsed) == 4
        # A flood of numbers in one request keeps no more than the bound.
        for i in range(phone.PARSED_NUMBERS_KEPT + 10):
            normalize_phone(f"+8613{i:09d}")
        kept = phone._parsed_in_request.get()
        assert kept is not None
        assert len(kept) == phone.PARSED_NUMBERS_KEPT
    finally:
        request_finished.send(sender=None)
    # The next request, and code outside any request, read the number again: no later
    # answer is faster for a number somebody typed before (a timing oracle).
    request_started.send(sender=None)
    try:
        assert normalize_phone("+86 138 0013 8000") == E164
    finally:
        request_finished.send(sender=None)
    assert normalize_phone("+86 138 0013 8000") == E164
    assert parsed[-2:] == ["+86 138 0013 8000", "+86 138 0013 8000"]
