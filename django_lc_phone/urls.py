"""``include("django_lc_phone.urls")``: the phone-auth API under the ``lc_phone`` namespace."""

from .api.urls import app_name, urlpatterns

__all__ = ["app_name", "urlpatterns"]
