"""The example site as an app: it creates a demo admin account after ``migrate`` (DEBUG only)."""

from __future__ import annotations

from typing import Any, Final

from django.apps import AppConfig, apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.db.models.signals import post_migrate

# Documented on the home page and in the README. The example site is never deployed.
DEMO_ADMIN_USERNAME: Final = "admin"
DEMO_ADMIN_PASSWORD: Final = "lc-phone-demo-admin"


def create_demo_admin(
    sender: AppConfig, *, using: str = DEFAULT_DB_ALIAS, verbosity: int = 1, **kwargs: Any
) -> None:
    """Create the demo superuser unless it exists (idempotent); only while DEBUG is on.

    An existing ``admin`` is left alone, so a changed password survives the next ``migrate``.
    """
    if not settings.DEBUG:
        return
    user_model = get_user_model()
    manager: Any = user_model._default_manager.db_manager(using)
    if manager.filter(**{user_model.USERNAME_FIELD: DEMO_ADMIN_USERNAME}).exists():
        return
    manager.create_superuser(DEMO_ADMIN_USERNAME, email="", password=DEMO_ADMIN_PASSWORD)
    if verbosity >= 1:
        print(f"  Created the demo admin account: {DEMO_ADMIN_USERNAME} / {DEMO_ADMIN_PASSWORD}")


class ExampleProjectConfig(AppConfig):
    """``example_project``: templates, and the demo admin account."""

    name = "example_project"
    verbose_name = "django-lc-phone example site"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Listen to ``auth``'s ``post_migrate``: by then the user table exists."""
        post_migrate.connect(
            create_demo_admin,
            sender=apps.get_app_config("auth"),
            dispatch_uid="example_project.create_demo_admin",
        )
