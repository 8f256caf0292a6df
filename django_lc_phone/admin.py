"""The admin: phone profiles (list, search, re-sync, verification SMS) and an inline on users.

**Who sees the number.** Staff see full phone numbers, in the list as on the change page: the
admin is a staff-only, permission-gated tool for helping people who are known by their number,
search takes the number, and the local username of a user who signed up by SMS *is* the number
(LeanCloud names such users after their phone), so masking one column would hide nothing.
Masking is for audiences nobody controls: logs and the emulator's console (``redaction.py``).

**What nobody sees.** The LeanCloud session token is a bearer secret: it is in no list column,
form, read-only field, search field or filter, and a query-string lookup on it is refused (an
admin's ``?lc_session_token__startswith=`` would otherwise read it out one character at a time).

**Editing.** LeanCloud owns the phone, its verification and the objectId; "Re-sync from
LeanCloud" pulls them. Staff may *add* a profile (a user and a phone, nothing else): the next
upstream sign-in with that phone then links to that user instead of creating a new one, which is
how an existing staff account gets phone login. A profile's phone stays editable until the
profile is linked to a LeanCloud user.

**The user admin inline.** When this module is imported (by ``admin.autodiscover()``, in
``INSTALLED_APPS`` order) and ``AUTH_USER_MODEL`` is already registered on ``admin.site``, its
ModelAdmin is replaced by a subclass that adds a read-only :class:`PhoneProfileInline`. So put
``django_lc_phone`` *after* the app that registers your user admin (``django.contrib.auth``, or
your custom user app); when the user model is not registered yet, nothing happens.

**Compat sessions.** The LeanCloud-style session tokens of ``compat/`` are listed (read-only,
revocable) by ``compat/admin.py``'s :class:`CompatSessionAdmin`, registered here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from django.contrib import admin, messages
from django.contrib.admin.options import InlineModelAdmin
from django.contrib.auth import get_user_model
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import services
from .api.errors import to_api_error
from .compat.admin import CompatSessionAdmin
from .exceptions import (
    BadProviderResponse,
    CaptchaRequired,
    InvalidPhoneNumber,
    LcPhoneError,
    NoPhone,
    PhoneNotAllowed,
    ProviderError,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    SendThrottled,
    SmsBudgetExhausted,
    SmsNotDelivered,
    Throttled,
    UnknownAccount,
)
from .models import CompatSession, PhoneProfile
from .phone import normalize_phone

if TYPE_CHECKING:
    _ProfileAdminBase = admin.ModelAdmin[PhoneProfile]
    _ProfileInlineBase = admin.StackedInline[PhoneProfile, Any]
    _UserAdminBase = admin.ModelAdmin[Any]
else:  # Django's admin classes are not subscriptable at run time
    _ProfileAdminBase = _UserAdminBase = admin.ModelAdmin
    _ProfileInlineBase = admin.StackedInline

SECRET_FIELD = "lc_session_token"  # noqa: S105 - a field name, not a secret
# Fields no query-string lookup may reach: a prefix filter's result count would spell them out.
_SECRET_FIELDS = frozenset({SECRET_FIELD, "captured_password", "password"})
# How many profiles a message names before it says "and N more".
_NAMED_IN_MESSAGE = 10

_SYNCED_FIELDS = ("phone_verified", "phone_verified_at", "lc_object_id", "last_synced_at")
_TIMESTAMPS = ("created_at", "updated_at")


def _refused(lookup: str, value: str) -> bool:
    """Whether a query-string lookup (``a__b__startswith``) reaches the session token, a
    captured password hash or a user's password, or its value holds a NUL (PostgreSQL refuses
    one in a query: a 500 instead of the list)."""
    return not _SECRET_FIELDS.isdisjoint(lookup.split("__")) or "\x00" in value


def _names(profiles: Sequence[PhoneProfile]) -> str:
    """A short list of profiles for a message, by their ``str()`` (masked, as in the history)."""
    shown = ", ".join(str(p) for p in profiles[:_NAMED_IN_MESSAGE])
    hidden = len(profiles) - _NAMED_IN_MESSAGE
    if hidden > 0:
        more = ngettext("and %(count)d more", "and %(count)d more", hidden) % {"count": hidden}
        shown = f"{shown} {more}"
    return shown


@admin.register(PhoneProfile)
class PhoneProfileAdmin(_ProfileAdminBase):
    """Phone profiles: who has which phone, whether it is verified, and the LeanCloud link."""

    list_display = (
        "user",
        "phone",
        "phone_verified",
        "phone_verified_at",
        "lc_object_id",
        "last_synced_at",
    )
    list_filter = (
        "phone_verified",
        "phone_verified_at",
        ("lc_object_id", admin.EmptyFieldListFilter),
    )
    list_select_related = ("user",)
    ordering = ("-created_at", "-pk")
    search_help_text = _("Search by phone number, username or LeanCloud objectId.")
    raw_id_fields = ("user",)
    fields = ("user", "phone", *_SYNCED_FIELDS, *_TIMESTAMPS)
    exclude = (SECRET_FIELD,)
    actions = ("resync_from_leancloud", "send_verification_sms")

    def get_readonly_fields(
        self, request: HttpRequest, obj: PhoneProfile | None = None
    ) -> list[str]:
        """Synced fields are LeanCloud's; a linked profile's user and phone are fixed too."""
        readonly = [*_SYNCED_FIELDS, *_TIMESTAMPS]
        if obj is not None:
            readonly.insert(0, "user")
            if obj.lc_object_id:
                readonly.insert(1, "phone")
        return readonly

    # --- search and filters -------------------------------------------------------------

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        """Phone, the user's ``USERNAME_FIELD`` (custom user models too) and the objectId."""
        return ("phone", f"user__{get_user_model().USERNAME_FIELD}", "lc_object_id")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[PhoneProfile], bool]:
        """Also find a number typed the way people type it (``+86 138-0013-8000``)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            e164 = normalize_phone(search_term.strip())
        except InvalidPhoneNumber:
            return results, may_have_duplicates
        return results | queryset.filter(phone=e164), may_have_duplicates

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        """Never filter on the session token (it would leak it through result counts), nor on
        a value with a NUL (400)."""
        if _refused(lookup, value):
            return False
        return super().lookup_allowed(lookup, value, request)

    # --- actions ------------------------------------------------------------------------

    @admin.action(description=_("Re-sync from LeanCloud"), permissions=["change"])
    def resync_from_leancloud(self, request: HttpRequest, queryset: QuerySet[PhoneProfile]) -> None:
        """Re-read each selected profile's LeanCloud user; stop at the first provider failure."""
        outcome = _run(_selected(queryset), services.resync)
        if outcome.done:
            message = ngettext(
                "Re-synced %(count)d profile from LeanCloud.",
                "Re-synced %(count)d profiles from LeanCloud.",
                len(outcome.done),
            )
            self.message_user(request, message % {"count": len(outcome.done)}, messages.SUCCESS)
        self._report(request, outcome, gettext("Not re-synced"))

    @admin.action(description=_("Send a verification SMS"), permissions=["change"])
    def send_verification_sms(self, request: HttpRequest, queryset: QuerySet[PhoneProfile]) -> None:
        """Ask LeanCloud to text a verification code to each selected, unverified phone."""
        profiles = _selected(queryset)
        verified = [p for p in profiles if p.phone_verified]
        pending = [p for p in profiles if not p.phone_verified]
        outcome = _run(pending, _send_verification_sms)
        if outcome.done:
            message = ngettext(
                "Requested a verification SMS for %(count)d profile: %(profiles)s.",
                "Requested a verification SMS for %(count)d profiles: %(profiles)s.",
                len(outcome.done),
            )
            values = {"count": len(outcome.done), "profiles": _names(outcome.done)}
            self.message_user(request, message % values, messages.SUCCESS)
        if verified:
            message = ngettext(
                "Skipped %(count)d profile whose phone is already verified: %(profiles)s.",
                "Skipped %(count)d profiles whose phones are already verified: %(profiles)s.",
                len(verified),
            )
            values = {"count": len(verified), "profiles": _names(verified)}
            self.message_user(request, message % values, messages.INFO)
        self._report(request, outcome, gettext("No SMS sent"))

    def _report(self, request: HttpRequest, outcome: _Outcome, label: str) -> None:
        """One error message per reason, then one for the profiles a provider failure left."""
        for reason, profiles in outcome.failed.items():
            failure = {"label": label, "reason": reason, "profiles": _names(profiles)}
            message = gettext("%(label)s (%(reason)s): %(profiles)s.") % failure
            self.message_user(request, message, messages.ERROR)
        if outcome.stopped is not None:
            reason, remaining = outcome.stopped
            message = ngettext(
                "Stopped: %(reason)s. %(count)d profile was not processed: %(profiles)s.",
                "Stopped: %(reason)s. %(count)d profiles were not processed: %(profiles)s.",
                len(remaining),
            )
            stop = {"count": len(remaining), "reason": reason, "profiles": _names(remaining)}
            self.message_user(request, message % stop, messages.ERROR)


