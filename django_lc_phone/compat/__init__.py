"""LeanCloud's own ``/1.1/...`` phone-auth REST endpoints, served by the Django site.

Apps built on LeanCloud's SDKs point their server URL at the site and keep working after
LeanCloud's switch-off. The wire format comes from ``protocol.py`` (shared with the emulator);
every flow goes through ``services`` with the same limits and audit log as ``api/``; users are
the site's own (``PROVIDER = "local"`` only); session tokens are ``sessions.py``'s.
Include ``django_lc_phone.compat.urls`` at the root (see ``docs/compat.md``).
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from ..conf import get_settings

LOCAL_PROVIDERS = ("local", "django_lc_phone.providers.local.LocalProvider")


def require_local_provider() -> None:
    """Refuse to serve (``ImproperlyConfigured``) unless the local provider is configured:
    with LeanCloud as provider, its users are LeanCloud's, not the site's."""
    if get_settings().PROVIDER not in LOCAL_PROVIDERS:
        raise ImproperlyConfigured(
            "django_lc_phone.compat needs LC_PHONE['PROVIDER'] = 'local' "
            f"(it is {get_settings().PROVIDER!r})."
        )
