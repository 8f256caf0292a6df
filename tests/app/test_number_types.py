"""Finding 15 (step 8), ``auth/phone/``: codes only to numbers that can receive an SMS, and
the template rules it shares with compat's ``requestSmsCode``.

``phone.ensure_can_receive_codes`` refuses a number whose type is not in
``CODE_NUMBER_TYPES`` (mobile, or fixed-line-or-mobile where a country's numbers do not tell),
as well as those of ``BLOCKED_NUMBER_TYPES``: ``400 phone_not_allowed``, with nothing sent.
The compat side is ``tests/compat/test_request_rules.py``.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from django_lc_phone.exceptions import PhoneNotAllowed
from django_lc_phone.phone import ensure_can_receive_codes
from tests import upstream
from tests.app._api import (
    BAD_TEMPLATE_VARIABLES,
    OTHER,
    assert_error,
    lc_phone_settings,
    post,
    signed_in,
)

FIXED_LINE = "+861012345678"  # Beijing: no SMS
UK_FIXED_LINE = "+442071234567"  # London
US_NUMBER = "+14155552671"  # the US does not tell mobiles from fixed lines
SEND_PATHS = ["sms-code/", "login/sms-code/", "password-reset/sms-code/"]


@pytest.mark.parametrize("path", SEND_PATHS)
def test_finding15_no_code_to_a_fixed_line_number(path: str, lc: upstream.CountingApp) -> None:
    """Finding 15: ``+861012345678`` is a valid number, but a fixed line: 400
    ``phone_not_allowed``, and LeanCloud is not asked to send anything."""
    response = post(APIClient(), path, {"phone": FIXED_LINE})
    assert_error(response, 400, "phone_not_allowed")
    assert lc.calls == []
    assert upstream.EMULATOR.messages() == []


def test_finding15_no_phone_change_code_to_a_fixed_line(lc: upstream.CountingApp) -> None:
    """Finding 15: nor a change-phone code for a signed-in user."""
    client, _user = signed_in()
    lc.calls.clear()
    response = post(client, "phone/change/sms-code/", {"phone": FIXED_LINE})
    assert_error(response, 400, "phone_not_allowed")
    assert lc.calls == []


def test_finding15_mobile_numbers_still_get_codes(lc: upstream.CountingApp) -> None:
    """Finding 15: the default ``CODE_NUMBER_TYPES`` lets mobiles (and a US number, which is
    "fixed line or mobile") through."""
    with lc_phone_settings(ALLOWED_REGIONS=["CN", "US"]):
        for phone in (OTHER, US_NUMBER):
            assert post(APIClient(), "sms-code/", {"phone": phone}).status_code == 202, phone
    assert len(lc.calls) == 2


@pytest.mark.parametrize(
    ("types", "blocked", "phone", "allowed"),
    [
        (("MOBILE", "FIXED_LINE_OR_MOBILE"), (), FIXED_LINE, False),
        (("MOBILE", "FIXED_LINE_OR_MOBILE"), (), UK_FIXED_LINE, False),
        (("MOBILE", "FIXED_LINE_OR_MOBILE", "FIXED_LINE"), (), FIXED_LINE, True),
        (("MOBILE",), (), US_NUMBER, False),
        (("MOBILE", "FIXED_LINE_OR_MOBILE"), (), US_NUMBER, True),
        # A blocked type stays blocked, whatever CODE_NUMBER_TYPES says.
        (("MOBILE", "PREMIUM_RATE"), ("PREMIUM_RATE",), "+8616812345", False),
        (("MOBILE", "NO_SUCH_TYPE"), (), FIXED_LINE, False),  # unknown names count for nothing
        ((), (), "+8613800138000", False),  # no type at all: nothing receives codes
    ],
)
def test_finding15_code_number_types_and_blocked_types(
    types: tuple[str, ...], blocked: tuple[str, ...], phone: str, allowed: bool
) -> None:
    """Finding 15: a number receives codes when its type is in ``CODE_NUMBER_TYPES`` and not
    in ``BLOCKED_NUMBER_TYPES``."""
    with lc_phone_settings(
        CODE_NUMBER_TYPES=types, BLOCKED_NUMBER_TYPES=blocked, ALLOWED_REGIONS="*"
    ):
        if allowed:
            ensure_can_receive_codes(phone)
        else:
            with pytest.raises(PhoneNotAllowed):
                ensure_can_receive_codes(phone)


# --- template variables: one set of rules for both surfaces -----------------------------------


@pytest.mark.parametrize(
    "variables", list(BAD_TEMPLATE_VARIABLES.values()), ids=list(BAD_TEMPLATE_VARIABLES)
)
def test_finding15_the_api_refuses_the_variables_compat_refuses(
    variables: dict[str, Any], api: APIClient, lc: upstream.CountingApp
) -> None:
    """Finding 15: what compat refuses (``BAD_TEMPLATE_VARIABLES``) ``sms-code/`` refuses too (its
    values must also be strings), by the same rules (``inputs.template_variables``)."""
    body = {"phone": OTHER, "template": "Order_Notice", "variables": variables}
    assert_error(post(api, "sms-code/", body), 400, "invalid", errors=True)
    assert lc.calls == []


@pytest.mark.parametrize("name", ["mobilePhoneNumber", "template", "sign", "validate_token"])
def test_finding15_requestsmscodes_own_fields_are_no_variables(name: str) -> None:
    """Finding 15: a variable may not set a field of requestSmsCode itself (the API sends its
    variables as that body's keys); the one list is ``wire.REQUEST_SMS_CODE_KEYS``."""
    from django_lc_phone.inputs import template_variables

    with pytest.raises(ValueError, match="requestSmsCode's own fields"):
        template_variables({name: "x"})
