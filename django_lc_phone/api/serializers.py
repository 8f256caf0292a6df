"""Request and response shapes. Shape only: no I/O, so an outage can never surface as a 400."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.fields import empty

from ..exceptions import InvalidPhoneNumber
from ..inputs import MAX_TEMPLATE_VALUE_LENGTH, as_typed, template_variables
from ..leancloud.wire import SMS_CODE_RE
from ..phone import MAX_TYPED_LENGTH, normalize_phone
from .errors import INVALID_CODE, INVALID_PHONE


class StrictCharField(serializers.CharField):
    """A JSON string taken as sent: no number turned into a string, no trimming before the
    length check (DRF's defaults accept ``0`` and strip a non-breaking space)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        """Refuse anything but a string."""
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictRegexField(serializers.RegexField):
    """:class:`StrictCharField`'s rules, plus a pattern."""

    def __init__(self, regex: str, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(regex, **kwargs)

    def to_internal_value(self, data: Any) -> str:
        """Refuse anything but a string."""
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class PhoneField(serializers.CharField):
    """A phone number, returned as E.164; error code ``invalid_phone``."""

    default_error_messages = {"invalid_phone": INVALID_PHONE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)  # phone.py trims it, after the length check
        kwargs.setdefault("max_length", MAX_TYPED_LENGTH)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        """``""`` and ``null`` are invalid numbers too (one error code for every bad phone)."""
        if data is None or data == "":
            self.fail("invalid_phone")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        """Normalise through phonenumbers."""
        if not isinstance(data, str):
            self.fail("invalid_phone")
        try:
            return normalize_phone(data)
        except InvalidPhoneNumber:
            self.fail("invalid_phone")


class CodeField(serializers.CharField):
    """A 6-digit code (ASCII digits only); error code ``invalid_code``."""

    default_error_messages = {"invalid_code": INVALID_CODE}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def run_validation(self, data: Any = empty) -> Any:
        """``""`` and ``null`` are invalid codes too (one error code for every bad code)."""
        if data is None or data == "":
            self.fail("invalid_code")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        """Six digits as typed (``inputs.as_typed``: trimmed, any script's digits), returned
        as six ASCII digits, the only form that goes into an upstream URL path."""
        code = as_typed(data) if isinstance(data, str) else None
        if code is None or not SMS_CODE_RE.fullmatch(code):
            self.fail("invalid_code")
        return code


class NewPasswordField(StrictCharField):
    """A password checked by the site's ``AUTH_PASSWORD_VALIDATORS`` before anything is sent."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        kwargs.setdefault("max_length", 128)
        kwargs.setdefault("style", {"input_type": "password"})
        kwargs.setdefault("write_only", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        """Run the password validators."""
        value = super().to_internal_value(data)
        try:
            validate_password(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(list(exc.messages), code="weak_password") from exc
        return value


def _validate_token() -> serializers.CharField:
    return StrictCharField(required=False, max_length=256, write_only=True)


class SmsCodeRequestSerializer(serializers.Serializer[Any]):
    """``sms-code/``."""

    phone = PhoneField()
    sms_type = serializers.ChoiceField(choices=["sms", "voice"], default="sms")
    template = StrictCharField(required=False, max_length=64)
    variables = serializers.DictField(
        child=StrictCharField(max_length=MAX_TEMPLATE_VALUE_LENGTH), required=False
    )
    validate_token = _validate_token()

    def validate_variables(self, value: dict[str, str]) -> dict[str, str]:
        """``inputs.template_variables``' rules (they become upstream body keys), shared
        with compat's ``requestSmsCode``."""
        try:
            return template_variables(value)
        except ValueError:
            raise serializers.ValidationError(
                _("Invalid template variables."), code="invalid"
            ) from None


class PhoneSerializer(serializers.Serializer[Any]):
    """A phone number (and an optional CAPTCHA ``validate_token``)."""

    phone = PhoneField()
    validate_token = _validate_token()


class ValidateTokenRequestSerializer(serializers.Serializer[Any]):
    """Just an optional CAPTCHA ``validate_token`` (``phone/verify/sms-code/``)."""

    validate_token = _validate_token()


class PhoneCodeSerializer(serializers.Serializer[Any]):
    """A phone number and its code (and a CAPTCHA ``validate_token`` while the number is
    under attack)."""

    phone = PhoneField()
    code = CodeField()
    validate_token = _validate_token()


class CodeSerializer(serializers.Serializer[Any]):
    """A code for the signed-in user's phone."""

    code = CodeField()
    validate_token = _validate_token()


class SignupSerializer(PhoneCodeSerializer):
    """``signup/``: username and password are optional and used only for a new account."""

    username = StrictRegexField(
        r"^[\w.@+-]{1,64}$",
        required=False,
        error_messages={
            "invalid": _(
                "Enter a username of 1 to 64 characters: letters, digits and @ . + - _ only."
            )
        },
    )
    password = NewPasswordField(required=False)


class LoginSerializer(serializers.Serializer[Any]):
    """``login/``: phone with either a code or a password."""

    phone = PhoneField()
    code = CodeField(required=False)
    password = StrictCharField(required=False, max_length=128, write_only=True)
    validate_token = _validate_token()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """Exactly one of ``code`` and ``password``."""
        if ("code" in attrs) == ("password" in attrs):
            raise serializers.ValidationError(
                _("Send either a code or a password."), code="code_or_password"
            )
        return attrs


class PasswordResetSerializer(PhoneCodeSerializer):
    """``password-reset/``."""

    password = NewPasswordField()


class PasswordChangeSerializer(serializers.Serializer[Any]):
    """``password/change/``: the signed-in user's password, then the new one."""

    old_password = StrictCharField(max_length=128, write_only=True)
    new_password = NewPasswordField()
    validate_token = _validate_token()


class CaptchaVerifySerializer(serializers.Serializer[Any]):
    """``captcha/verify/``: the image's ``captcha_token`` and the text typed
    (``captcha_code``), or a vendor widget's ``captcha_response`` (Tencent's: its ``ticket``,
    with its ``randstr`` as ``captcha_randstr``)."""

    captcha_token = StrictRegexField(r"^[A-Za-z0-9]{4,64}$", required=False)
    captcha_code = StrictCharField(max_length=16, required=False)
    # Printable ASCII, as every vendor's token is; the longest runs to a few kilobytes.
    captcha_response = StrictRegexField(r"^[!-~]{1,8192}$", required=False)
    captcha_randstr = StrictRegexField(r"^[!-~]{1,64}$", required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        """One answer: a token and its code, or a widget's response, never both or neither."""
        image = "captcha_token" in attrs and "captcha_code" in attrs
        widget = "captcha_response" in attrs
        if image == widget or ("captcha_randstr" in attrs and not widget):
            raise serializers.ValidationError(
                _("Send captcha_token and captcha_code, or captcha_response."), code="invalid"
            )
        return attrs


# --- responses ------------------------------------------------------------------------------


class UserSerializer(serializers.Serializer[Any]):
    """The signed-in user as the API shows it."""

    id = serializers.CharField(source="pk")
    username = serializers.CharField(source="get_username")
    phone = serializers.CharField(allow_null=True)
    phone_verified = serializers.BooleanField()
    lc_object_id = serializers.CharField(allow_null=True)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        """Flatten the user and their phone profile."""
        profile = getattr(instance, "lc_phone_profile", None)
        return {
            "id": str(instance.pk),
            "username": instance.get_username(),
            "phone": profile.phone_e164 or None if profile else None,
            "phone_verified": bool(profile and profile.phone_verified),
            "lc_object_id": profile.lc_object_id if profile else None,
        }


class PhoneChangedSerializer(UserSerializer):
    """``phone/change/``: the user, and the caller's new credentials (the old ones ended with
    every other session and token of the user)."""

    token = serializers.CharField(allow_null=True)
    refresh = serializers.CharField(required=False)


class AuthResponseSerializer(serializers.Serializer[Any]):
    """``signup/`` and ``login/``."""

    token = serializers.CharField(allow_null=True)
    refresh = serializers.CharField(required=False)
    user = UserSerializer()
    created = serializers.BooleanField()


class PasswordChangedSerializer(serializers.Serializer[Any]):
    """``password/change/``: the acknowledgement, and the caller's new credentials (the old
    ones ended with every other session and token of the user)."""

    code = serializers.CharField()
    detail = serializers.CharField()
    token = serializers.CharField(allow_null=True)
    refresh = serializers.CharField(required=False)


class MessageSerializer(serializers.Serializer[Any]):
    """An acknowledgement: ``{"code": "code_sent", "detail": "..."}``."""

    code = serializers.CharField()
    detail = serializers.CharField()


class ErrorSerializer(serializers.Serializer[Any]):
    """Every error: a stable ``code``, a human ``detail`` and, for bad input, ``errors``."""

    code = serializers.CharField()
    detail = serializers.CharField()

    def get_fields(self) -> dict[str, serializers.Field[Any, Any, Any, Any]]:
        """Adds ``errors``, which cannot be a class attribute (it would hide ``.errors``)."""
        fields = super().get_fields()
        fields["errors"] = serializers.DictField(required=False, help_text="Errors per field.")
        return fields


class CaptchaSerializer(serializers.Serializer[Any]):
    """``captcha/``: which CAPTCHA to show. ``image``: the image at ``captcha_url``, answered
    with ``captcha_token``; a vendor's widget: rendered with ``site_key`` (and reCAPTCHA v3's
    ``action``), its response sent as ``captcha_response``."""

    verifier = serializers.ChoiceField(
        choices=["image", "turnstile", "hcaptcha", "recaptcha_v2", "recaptcha_v3", "tencent"]
    )
    captcha_token = serializers.CharField(required=False, help_text="The image's token.")
    captcha_url = serializers.URLField(required=False, help_text="The image (a data: URL).")
    site_key = serializers.CharField(required=False, help_text="The widget's site key.")
    action = serializers.CharField(required=False, help_text="reCAPTCHA v3: the action.")


class ValidateTokenSerializer(serializers.Serializer[Any]):
    """``captcha/verify/``."""

    validate_token = serializers.CharField()
