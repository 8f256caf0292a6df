"""Django app configuration for django_lc_phone."""

from django.apps import AppConfig


class LcPhoneConfig(AppConfig):
    """The ``lc_phone`` app."""

    name = "django_lc_phone"
    label = "lc_phone"
    verbose_name = "Phone authentication (LeanCloud)"
    default_auto_field = "django.db.models.BigAutoField"