@dataclass
class _Outcome:
    """What an action did: profiles done, failures by reason, and where it stopped (if it did)."""

    done: list[PhoneProfile] = field(default_factory=list)
    failed: dict[str, list[PhoneProfile]] = field(default_factory=lambda: defaultdict(list))
    stopped: tuple[str, list[PhoneProfile]] | None = None


def _selected(queryset: QuerySet[PhoneProfile]) -> list[PhoneProfile]:
    return list(queryset.select_related("user").order_by("pk"))


def _send_verification_sms(profile: PhoneProfile) -> None:
    """One code, within the same per-number limits and SMS budget as the API's."""
    phone = profile.phone_e164
    if not phone:
        raise NoPhone()
    services.send_verification_code(phone, staff=True)


def _run(profiles: list[PhoneProfile], step: Callable[[PhoneProfile], object]) -> _Outcome:
    """``step`` each linked profile in turn; stop at the first provider failure.

    Stopping keeps an outage from costing one timeout per selected profile in a single admin
    request; every other error is about one profile, so the others still go ahead.
    """
    outcome = _Outcome()
    for index, profile in enumerate(profiles):
        if not profile.lc_object_id:  # no LeanCloud user to act on, as far as we know
            outcome.failed[gettext("not linked to a LeanCloud user")].append(profile)
            continue
        try:
            step(profile)
        except ProviderError as exc:
            outcome.stopped = (_reason(exc), profiles[index:])
            break
        except LcPhoneError as exc:
            outcome.failed[_reason(exc)].append(profile)
        else:
            outcome.done.append(profile)
    return outcome


