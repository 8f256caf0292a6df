"""The example site's home page: what runs where, and how to try it."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def home(request: HttpRequest) -> HttpResponse:
    """Say whether the emulator is serving, with its credentials and links."""
    base = request.build_absolute_uri("/").rstrip("/")
    context = {
        "use_emulator": settings.USE_EMULATOR,
        "base": base,
        "app_id": settings.LEANCLOUD_APP_ID,
        "app_key": settings.LEANCLOUD_APP_KEY if settings.USE_EMULATOR else "",
        "server_url": settings.LEANCLOUD_SERVER_URL,
    }
    return render(request, "home.html", context)
