"""Django app configuration for django_lc_phone."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from .redaction import install_django_filters


class LcPhoneConfig(AppConfig):
    """The ``lc_phone`` app: registers its checks, the session records and the compat
    sessions' revocation receiver, and keeps SMS codes out of Django's request logs."""

    name = "django_lc_phone"
    label = "lc_phone"
    verbose_name = _("Phone authentication")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        """Import for side effects, and filter Django's request loggers (compat paths carry
        codes: ``/1.1/resetPasswordBySmsCode/<code>``); never raises on bad settings (checks
        report them). Logging is configured before ``ready()``, so the filters stay."""
        from . import checks, revocation  # noqa: F401  (revocation records sessions)
        from .compat import sessions  # noqa: F401  (credentials_revoked ends compat sessions)
        from .tokens import install_last_login_receiver

        install_last_login_receiver()

        install_django_filters()