# Why a profile failed, for staff (the API's texts are vaguer on purpose). First match wins.
_REASONS: Final[tuple[tuple[type[LcPhoneError], Any], ...]] = (
    (UnknownAccount, _("no such LeanCloud user")),
    (NoPhone, _("no phone number")),
    (SendThrottled, _("too many codes for this number, try again later")),
    (SmsBudgetExhausted, _("the site's SMS budget is spent")),
    (PhoneNotAllowed, _("codes cannot be sent to this number (country or number type)")),
    (Throttled, _("too many requests, try again later")),
    (CaptchaRequired, _("LeanCloud asks for a CAPTCHA")),
    (InvalidPhoneNumber, _("LeanCloud refused the phone number")),
    (SmsNotDelivered, _("LeanCloud could not send the message")),
    (ProviderTimeout, _("LeanCloud did not answer in time")),
    (BadProviderResponse, _("LeanCloud sent an invalid answer")),
    (ProviderMisconfigured, _("LeanCloud's master key is not set (LC_PHONE['MASTER_KEY'])")),
    (ProviderUnavailable, _("LeanCloud is unavailable")),
)


def _reason(exc: LcPhoneError) -> str:
    for cls, text in _REASONS:
        if isinstance(exc, cls):
            return str(text)
    # Anything else: the API's (translated) text for it, never the exception's English message.
    return str(to_api_error(exc).detail)


class PhoneProfileInline(_ProfileInlineBase):
    """The user's phone profile, read-only, on the user change page."""

    model = PhoneProfile
    fields = ("phone", *_SYNCED_FIELDS)
    readonly_fields = fields
    exclude = (SECRET_FIELD,)
    extra = 0
    max_num = 1
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Profiles are made by sign-ins or on the phone profile admin, not here."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        """Read-only: shown to those with the view permission."""
        return False


class PhoneProfileUserAdminMixin(_UserAdminBase):
    """Mixed in before the registered user admin: adds :class:`PhoneProfileInline`."""

    def get_inlines(self, request: HttpRequest, obj: Any) -> list[type[InlineModelAdmin[Any, Any]]]:
        """The registered admin's inlines, plus the phone profile on existing users."""
        inlines = list(super().get_inlines(request, obj))
        if obj is not None:
            inlines.append(PhoneProfileInline)
        return inlines

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        """Never filter users on their profile's session token, nor on a value with a NUL."""
        if _refused(lookup, value):
            return False
        return super().lookup_allowed(lookup, value, request)


def add_inline_to_user_admin(site: admin.AdminSite = admin.site) -> bool:
    """Replace the user model's ModelAdmin on ``site`` by one with the inline; True if done.

    Does nothing when the user model is not registered (see the module docstring), or when its
    admin already has the inline.
    """
    user_model = get_user_model()
    if not site.is_registered(user_model):
        return False
    current = type(site.get_model_admin(user_model))
    if issubclass(current, PhoneProfileUserAdminMixin):
        return False
    extended = type(
        f"{current.__name__}WithPhoneProfile",
        (PhoneProfileUserAdminMixin, current),
        {"__module__": __name__, "__doc__": current.__doc__},
    )
    site.unregister(user_model)
    site.register(user_model, extended)
    return True


admin.site.register(CompatSession, CompatSessionAdmin)
add_inline_to_user_admin()
