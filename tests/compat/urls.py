"""URLs for the compat tests: LeanCloud's endpoints at the root, the phone API at auth/phone/."""

from django.urls import include, path

urlpatterns = [
    path("auth/phone/", include("django_lc_phone.urls")),
    path("", include("django_lc_phone.compat.urls")),
]
