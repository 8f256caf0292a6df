"""Settings for the in-process cost-per-flow figure (``bench/figures/cost.py``).

The example site in emulator mode (or local mode with ``LC_PHONE_PROVIDER=local``), on a
SQLite file, with the limits raised as in ``bench/settings.py`` and the client's requests
counted on their way to the in-process emulator.
"""

from __future__ import annotations

from typing import Any

from bench.settings import *  # noqa: F403 - the benchmarked site's settings
from bench.settings import LC_PHONE, USE_EMULATOR

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
_LC_PHONE: dict[str, Any] = {**LC_PHONE, "SMS_RESEND_COOLDOWN": None}
LC_PHONE = _LC_PHONE
if USE_EMULATOR:
    LC_PHONE["HTTP_SESSION_FACTORY"] = "bench.figures.cost.session"
# Django's test client calls itself "testserver".
ALLOWED_HOSTS = ["testserver"]
