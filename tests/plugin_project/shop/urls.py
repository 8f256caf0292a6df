"""The phone API for the app, and the shop's own sign-in page."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("auth/phone/", include("django_lc_phone.urls")),
    path("sign-in/", views.sign_in),
]
