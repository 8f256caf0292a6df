"""Twilio through the official SDK: texts with the Messages API, voice codes with the Calls API.

``pip install 'django-lc-phone[twilio]'``. A text carries the rendered ``message.text`` (or a
Content API template, when ``templates`` names one); a call reads the code's digits out with
TwiML ``<Say>``, twice.

Error codes: the ``code`` of Twilio's REST error answers (twilio.com/docs/api/errors), raised by
the SDK as ``TwilioRestException`` with the HTTP status; transport failures come through as
the requests exceptions themselves (the SDK does not wrap them).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Final

from django.core.exceptions import ImproperlyConfigured

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
    ScrubQueryFilter,
    choose,
    install_log_filter,
    load_sdk,
    require,
    template_values,
    transport_error,
)
from .base import SmsMessage

logger = logging.getLogger(__name__)

# 21211 invalid 'To', 21614 'To' is not a mobile number, 21217 / 21401 / 13224 invalid number
# for a call.
_INVALID_NUMBER: Final = frozenset({21211, 21614, 21217, 21401, 13224})
# 20429 too many requests (HTTP 429), 14107 the account's send rate.
_THROTTLED: Final = frozenset({20429, 14107})
# 20003 authentication failed, 20005 account not active, 20404 no such account/service.
_MISCONFIGURED: Final = frozenset({20003, 20005, 20404})
DEFAULT_VOICE_TEXT: Final = "Your verification code is {digits}."


def classify(status: int | None, code: int | None) -> LcPhoneError:
    """The domain error for a Twilio error answer (HTTP status and Twilio error code)."""
    if status == 429 or code in _THROTTLED:
        return SendThrottled(retry_after=RETRY_AFTER)
    if code in _INVALID_NUMBER:
        return InvalidPhoneNumber()
    if status is not None and status >= 500:
        return ProviderUnavailable(maybe_sent=True)
    if status in (401, 403, 404) or code in _MISCONFIGURED:
        return ProviderUnavailable(maybe_sent=False)
    # Region not enabled (21408), unsubscribed (21610), unreachable (21612), bad sender
    # (21212, 21606), unverified number on a trial account (21608), content template...
    return SmsNotDelivered()


class TwilioGateway:
    """Sends texts and places voice calls; options as in docs/gateways.md."""

    supports_voice = True

    def __init__(
        self,
        *,
        account_sid: str = "",
        auth_token: str = "",
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        voice_from: str | None = None,
        templates: str | Mapping[str, str] | None = None,
        template_param: str = "1",
        voice_language: str = "en-US",
        voice_text: str = DEFAULT_VOICE_TEXT,
        region: str | None = None,
        edge: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        require("TwilioGateway", account_sid=account_sid, auth_token=auth_token)
        if not (from_ or messaging_service_sid):
            raise ImproperlyConfigured(
                "TwilioGateway: set from_ or messaging_service_sid in "
                "LC_PHONE['SMS_GATEWAY_OPTIONS']"
            )
        rest = load_sdk("twilio.rest", "twilio", "twilio")
        http = load_sdk("twilio.http.http_client", "twilio", "twilio")
        self._twiml = load_sdk("twilio.twiml.voice_response", "twilio", "twilio")
        self._client: Any = rest.Client(
            account_sid,
            auth_token,
            region=region,
            edge=edge,
            # requests' default of no retries stays: a retried POST can send a code twice.
            http_client=http.TwilioHttpClient(timeout=timeout),
        )
        self._from = from_
        self._service = messaging_service_sid
        self._voice_from = voice_from or from_
        self._templates = templates
        self._template_param = template_param
        self._voice_language = voice_language
        self._voice_text = voice_text
        # The SDK logs each request's URL at INFO, and urllib3 at DEBUG: both name the account.
        install_log_filter("twilio.http_client", ScrubQueryFilter)
        install_log_filter("urllib3.connectionpool", ScrubQueryFilter)

    def send(self, message: SmsMessage) -> None:
        """One Messages or Calls request; raises the domain error for any failure."""
        masked = mask_phone(message.phone)
        if message.channel == "voice" and not self._voice_from:
            logger.warning("Twilio: no voice_from or from_ to call %s from", masked)
            raise SmsNotDelivered()
        try:
            if message.channel == "voice":
                sid = self._client.calls.create(
                    to=message.phone, from_=self._voice_from, twiml=self._say(message)
                ).sid
            else:
                sid = self._client.messages.create(to=message.phone, **self._text(message)).sid
        except Exception as exc:  # TwilioRestException, or the requests error itself
            error = transport_error(exc) or _rest_error(exc)
            logger.warning(
                "Twilio %s to %s failed: %s (status %s, code %s)",
                message.channel,
                masked,
                type(error).__name__,
                _int(getattr(exc, "status", None)),
                _int(getattr(exc, "code", None)),
            )
            # ``from None``: Twilio's messages quote the number ("The 'To' number +1... is...").
            raise error from None
        logger.info("Twilio %s sent to %s (sid %s)", message.channel, masked, sid)

    def _text(self, message: SmsMessage) -> dict[str, Any]:
        """The Messages API parameters: a Content template when one is named, else the text."""
        sender: dict[str, Any] = (
            {"messaging_service_sid": self._service} if self._service else {"from_": self._from}
        )
        content_sid = choose(self._templates, message)
        if not content_sid:
            return {**sender, "body": message.text}
        values = template_values(message, self._template_param, None)
        return {**sender, "content_sid": content_sid, "content_variables": json.dumps(values)}

    def _say(self, message: SmsMessage) -> str:
        """TwiML that reads the code digit by digit ("1, 2, 3...") twice, or the text."""
        if message.code:
            text = self._voice_text.format(digits=", ".join(message.code))
        else:
            text = message.text
        response = self._twiml.VoiceResponse()
        response.say(text, language=self._voice_language, loop=2)
        return str(response)


def _rest_error(exc: BaseException) -> LcPhoneError:
    status, code = _int(getattr(exc, "status", None)), _int(getattr(exc, "code", None))
    if status is None and code is None:  # not an answer from Twilio: treat as an outage
        return ProviderUnavailable(maybe_sent=True)
    return classify(status, code)


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
