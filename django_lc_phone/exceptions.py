"""What went wrong, for the app: domain errors raised by providers and services. Pure Python.

``api/errors.py`` turns each into an HTTP status and a stable ``code``; LeanCloud's own codes
and messages stop at ``providers/leancloud.py``.
"""

from __future__ import annotations


class LcPhoneError(Exception):
    """Base of every domain error."""

    default_message = "Phone authentication failed."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class InvalidPhoneNumber(LcPhoneError):
    """Not a valid phone number."""

    default_message = "Enter a valid phone number."


class PhoneNotAllowed(LcPhoneError):
    """The number may not receive codes: its country or its type (premium rate...) is blocked.

    One error for every reason, so the blocklist cannot be mapped from outside."""

    default_message = "Codes cannot be sent to this number."


class ExpiredTestNumber(PhoneNotAllowed):
    """A test number (``LC_PHONE["TEST_NUMBERS"]``) past its ``expires`` day, or one whose
    entry is malformed: refused for codes, never sent a real SMS."""

    default_message = "This test number has expired."


class InvalidCode(LcPhoneError):
    """A wrong, expired, reused or malformed code (deliberately one error for all of these)."""

    default_message = "The code is invalid or has expired."


class InvalidCredentials(LcPhoneError):
    """Wrong password, unknown or unverified account: one error so accounts cannot be probed."""

    default_message = "Invalid phone number or password."


class UnknownAccount(LcPhoneError):
    """No account, or an unverified one, for a flow that needs it (never shown to clients)."""


class Throttled(LcPhoneError):
    """Too many requests; ``retry_after`` in seconds when known."""

    default_message = "Too many requests. Try again later."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SendThrottled(Throttled):
    """Too many codes for this number (ours or the provider's limit)."""

    default_message = "Too many codes were requested for this number. Try again later."


class TooManyAttempts(Throttled):
    """Too many failed attempts (the provider's account lock, or ours)."""

    default_message = "Too many failed attempts. Try again later."


class SmsBudgetExhausted(LcPhoneError):
    """The site's SMS spending cap for the hour or the day is used up (fail closed)."""

    default_message = "Codes cannot be sent right now. Try again later."

    def __init__(self, message: str | None = None, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class PhoneUnavailable(LcPhoneError):
    """The number belongs to another account."""

    default_message = "This phone number cannot be used."


class UsernameTaken(PhoneUnavailable):
    """The username asked for at sign-up belongs to another account."""

    default_message = "This username is taken."


class CaptchaRequired(LcPhoneError):
    """A solved CAPTCHA (``validate_token``) is required or was not accepted."""

    default_message = "Solve the CAPTCHA first."


class InvalidCaptcha(LcPhoneError):
    """A wrong CAPTCHA answer (or a challenge this site did not issue); the subclasses say
    when the challenge itself can no longer be answered."""

    default_message = "The CAPTCHA answer is wrong."


class CaptchaSpent(InvalidCaptcha):
    """The challenge was answered before (right or wrong: one try each)."""

    default_message = "This CAPTCHA was already answered. Ask for a new one."


class CaptchaExpired(InvalidCaptcha):
    """The challenge is too old to answer."""

    default_message = "This CAPTCHA has expired. Ask for a new one."


class NoPhone(LcPhoneError):
    """The user has no phone number to verify."""

    default_message = "Add a phone number first."


class AlreadyVerified(LcPhoneError):
    """The signed-in user's phone (``phone``, E.164) is verified already: no code is sent."""

    default_message = "This phone number is verified already."

    def __init__(self, message: str | None = None, *, phone: str | None = None) -> None:
        super().__init__(message)
        self.phone = phone


class SamePhone(LcPhoneError):
    """A change to the number the user has already: no code is sent."""

    default_message = "This is your phone number already."


class NotAllowed(LcPhoneError):
    """The request asks for something the site does not allow (a template, voice codes)."""

    default_message = "This kind of message is not allowed."


class UnsupportedTestNumber(NotAllowed):
    """A test number in a flow its provider cannot serve without checking the code upstream
    (under LeanCloud: signing up a new account; docs/security.md, "Test numbers")."""

    default_message = "This test number cannot be used for this."


class SessionExpired(LcPhoneError):
    """The provider no longer accepts the user's stored session: sign in again."""

    default_message = "Your session has expired. Sign in again."


class InvalidTemplateVariables(LcPhoneError):
    """The template's variables do not fill it (LeanCloud's 606): the client's to fix."""

    default_message = "The template's variables are missing or invalid."


class SmsNotDelivered(LcPhoneError):
    """The provider refused to send (template, signature, carrier, balance)."""

    default_message = "The message could not be sent."


class ProviderError(LcPhoneError):
    """The provider failed; subclasses say how."""


class ProviderUnavailable(ProviderError):
    """Unreachable, in maintenance, or misconfigured (our keys): nothing the client can fix."""

    default_message = "The authentication service is unavailable. Try again later."

    def __init__(
        self,
        message: str | None = None,
        *,
        retry_after: float | None = None,
        maybe_sent: bool = False,
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        # The request may have reached the provider before the connection died (so an SMS
        # may have gone out): limits must not give the send back.
        self.maybe_sent = maybe_sent


class ProviderMisconfigured(ProviderUnavailable):
    """The provider cannot make this call as configured (LeanCloud's master key is not set):
    an operator's setting to fix, not an outage, so no breaker counts it."""

    default_message = "The authentication service is not configured for this."


class CaptchaUnavailable(ProviderUnavailable):
    """The CAPTCHA vendor (Turnstile, hCaptcha, reCAPTCHA, Tencent) could not say whether an
    answer is right: unreachable, too slow, an unreadable answer, or our keys refused. The
    answer is refused (fail closed): nothing the client can fix but trying again."""

    default_message = "The CAPTCHA service is unavailable. Try again later."


class ProviderTimeout(ProviderError):
    """The provider did not answer in time (the request may have taken effect)."""

    default_message = "The authentication service did not answer in time."


class BadProviderResponse(ProviderError):
    """The provider answered something that is not a valid answer."""

    default_message = "The authentication service sent an invalid answer."
