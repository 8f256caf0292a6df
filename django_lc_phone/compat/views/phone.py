"""The user's number: verifying it (``requestMobilePhoneVerify``, ``verifyMobilePhone``) and
changing it (``requestChangePhoneNumber``, ``changePhoneNumber``)."""

from __future__ import annotations

from ... import services
from ...leancloud import protocol
from ...leancloud.protocol import ProtocolError
from ...leancloud.wire import Code
from .. import sessions
from ..http import Answer, Call, endpoint
from ..users import code_field, phone_field
from .common import phone_and_code, session_user, validate_token

# --- phone verification -----------------------------------------------------------------------


@endpoint("POST", "phone_verify_code")
def request_mobile_phone_verify(call: Call) -> Answer:
    """``POST /1.1/requestMobilePhoneVerify``: a code to the number of the account that has it,
    unless it is verified already. ``{}`` for every number, with the same limits spent and at
    once: the send leaves the request."""
    phone = call.phone = phone_field(call.body)
    services.send_verification_code_to_number(
        phone, request=call.request, validate_token=validate_token(call)
    )
    return Answer({})


@endpoint("POST", "phone_verify")
def verify_mobile_phone(call: Call, code: str) -> Answer:
    """``POST /1.1/verifyMobilePhone/<code>``: marks the number's user verified; answers
    ``objectId`` and ``updatedAt``. Without ``mobilePhoneNumber`` (the JS SDK 4.15.2) the
    code itself names the number."""
    phone, sms_code = phone_and_code(call, "verify_phone", code)
    profile = services.verify_number(
        phone, sms_code, request=call.request, validate_token=validate_token(call)
    )
    return Answer(protocol.update_answer(str(profile.lc_object_id), profile.updated_at))


# --- phone change -------------------------------------------------------------------------------


@endpoint("POST", "phone_change_code")
def request_change_phone_number(call: Call) -> Answer:
    """``POST /1.1/requestChangePhoneNumber``: a code to the new number, for the signed-in
    user (206 / 211); a number taken by another account is told apart only at the change."""
    user = session_user(call)
    phone = call.phone = phone_field(call.body)
    services.send_phone_change_code(
        user, phone, request=call.request, validate_token=validate_token(call)
    )
    return Answer({})


@endpoint("POST", "phone_change")
def change_phone_number(call: Call) -> Answer:
    """``POST /1.1/changePhoneNumber``: bind the new number with its ``code``; the user's
    other sessions end, the one making the change stays. Answers ``objectId``, ``updatedAt``.

    Without a session LeanCloud answers 603 for a wrong code, not 206 (python-sdk's
    ``test_change_phone_number``, run against the real service with nobody signed in). compat
    answers 603 to every sessionless call, after the number's and the code's shape (212 / 127 /
    603), without looking the code up or spending any attempt: the answer tells nothing about
    the code or the number, and a code changes only the number of the session that asked.
    """
    if call.session_token is None:
        call.phone = phone_field(call.body)
        code_field(call.body.get("code"))
        raise ProtocolError(Code.INVALID_SMS_CODE)
    user = session_user(call)
    phone = call.phone = phone_field(call.body)
    sms_code = code_field(call.body.get("code"))
    sessions.keep_on_revoke(call.request, call.session_token)
    profile = services.change_phone(
        user, phone, sms_code, request=call.request, validate_token=validate_token(call)
    )
    return Answer(protocol.update_answer(str(profile.lc_object_id), profile.updated_at))
