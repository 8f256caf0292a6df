"""Settings for the in-process cost-per-flow figure (``bench/figures/cost.py``).

The example site in emulator mode (or local mode with ``LC_PHONE_PROVIDER=local``), on a
SQLite file, with the limits raised as in ``bench/settings.py`` and the client's requests
counted on their way to the in-process emulator.
"""

from __future__ import annotations

from typing import Any

from bench.settings import *  # noqa: F403 - the benchmarked site's settings
from bench.settings import LC_PHONE, USE_EMULATOR

# The caches are the example site's own: in local memory, or on the bench's Redis when
# cost.run() is given its URL (EXAMPLE_REDIS_URL, with a key prefix of the run's own).
# Sends happen inside the request here (SEND_IN_BACKGROUND off): the walk reads each code
# right after asking for it, and a flow's cost then includes its send's upstream call.
_LC_PHONE: dict[str, Any] = {**LC_PHONE, "SMS_RESEND_COOLDOWN": None, "SEND_IN_BACKGROUND": False}
LC_PHONE = _LC_PHONE
# The walk moves the clocks past resend windows (cost.Walker.code), so the limits run on the
# clock the example site uses with DEBUG; the figure runs with DEBUG off, as sites do.
if USE_EMULATOR:
    LC_PHONE["HTTP_SESSION_FACTORY"] = "bench.figures.cost.session"
    LC_PHONE["CLOCK"] = "example_project.emulator.now"
else:
    LC_PHONE["CLOCK"] = "example_project.outbox.now"
# The outermost middleware notes the Redis round trips made before each answer.
MIDDLEWARE = ["bench.figures.cost.AnswerMark", *MIDDLEWARE]  # noqa: F405
# Django's test client calls itself "testserver".
ALLOWED_HOSTS = ["testserver"]
