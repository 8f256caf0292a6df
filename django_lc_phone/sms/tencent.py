"""Tencent Cloud SMS (``SendSms``, API version 2021-01-11) through the official SDK.

``pip install 'django-lc-phone[tencent]'``. Texts only: Tencent's voice codes are another
product (VMS) with another SDK, so ``supports_voice`` is False.

Error codes: ``tencentcloud/sms/v20210111/errorcodes.py`` in the SDK (the same codes come
back per number in ``SendStatusSet[].Code``), plus Tencent Cloud API 3.0's common codes
(``AuthFailure.*``, ``RequestLimitExceeded``, ``InternalError``); transport failures reach us
as the SDK's ``ClientNetworkError`` (wrapping the requests error) and ``ServerNetworkError``
(any HTTP status but 200).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from ..exceptions import (
    InvalidPhoneNumber,
    LcPhoneError,
    ProviderTimeout,
    ProviderUnavailable,
    SendThrottled,
    SmsNotDelivered,
)
from ..redaction import mask_phone
from ._common import (
    DEFAULT_TIMEOUT,
    RETRY_AFTER,
    DropPayloadFilter,
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

_INVALID_NUMBER: Final = frozenset(
    {"InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberParseFail"}
)
# Per-number limits (30 s, 1 h, 1 day, same content) and the API's request rate.
_THROTTLED_PREFIXES: Final = (
    "LimitExceeded.PhoneNumber",
    "LimitExceeded.DeliveryFrequencyLimit",
    "RequestLimitExceeded",
)
# Keys, app id, IP allowlist or clock wrong: nothing a user can fix, and nothing was sent.
_MISCONFIGURED_PREFIXES: Final = (
    "AuthFailure",
    "UnauthorizedOperation.RequestIpNotInWhitelist",
    "UnauthorizedOperation.RequestPermissionDeny",
    "UnauthorizedOperation.SdkAppIdIsDisabled",
    "UnauthorizedOperation.SmsSdkAppIdVerifyFail",
    "InvalidParameterValue.SdkAppIdNotExist",
    "InternalError.SigVerificationFail",
    "InternalError.SigFieldMissing",
    "InternalError.RequestTimeException",  # our clock is off
)
# Codes the SMS service itself answers with: a refusal of this message.
_REFUSALS: Final = (
    "FailedOperation",
    "InvalidParameter",
    "LimitExceeded",
    "MissingParameter",
    "UnsupportedOperation",
    "UnauthorizedOperation",
)
_SAFE_CODE: Final = re.compile(r"[^A-Za-z0-9._-]")


def classify(code: str) -> LcPhoneError:
    """The domain error for a Tencent error code (API-level or per-number)."""
    if code.startswith(_THROTTLED_PREFIXES):
        return SendThrottled(retry_after=RETRY_AFTER)
    if code in _INVALID_NUMBER:
        return InvalidPhoneNumber()
    if code.startswith(_MISCONFIGURED_PREFIXES):
        return ProviderUnavailable(maybe_sent=False)
    if code == "InternalError.Timeout":  # Tencent's backend timed out: may have been sent
        return ProviderTimeout()
    if code.startswith(_REFUSALS):
        # Template, signature, balance, blocklist, content, account caps...
        return SmsNotDelivered()
    # InternalError.*, ServerNetworkError (HTTP 5xx), an unreadable answer: the service failed.
    return ProviderUnavailable(maybe_sent=True)


class TencentGateway:
    """Sends template messages with ``SendSms``; options as in docs/gateways.md."""

    supports_voice = False

    def __init__(
        self,
        *,
        secret_id: str = "",
        secret_key: str = "",
        sdk_app_id: str = "",
        sign_name: str | Mapping[str, str] | None = None,
        templates: str | Mapping[str, str] | None = None,
        template_param: str = "code",
        ttl_param: str | None = None,
        template_params: Mapping[str, Sequence[str]] | None = None,
        region: str = "ap-guangzhou",
        endpoint: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        # sign_name may be left out: international messages do not need one.
        require(
            "TencentGateway",
            secret_id=secret_id,
            secret_key=secret_key,
            sdk_app_id=sdk_app_id,
            templates=templates,
        )
        check_generic("TencentGateway", templates)
        sms = load_sdk(
            "tencentcloud.sms.v20210111.sms_client", "tencent", "tencentcloud-sdk-python-sms"
        )
        self._models = load_sdk("tencentcloud.sms.v20210111.models", "tencent", "the SDK")
        credential = load_sdk("tencentcloud.common.credential", "tencent", "the SDK")
        client_profile = load_sdk("tencentcloud.common.profile.client_profile", "tencent", "SDK")
        http_profile = load_sdk("tencentcloud.common.profile.http_profile", "tencent", "SDK")
        scheme, _, host = (endpoint or "").rpartition("://")
        http = http_profile.HttpProfile(
            protocol=scheme or "https", endpoint=host or None, reqTimeout=timeout
        )
        # No region breaker: it swallows transport errors and retries another region.
        profile = client_profile.ClientProfile(httpProfile=http, disable_region_breaker=True)
        self._client: Any = sms.SmsClient(
            credential.Credential(secret_id, secret_key), region, profile
        )
        self._sdk_app_id = str(sdk_app_id)
        self._sign_name = sign_name
        self._templates = templates
        self._template_param = template_param
        self._ttl_param = ttl_param
        self._orders = dict(template_params or {})
        # Tencent logs whole requests (body, Authorization) and answers at DEBUG.
        install_log_filter("tencentcloud_sdk_common", DropPayloadFilter)

    def send(self, message: SmsMessage) -> None:
        """One ``SendSms`` call; raises the domain error for any refusal or failure."""
        masked = mask_phone(message.phone)
        template = choose(self._templates, message)
        params = self._params(message)
        if message.channel != "sms" or not template or params is None:
            logger.warning(
                "Tencent Cloud SMS: no %s for %s (%s)",
                "voice" if message.channel != "sms" else "template or parameter order",
                message.template or message.purpose,
                masked,
            )
            raise SmsNotDelivered()
        request = self._models.SendSmsRequest()
        request.PhoneNumberSet = [message.phone]  # E.164, as SendSms documents
        request.SmsSdkAppId = self._sdk_app_id
        request.TemplateId = template
        request.SignName = choose_sign(self._sign_name, message)
        request.TemplateParamSet = params
        try:
            response = self._client.SendSms(request)
        except Exception as exc:  # TencentCloudSDKException, or anything under it
            error = transport_error(exc) or classify(str(getattr(exc, "code", "") or ""))
            _log_failure(error, masked, getattr(exc, "code", None), getattr(exc, "requestId", ""))
            # ``from None``: SDK messages can quote the answer, and the answer the number.
            raise error from None
        statuses = response.SendStatusSet or []
        code = str(statuses[0].Code) if statuses else "InternalError.NoSendStatus"
        if code != "Ok":
            error = classify(code)
            _log_failure(error, masked, code, response.RequestId)
            raise error
        logger.info("Tencent Cloud SMS sent to %s (serial %s)", masked, statuses[0].SerialNo)

    def _params(self, message: SmsMessage) -> list[str] | None:
        """``TemplateParamSet`` in the template's order ({1}, {2}...): ``template_params``
        names it per template or purpose; otherwise variables, then code, then lifetime."""
        values = template_values(message, self._template_param, self._ttl_param)
        key = message.template if message.template is not None else message.purpose
        order = self._orders.get(key)
        if order is None and message.template is None:
            order = self._orders.get("generic")
        if order is None:
            order = list(values)
        if any(name not in values for name in order):
            return None
        return [values[name] for name in order]


def _log_failure(error: LcPhoneError, masked: str, code: object, request_id: object) -> None:
    """Vendor code and request id only: vendor messages may quote the number."""
    logger.warning(
        "Tencent Cloud SMS to %s failed: %s (code %s, request %s)",
        masked,
        type(error).__name__,
        _SAFE_CODE.sub("", str(code))[:80],
        _SAFE_CODE.sub("", str(request_id))[:80],
    )
