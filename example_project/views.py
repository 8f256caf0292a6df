"""The example site's home page: what runs where, and how to try each flow with curl."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .apps import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME

# The numbers and passwords the home page's commands use (valid CN mobile numbers).
PHONE = "+8613800138000"
NEW_PHONE = "+8613900139000"
OTHER_PHONE = "+8613700137000"
PASSWORD = "correct-horse-42"
NEW_PASSWORD = "battery-staple-42"
OTHER_PASSWORD = "bob-password-42"


def home(request: HttpRequest) -> HttpResponse:
    """Say whether the emulator is serving, and how to try every flow against ``/auth/phone/``."""
    base = request.build_absolute_uri("/").rstrip("/")
    context = {
        "use_emulator": settings.USE_EMULATOR,
        "local": settings.LC_PHONE_PROVIDER == "local",
        # Both modes keep the codes on this machine and show them at /emulator/: a test
        # control, served only with DEBUG (urls.py, wsgi.py).
        "has_inbox": settings.DEBUG
        and (settings.USE_EMULATOR or settings.LC_PHONE_PROVIDER == "local"),
        "base": base,
        "app_id": settings.LEANCLOUD_APP_ID,
        "app_key": settings.LEANCLOUD_APP_KEY if settings.USE_EMULATOR else "",
        "server_url": settings.LEANCLOUD_SERVER_URL,
        "debug": settings.DEBUG,
        "admin_username": DEMO_ADMIN_USERNAME,
        "admin_password": DEMO_ADMIN_PASSWORD,
        "phone": PHONE,
        "new_phone": NEW_PHONE,
        "other_phone": OTHER_PHONE,
        "password": PASSWORD,
        "new_password": NEW_PASSWORD,
        "other_password": OTHER_PASSWORD,
    }
    return render(request, "home.html", context)
