"""The benchmarked site's URLs: the example site's, and the floor view (``bench/floor.py``)."""

from django.urls import path

from example_project.urls import urlpatterns as example_urlpatterns

from .floor import floor
from .upstream import FLOOR_PATH

urlpatterns = [path(FLOOR_PATH.lstrip("/"), floor, name="bench-floor"), *example_urlpatterns]
