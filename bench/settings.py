"""Settings of the benchmarked site: the example site's, with the load test let through.

The rate limiter stays on, against Redis, so its cache round trips are measured as a real
site pays them; only its limits are raised far above what one load generator on one IP
sends (``bench/results.md`` says so). Environment variables on top of the example site's:

- ``BENCH_POOL_MAXSIZE``: ``LC_PHONE["POOL_MAXSIZE"]`` (upstream connections kept per process).
- ``BENCH_FAST_HASHER=1``: MD5 password hashing, only for the local provider's figure that
  isolates the layer's own cost from Django's deliberately slow PBKDF2.
"""

from __future__ import annotations

import os
from typing import Any

from example_project.settings import *  # noqa: F403 - the benchmarked site is the example site
from example_project.settings import DATABASES as _EXAMPLE_DATABASES
from example_project.settings import LC_PHONE, PASSWORD_HASHERS

_FAR_ABOVE_THE_LOAD = 1_000_000_000

_LC_PHONE: dict[str, Any] = {
    **LC_PHONE,
    "PASSWORD_ATTEMPTS": _FAR_ABOVE_THE_LOAD,
    "CODE_ATTEMPTS": _FAR_ABOVE_THE_LOAD,
    "ATTEMPTS_PER_IP_MINUTE": _FAR_ABOVE_THE_LOAD,
    "SMS_PER_IP_MINUTE": _FAR_ABOVE_THE_LOAD,
    "SMS_PER_IP_HOUR": _FAR_ABOVE_THE_LOAD,
    "SMS_PER_PHONE_HOUR": _FAR_ABOVE_THE_LOAD,
    "SMS_PER_PHONE_DAY": _FAR_ABOVE_THE_LOAD,
    "SMS_PER_PREFIX_HOUR": _FAR_ABOVE_THE_LOAD,
    "SMS_BUDGET_HOUR": _FAR_ABOVE_THE_LOAD,
    "SMS_BUDGET_DAY": _FAR_ABOVE_THE_LOAD,
    "POOL_MAXSIZE": int(os.environ.get("BENCH_POOL_MAXSIZE", "10")),
}
LC_PHONE = _LC_PHONE

# The example site's URLs and the floor view (bench/floor.py).
ROOT_URLCONF = "bench.urls"

if os.environ.get("BENCH_FAST_HASHER") == "1":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]

# Nothing per request on the console: a log line per login would be measured too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "root": {"level": "WARNING"},
}

# Persistent database connections, as a production site under gunicorn threads runs (Django
# opens one per request by default, ~3 ms each against PostgreSQL here: not this app's cost).
# No health checks (Django's default): with them every request starts with a SELECT 1, a
# round trip of the deployment's choosing, not of this app (about 1 ms at L = 0 here).
# On PostgreSQL, server-side parameter binding with psycopg's prepared statements: a query
# run again on a connection skips PostgreSQL's parse and plan (the sign-in's read takes
# 0.3 ms instead of 0.75 ms here). Django leaves both off by default; docs/benchmarks.md says
# when a site can turn them on (not behind PgBouncer in transaction mode before 1.21).
_PREPARED = {"server_side_binding": True, "prepare_threshold": 1}
_DATABASES: dict[str, dict[str, Any]] = {
    alias: {
        **database,
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": False,
        **(
            {"OPTIONS": {**database.get("OPTIONS", {}), **_PREPARED}}
            if database["ENGINE"] == "django.db.backends.postgresql"
            else {}
        ),
    }
    for alias, database in _EXAMPLE_DATABASES.items()
}
DATABASES = _DATABASES
