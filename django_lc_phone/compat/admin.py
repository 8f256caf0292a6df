"""The admin of the compat session tokens (``CompatSession``): who holds one, since when, when
it was last used; staff revoke them. Registered by ``django_lc_phone.admin``.

Read-only: sessions are made by logins, never by hand. The stored SHA-256 is in no column,
field, search or filter (a ``?token_hash__startswith=`` lookup is refused): it is not the token,
but a hash of a random token is still a way to confirm a stolen one, and staff need it for
nothing. Revoking keeps the row (``revoked_at``, the record ``sessions.py`` keeps too); deleting
a row ends the session as well. Shown only with the local provider, the only one that issues
and honours these sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..conf import get_settings
from ..exceptions import InvalidPhoneNumber
from ..models import CompatSession
from ..phone import normalize_phone
from . import LOCAL_PROVIDERS

if TYPE_CHECKING:
    _SessionAdminBase = admin.ModelAdmin[CompatSession]
else:  # Django's admin classes are not subscriptable at run time
    _SessionAdminBase = admin.ModelAdmin

HASH_FIELD = "token_hash"
_SHOWN = ("user", "created_at", "last_used_at", "revoked_at")


class CompatSessionAdmin(_SessionAdminBase):
    """Compat session tokens: list, search by user, revoke; never added or edited here."""

    list_display = ("user", "live", "created_at", "last_used_at", "revoked_at")
    list_filter = (("revoked_at", admin.EmptyFieldListFilter), "created_at", "last_used_at")
    list_select_related = ("user",)
    ordering = ("-created_at", "-pk")
    search_help_text = _("Search by username or phone number.")
    fields = _SHOWN
    readonly_fields = _SHOWN
    actions = ("revoke",)

    @admin.display(boolean=True, description=_("live"))
    def live(self, obj: CompatSession) -> bool:
        """Not revoked (an inactive user's session does not work either, whatever this says)."""
        return obj.revoked_at is None

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        """The user's ``USERNAME_FIELD`` (custom user models too) and phone number."""
        return (f"user__{get_user_model().USERNAME_FIELD}", "user__lc_phone_profile__phone")

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[CompatSession], bool]:
        """Also find a number typed the way people type it (``+86 138-0013-8000``)."""
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        try:
            e164 = normalize_phone(search_term.strip())
        except InvalidPhoneNumber:
            return results, may_have_duplicates
        return results | queryset.filter(user__lc_phone_profile__phone=e164), may_have_duplicates

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        """Never filter on the token's hash (result counts would read it out), nor on a value
        with a NUL (PostgreSQL refuses one in a query: a 500 instead of the list)."""
        if HASH_FIELD in lookup.split("__") or "\x00" in value:
            return False
        return super().lookup_allowed(lookup, value, request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        """Listed on the admin index only with the local provider (the table is empty else)."""
        local = get_settings().PROVIDER in LOCAL_PROVIDERS
        return local and super().has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Sessions are issued by logins only."""
        return False

    def has_change_permission(self, request: HttpRequest, obj: CompatSession | None = None) -> bool:
        """Read-only: the view permission shows them; revoking needs the delete permission."""
        return False

    @admin.action(description=_("Revoke the selected sessions"), permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[CompatSession]) -> None:
        """End the selected live sessions now; the rows stay, for the record."""
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        message = ngettext("Revoked %(count)d session.", "Revoked %(count)d sessions.", count) % {
            "count": count
        }
        self.message_user(request, message, messages.SUCCESS)
