"""``codes.match_any``: the number of a live code, for clients that send a code alone."""

from __future__ import annotations

import secrets
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from django_lc_phone.exceptions import InvalidCode
from django_lc_phone.models import PhoneCode
from django_lc_phone.providers.local import codes

PHONE = "+8613800138000"
OTHER = "+8613900139000"
THIRD = "+8613700137000"


def _fixed_code(monkeypatch: pytest.MonkeyPatch, value: int) -> None:
    monkeypatch.setattr(secrets, "randbelow", lambda _: value)


def test_the_number_of_a_live_code_is_found_and_the_code_left_unspent() -> None:
    code = codes.issue(PHONE, "verify_phone")
    other = codes.issue(OTHER, "verify_phone")
    assert codes.match_any("verify_phone", code) == PHONE
    assert codes.match_any("verify_phone", other) == OTHER
    assert not PhoneCode.objects.filter(used_at__isnull=False).exists()
    codes.spend(PHONE, "verify_phone", code)  # the caller spends it, with the number found
    with pytest.raises(InvalidCode):
        codes.match_any("verify_phone", code)


def test_a_wrong_code_or_another_purposes_code_matches_nothing() -> None:
    code = codes.issue(PHONE, "verify_phone")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(InvalidCode):
        codes.match_any("verify_phone", wrong)
    with pytest.raises(InvalidCode):
        codes.match_any("reset_password", code)


def test_used_replaced_and_expired_codes_match_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_code(monkeypatch, 111111)
    codes.issue(PHONE, "reset_password")
    _fixed_code(monkeypatch, 222222)
    codes.issue(PHONE, "reset_password")  # voids the first
    with pytest.raises(InvalidCode):
        codes.match_any("reset_password", "111111")
    assert codes.match_any("reset_password", "222222") == PHONE
    PhoneCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(InvalidCode):
        codes.match_any("reset_password", "222222")


def test_a_code_bound_to_a_user_is_not_matched() -> None:
    user = get_user_model().objects.create(username="alice")
    code = codes.issue(OTHER, "change_phone", user)
    with pytest.raises(InvalidCode):
        codes.match_any("change_phone", code)


def test_a_code_two_numbers_hold_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    _fixed_code(monkeypatch, 123456)
    codes.issue(PHONE, "verify_phone")
    codes.issue(OTHER, "verify_phone")
    with pytest.raises(InvalidCode):
        codes.match_any("verify_phone", "123456")
    codes.spend(PHONE, "verify_phone", "123456")  # with its number it still works
    assert codes.match_any("verify_phone", "123456") == OTHER


def test_only_the_newest_candidates_are_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(codes, "MATCH_ANY_CANDIDATES", 2)
    for value, phone in ((111111, PHONE), (222222, OTHER), (333333, THIRD)):
        _fixed_code(monkeypatch, value)
        codes.issue(phone, "verify_phone")
        if phone == PHONE:
            PhoneCode.objects.update(created_at=timezone.now() - timedelta(minutes=1))
    assert codes.match_any("verify_phone", "333333") == THIRD
    assert codes.match_any("verify_phone", "222222") == OTHER
    with pytest.raises(InvalidCode):
        codes.match_any("verify_phone", "111111")  # live, but not among the newest two
