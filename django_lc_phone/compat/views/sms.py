"""Generic codes (``requestSmsCode``, ``verifySmsCode``) and the CAPTCHA that may gate every
code request (``requestCaptcha``, ``verifyCaptcha``)."""

from __future__ import annotations

from typing import Any, Final

from ... import services
from ...inputs import template_variables
from ...leancloud.protocol import ProtocolError, bad_request
from ...leancloud.wire import CAPTCHA_TOKEN_RE, REQUEST_SMS_CODE_KEYS, Code
from ..http import Answer, Call, endpoint
from ..users import code_field, phone_field
from .common import validate_token

# A CAPTCHA token and answer as ``auth/phone/captcha/verify/`` accepts them (607 otherwise).
_CAPTCHA_ANSWER_MAX: Final = 16


@endpoint("POST", "sms_code")
def request_sms_code(call: Call) -> Answer:
    """``POST /1.1/requestSmsCode``: a generic code, or an allowlisted template's message."""
    phone = call.phone = phone_field(call.body)
    sms_type = call.body.get("smsType", "sms")
    if sms_type not in ("sms", "voice"):
        raise bad_request("smsType must be sms or voice.")
    template = call.body.get("template")
    if template is not None and not isinstance(template, str):
        raise ProtocolError(Code.INCORRECT_TYPE)
    variables = _template_variables(call.body) if template else None
    services.send_code(
        phone,
        request=call.request,
        sms_type=sms_type,
        template=template,
        variables=variables,
        validate_token=validate_token(call),
    )
    return Answer({})


def _template_variables(body: dict[str, Any]) -> dict[str, str] | None:
    """A template's variables: the body's other keys, as LeanCloud reads them, within the
    rules ``sms-code/`` applies (``inputs.template_variables``; code 1 with the rule broken)."""
    given = {k: v for k, v in body.items() if k not in REQUEST_SMS_CODE_KEYS}
    try:
        return template_variables(given) or None
    except ValueError as error:
        raise bad_request(str(error)) from None


@endpoint("POST", "sms_code_verify")
def verify_sms_code(call: Call, code: str) -> Answer:
    """``POST /1.1/verifySmsCode/<code>``: check and spend a generic code (``{}``)."""
    phone = call.phone = phone_field(call.body)
    sms_code = code_field(code)
    services.check_code(phone, sms_code, request=call.request, validate_token=validate_token(call))
    return Answer({})


@endpoint("GET")
def request_captcha(call: Call) -> Answer:
    """``GET /1.1/requestCaptcha``: a challenge (``captcha_token``, ``captcha_url``); the URL
    is the site verifier's (a ``data:`` image with the built-in one). ``width``, ``height``,
    ``size`` and ``ttl`` are ignored. A vendor's widget (Turnstile, reCAPTCHA...) is no image
    LeanCloud's SDKs can show: 119, as LeanCloud answers with its CAPTCHA switched off; such
    clients get a ``validate_token`` from ``auth/phone/captcha/verify/`` instead."""
    challenge = services.request_captcha()
    if challenge.verifier != "image":
        raise ProtocolError(Code.OPERATION_FORBIDDEN)
    return Answer({"captcha_token": challenge.token, "captcha_url": challenge.url})


@endpoint("POST", "captcha_verify")
def verify_captcha(call: Call) -> Answer:
    """``POST /1.1/verifyCaptcha``: ``captcha_token`` and ``captcha_code`` give a
    ``validate_token``, good for one code request (607 for a wrong, spent, expired or malformed
    answer)."""
    token, answer = call.body.get("captcha_token"), call.body.get("captcha_code")
    if not isinstance(token, str) or not CAPTCHA_TOKEN_RE.fullmatch(token):
        raise ProtocolError(Code.INVALID_CAPTCHA)
    if not isinstance(answer, str) or not answer or len(answer) > _CAPTCHA_ANSWER_MAX:
        raise ProtocolError(Code.INVALID_CAPTCHA)
    return Answer({"validate_token": services.verify_captcha(token, answer, request=call.request)})
