"""Generic codes: sent to any number the site allows (``sms-code/``, ``requestSmsCode``),
checked and spent for the site's own flows (``sms-code/verify/``, ``verifySmsCode``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest

from ..conf import get_settings
from ..exceptions import NotAllowed
from ..guards import limits
from ..providers import testnumbers
from ..providers.base import SmsType
from .provider import provider


def ensure_send_allowed(sms_type: SmsType, template: str | None) -> None:
    """Refuse (``NotAllowed``) a template or a voice call the site does not offer."""
    conf = get_settings()
    if template is not None and template not in conf.SMS_TEMPLATES:
        raise NotAllowed()
    if sms_type == "voice" and not conf.ALLOW_VOICE:
        raise NotAllowed()


def send_code(
    phone: str,
    *,
    request: HttpRequest | None = None,
    sms_type: SmsType = "sms",
    template: str | None = None,
    variables: Mapping[str, str] | None = None,
    validate_token: str | None = None,
) -> None:
    """Send a code, or a message from an allowlisted template, within the send limits; a test
    number spends them too, and gets nothing (its code is fixed)."""
    ensure_send_allowed(sms_type, template)
    testnumbers.ensure_usable(phone)
    with limits.sending(phone, request, validate_token=validate_token):
        if testnumbers.is_test_number(phone):
            return
        provider().send_code(
            phone,
            sms_type=sms_type,
            template=template,
            variables=variables,
            validate_token=validate_token,
        )


def check_code(
    phone: str,
    code: str,
    *,
    request: HttpRequest | None = None,
    validate_token: str | None = None,
) -> None:
    """Check and spend a generic code, within the attempt budgets."""
    with limits.attempt("code", phone, request, validate_token=validate_token):
        provider().check_code(phone, code)


def send_code_kwargs(data: Mapping[str, Any]) -> dict[str, Any]:
    """The keyword arguments of :func:`send_code` from validated request data."""
    return {
        "sms_type": data.get("sms_type", "sms"),
        "template": data.get("template") or None,
        "variables": data.get("variables") or None,
        "validate_token": data.get("validate_token") or None,
    }
