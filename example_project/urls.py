"""URLs of the example site."""

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
    # The gateway's outbox where the emulator's would be, so the same tools read the codes.
    urlpatterns += [
        path("emulator/", outbox.inbox, name="outbox"),
        path("emulator/v1/messages", outbox.messages, name="outbox-messages"),
        path("emulator/v1/clock", outbox.clock, name="outbox-clock"),
        # LeanCloud's own /1.1/ endpoints, so apps on LeanCloud's SDKs sign in here too.
        path("", include("django_lc_phone.compat.urls")),
    ]
