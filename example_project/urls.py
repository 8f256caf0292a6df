"""URLs of the example site: the phone API, its schema and Swagger UI, the admin; in local mode
LeanCloud's ``/1.1/`` endpoints, and with DEBUG the outbox and clock test controls."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from . import outbox, views

urlpatterns = [
    path("", views.home, name="home"),
    path("auth/phone/", include("django_lc_phone.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("admin/", admin.site.urls),
]

if settings.LC_PHONE_PROVIDER == "local":
    # LeanCloud's own /1.1/ endpoints, so apps on LeanCloud's SDKs sign in here too.
    urlpatterns.append(path("", include("django_lc_phone.compat.urls")))
    if settings.DEBUG:
        # The gateway's outbox where the emulator's would be, so the same tools read the codes.
        # Test controls with no credentials (the clock resets every limit): DEBUG only.
        urlpatterns += [
            path("emulator/", outbox.inbox, name="outbox"),
            path("emulator/v1/messages", outbox.messages, name="outbox-messages"),
            path("emulator/v1/clock", outbox.clock, name="outbox-clock"),
        ]
