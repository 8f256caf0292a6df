"""Finding 15 (step 8), the compat endpoints: rules ``auth/phone/`` had and compat did not.

- ``requestSmsCode`` took any number of template variables of any size: it now applies the
  API's rules (``inputs.template_variables``), code 1 with the rule broken.
- ``X-LC-Sign`` timestamps were never checked (a master signature dated 1970 worked): one
  further than ``SIGN_MAX_AGE`` from the limits' clock, either way, is 401 now. The emulator,
  like LeanCloud (which documents no window), still takes any.
- Fixed-line numbers (``+861012345678``) were sent codes: only ``CODE_NUMBER_TYPES`` are
  (127 here, ``phone_not_allowed`` at ``auth/phone/``: ``tests/app/test_number_types.py``).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from django_lc_phone.emulator import Emulator
from django_lc_phone.leancloud.wire import HEADER_ID, HEADER_SIGN, Code, sign_header
from django_lc_phone.sms import locmem
from django_lc_phone.testing.inprocess import wsgi_session
from tests.app._api import BAD_TEMPLATE_VARIABLES, lc_phone_settings
from tests.compat._wire import PHONE, assert_error, signup
from tests.compat.conftest import APP_ID, APP_KEY, LC, MASTER_KEY, key_headers
from tests.limiter import FakeClock

TEMPLATE = "Order_Notice"  # the test settings' SMS_TEMPLATES

# --- template variables ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "variables", list(BAD_TEMPLATE_VARIABLES.values()), ids=list(BAD_TEMPLATE_VARIABLES)
)
def test_finding15_template_variables_breaking_the_apis_rules_are_code_1(
    variables: dict[str, Any], lc: LC
) -> None:
    """Finding 15: compat ``requestSmsCode`` refuses what ``sms-code/`` refuses (code 1, a
    message naming the rule), and nothing is sent."""
    body = {"mobilePhoneNumber": PHONE, "template": TEMPLATE, **variables}
    answer = lc.post("requestSmsCode", body)
    assert_error(answer, Code.INTERNAL, 400)
    assert "template variable" in answer.json()["error"]
    assert locmem.outbox == []


def test_finding15_variables_within_the_rules_are_sent(lc: LC) -> None:
    """Finding 15: the most the rules allow is sent: 16 variables of 128 characters, numbers
    read as text (LeanCloud's SDKs send them as given)."""
    variables: dict[str, Any] = {f"v{i}": "x" * 128 for i in range(14)}
    variables |= {"order_id": 7, "amount": 12.5}
    body = {"mobilePhoneNumber": PHONE, "template": TEMPLATE, "ttl": 5, **variables}
    assert lc.post("requestSmsCode", body).status_code == 200
    [message] = locmem.outbox
    assert message.variables == {k: str(v) for k, v in variables.items()}


def test_finding15_without_a_template_other_keys_are_ignored(lc: LC) -> None:
    """Finding 15: the rules apply to a template's variables: a code request without a
    template ignores other keys, as before (LeanCloud's SDKs send ``name``, ``op``...)."""
    body = {"mobilePhoneNumber": PHONE, **BAD_TEMPLATE_VARIABLES["too many"]}
    assert lc.post("requestSmsCode", body).status_code == 200
    [message] = locmem.outbox
    assert message.variables == {}


# --- X-LC-Sign timestamps --------------------------------------------------------------------


def _signed(key: str, moment: float, *, master: bool = False) -> dict[str, str]:
    return {HEADER_ID: APP_ID, HEADER_SIGN: sign_header(key, int(moment * 1000), master=master)}


def test_finding15_a_master_signature_dated_1970_is_401(lc: LC) -> None:
    """Finding 15: a master-key signature of 1970 (or any replayed old one) is refused as a
    bad signature is, 401 ``Unauthorized.``; it is otherwise a good one."""
    user = signup(lc)
    path = f"users/{user['objectId']}"
    old = _signed(MASTER_KEY, 1.0, master=True)
    assert_error(lc.get(path, headers=old), Code.UNAUTHORIZED)
    assert lc.get(path, master=True).status_code == 200


@pytest.mark.parametrize(("offset", "accepted"), [(-901, False), (-899, True), (899, True),
                                                   (901, False)])  # fmt: skip
def test_finding15_a_signature_more_than_sign_max_age_away_is_401(
    offset: float, accepted: bool, lc: LC, limiter_clock: FakeClock
) -> None:
    """Finding 15: ``SIGN_MAX_AGE`` (900 s by default) either way from the limits' clock, for
    the app key and the master key alike."""
    limiter_clock.advance(3600)  # the limits' clock, not the machine's, is the reference
    for key, master in ((APP_KEY, False), (MASTER_KEY, True)):
        headers = _signed(key, limiter_clock.now + offset, master=master)
        answer = lc.get("users/me", headers=headers)
        if accepted:
            assert_error(answer, Code.USER_NOT_FOUND)  # in: no session, 211
        else:
            assert_error(answer, Code.UNAUTHORIZED)
            assert answer.json() == {"code": 401, "error": "Unauthorized."}


def test_finding15_sign_max_age_is_a_setting(lc: LC, limiter_clock: FakeClock) -> None:
    """Finding 15: ``SIGN_MAX_AGE`` sets the window; None takes any timestamp."""
    headers = _signed(APP_KEY, limiter_clock.now - 120)
    with lc_phone_settings(SIGN_MAX_AGE=60):
        assert_error(lc.get("users/me", headers=headers), Code.UNAUTHORIZED)
    with lc_phone_settings(SIGN_MAX_AGE=None):
        assert_error(lc.get("users/me", headers=_signed(APP_KEY, 1.0)), Code.USER_NOT_FOUND)


def test_finding15_x_lc_key_has_no_timestamp_to_check(lc: LC, limiter_clock: FakeClock) -> None:
    """Finding 15: a plain ``X-LC-Key`` carries no timestamp and is not refused by age."""
    limiter_clock.advance(-(10**6))
    assert_error(lc.get("users/me", headers=key_headers()), Code.USER_NOT_FOUND)


def test_finding15_the_emulator_still_takes_any_timestamp() -> None:
    """Finding 15: LeanCloud documents no window (``leancloud-rest-api.md``: UNKNOWN), so the
    emulator takes a signature of 1970, as it did."""
    emulator = Emulator()
    config = emulator.config
    session = wsgi_session(emulator, "http://emulator.test")
    headers = {
        HEADER_ID: config.app_id,
        HEADER_SIGN: sign_header(config.master_key, 1000, master=True),
    }
    answer = session.get("http://emulator.test/1.1/users/me", headers=headers)
    assert answer.json()["code"] == Code.USER_NOT_FOUND  # authenticated, then no session


# --- number types -----------------------------------------------------------------------------

FIXED_LINE = "+861012345678"  # Beijing


@pytest.mark.parametrize(
    "path", ["requestSmsCode", "requestLoginSmsCode", "requestPasswordResetBySmsCode",
             "requestMobilePhoneVerify"],
)  # fmt: skip
def test_finding15_no_code_to_a_fixed_line_number(path: str, lc: LC) -> None:
    """Finding 15: a fixed line cannot receive an SMS: 127, as for a blocked number, and
    nothing is sent."""
    assert_error(lc.post(path, {"mobilePhoneNumber": FIXED_LINE}), Code.INVALID_PHONE)
    assert locmem.outbox == []


def test_finding15_no_phone_change_code_to_a_fixed_line_number(lc: LC) -> None:
    """Finding 15: nor a change-phone code, for a signed-in user."""
    token = str(signup(lc)["sessionToken"])
    locmem.outbox.clear()
    body = {"mobilePhoneNumber": FIXED_LINE}
    assert_error(lc.post("requestChangePhoneNumber", body, session=token), Code.INVALID_PHONE)
    assert locmem.outbox == []


def test_finding15_code_number_types_decides(lc: LC) -> None:
    """Finding 15: a site that sends codes to fixed lines (voice calls, say) says so."""
    with lc_phone_settings(CODE_NUMBER_TYPES=("MOBILE", "FIXED_LINE_OR_MOBILE", "FIXED_LINE")):
        assert lc.post("requestSmsCode", {"mobilePhoneNumber": FIXED_LINE}).status_code == 200
    assert len(locmem.outbox) == 1


def test_the_compat_client_signs_at_the_limits_clock(limiter_clock: FakeClock) -> None:
    """The test client's signatures follow the limits' clock, so the tests that move it keep
    being let in (``tests/compat/conftest.py``)."""
    limiter_clock.advance(86400)
    assert LC(Client()).get("users/me").json()["code"] == Code.USER_NOT_FOUND
