"""Alibaba Cloud SMS (Dysmsapi ``SendSms``, API version 2017-05-25) through the official SDK.

``pip install 'django-lc-phone[aliyun]'``. Texts only: Alibaba's voice codes are another
product (Dyvmsapi) with another SDK, so ``supports_voice`` is False.

Error codes: the ``Code`` of the SendSms answer, listed in Alibaba's "API错误码" page
(help.aliyun.com/document_detail/101346.html), and the OpenAPI gateway's own codes
(``Throttling.User``, ``InvalidAccessKeyId.NotFound``, ``SignatureDoesNotMatch``...) that the
SDK raises as ``ClientException`` / ``ServerException``.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from typing import Any, Final

from ..exceptions import (
    InvalidPhoneNumber,
    LcPhoneError,
    ProviderUnavailable,
    SendThrottled,
    SmsNotDelivered,
)
from ..redaction import mask_phone
from ._common import (
    DEFAULT_TIMEOUT,
    RETRY_AFTER,
    DropPayloadFilter,
    ScrubQueryFilter,
    check_generic,
    choose,
    choose_sign,
    install_log_filter,
    load_sdk,
    require,
    template_values,
    transport_error,
)
from .base import SmsMessage

logger = logging.getLogger(__name__)

_INVALID_NUMBER: Final = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.PHONE_NUMBER_ILLEGAL"})
# Per-number flow control (1/min, 5/h, 10/day by default) and the API's own QPS limits.
_THROTTLED: Final = frozenset({"isv.BUSINESS_LIMIT_CONTROL"})
_OUTAGE: Final = frozenset(
    {"isp.SYSTEM_ERROR", "isp.GATEWAY_ERROR", "isp.UNKNOWN", "ServiceUnavailable"}
)
# Our keys, account or network are wrong: nothing a user can fix, and nothing was sent.
_MISCONFIGURED: Final = frozenset(
    {
        "isp.RAM_PERMISSION_DENY",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.PRODUCT_UNSUBSCRIBE",
        "isv.DENY_IP_RANGE",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAccessKeyId",
    }
)
_MISCONFIGURED_PREFIXES: Final = ("InvalidAccessKeyId", "Forbidden", "InvalidTimeStamp")
_SAFE_CODE: Final = re.compile(r"[^A-Za-z0-9._-]")


def classify(code: str, status: int | None = None) -> LcPhoneError:
    """The domain error for an Alibaba error code (and HTTP status, when it was not 200)."""
    if (status is not None and status >= 500) or code in _OUTAGE:
        return ProviderUnavailable(maybe_sent=True)
    if code in _THROTTLED or code.startswith("Throttling"):
        return SendThrottled(retry_after=RETRY_AFTER)
    if code in _INVALID_NUMBER:
        return InvalidPhoneNumber()
    if status in (401, 403) or code in _MISCONFIGURED or code.startswith(_MISCONFIGURED_PREFIXES):
        return ProviderUnavailable(maybe_sent=False)
    # Template, signature, balance, content, blocklist... (isv.SMS_TEMPLATE_ILLEGAL,
    # isv.SMS_SIGNATURE_ILLEGAL, isv.OUT_OF_SERVICE, isv.DAY_LIMIT_CONTROL, ...).
    return SmsNotDelivered()


def phone_numbers(phone: str) -> str:
    """``PhoneNumbers`` as SendSms wants it: a mainland number as its 11 digits, any other as
    country code and number, both without ``+`` (E.164 in, ``+8613800138000`` ->
    ``13800138000``, ``+85291234567`` -> ``85291234567``)."""
    # 86 is a whole country code: no other code starts with it.
    return phone[3:] if phone.startswith("+86") else phone.lstrip("+")


class AliyunGateway:
    """Sends template messages with ``SendSms``; options as in docs/gateways.md."""

    supports_voice = False

    def __init__(
        self,
        *,
        access_key_id: str = "",
        access_key_secret: str = "",
        sign_name: str | Mapping[str, str] | None = None,
        templates: str | Mapping[str, str] | None = None,
        template_param: str = "code",
        ttl_param: str | None = None,
        region: str = "cn-hangzhou",
        endpoint: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        require(
            "AliyunGateway",
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            sign_name=sign_name,
            templates=templates,
        )
        check_generic("AliyunGateway", templates)
        sdk = load_sdk(
            "alibabacloud_dysmsapi20170525.client", "aliyun", "alibabacloud-dysmsapi20170525"
        )
        self._models = load_sdk("alibabacloud_dysmsapi20170525.models", "aliyun", "the SDK")
        openapi = load_sdk("alibabacloud_tea_openapi.models", "aliyun", "the SDK")
        scheme, _, host = (endpoint or "").rpartition("://")
        config = openapi.Config(
            access_key_id=access_key_id,
            access_key_secret=access_key_secret,
            region_id=region,
            endpoint=host or None,  # None: the SDK's endpoint for the region
            protocol=(scheme or "https").upper(),
            connect_timeout=int(timeout * 1000),  # milliseconds
            read_timeout=int(timeout * 1000),
        )
        self._client: Any = sdk.Client(config)
        self._sign_name = sign_name
        self._templates = templates
        self._template_param = template_param
        self._ttl_param = ttl_param
        install_log_filter("urllib3.connectionpool", ScrubQueryFilter)
        install_log_filter("darabonba-core", DropPayloadFilter)
        install_log_filter("alibabacloud-tea", DropPayloadFilter)

    def send(self, message: SmsMessage) -> None:
        """One ``SendSms`` call; raises the domain error for any refusal or failure."""
        masked = mask_phone(message.phone)
        template, sign = choose(self._templates, message), choose_sign(self._sign_name, message)
        if message.channel != "sms" or not template or not sign:
            logger.warning(
                "Alibaba Cloud SMS: no %s for %s (%s)",
                "voice" if message.channel != "sms" else "template or sign name",
                message.template or message.purpose,
                masked,
            )
            raise SmsNotDelivered()
        values = template_values(message, self._template_param, self._ttl_param)
        request = self._models.SendSmsRequest(
            phone_numbers=phone_numbers(message.phone),
            sign_name=sign,
            template_code=template,
            template_param=json.dumps(values, ensure_ascii=False, separators=(",", ":"))
            if values
            else None,
        )
        try:
            body = self._client.send_sms(request).body
        except Exception as exc:  # the SDK raises many types; each is translated below
            error = _translate(exc)
            _log_failure(error, masked, getattr(exc, "code", None), None)
            # ``from None``: the SDK's messages quote the request URL, number and code included.
            raise error from None
        code = str(body.code or "")
        if code != "OK":
            error = classify(code)
            _log_failure(error, masked, code, body.request_id)
            raise error
        logger.info("Alibaba Cloud SMS sent to %s (biz id %s)", masked, body.biz_id)


def _translate(exc: BaseException) -> LcPhoneError:
    transport = transport_error(exc)
    if transport is not None:
        return transport
    code = getattr(exc, "code", None)
    status = getattr(exc, "status_code", None)
    if isinstance(code, str) and code and code != "None":
        return classify(code, status if isinstance(status, int) else None)
    # No code: an answer the SDK could not read (HTML from a proxy, cut-off JSON...).
    return ProviderUnavailable(maybe_sent=True)


def _log_failure(error: LcPhoneError, masked: str, code: object, request_id: object) -> None:
    """Vendor code and request id only: vendor messages may quote the number."""
    logger.warning(
        "Alibaba Cloud SMS to %s failed: %s (code %s, request %s)",
        masked,
        type(error).__name__,
        _SAFE_CODE.sub("", str(code))[:80],
        _SAFE_CODE.sub("", str(request_id))[:80],
    )
