"""The user admin of the custom model, registered before ``django_lc_phone`` loads its admin."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib import admin

from .models import EmailUser

if TYPE_CHECKING:
    _Base = admin.ModelAdmin[EmailUser]
else:
    _Base = admin.ModelAdmin


@admin.register(EmailUser)
class EmailUserAdmin(_Base):
    """A plain ModelAdmin: django_lc_phone must add its inline to this one too."""

    list_display = ("email", "is_staff", "is_active")
    search_fields = ("email",)
    ordering = ("email",)
    fields = ("email", "is_staff", "is_active", "is_superuser", "last_login")
    readonly_fields = ("last_login",)
