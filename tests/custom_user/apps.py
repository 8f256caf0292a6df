"""The ``custom_user`` test app."""

from django.apps import AppConfig


class CustomUserConfig(AppConfig):
    """A user model that signs in by email, registered in the admin."""

    name = "tests.custom_user"
    label = "custom_user"
    default_auto_field = "django.db.models.BigAutoField"
