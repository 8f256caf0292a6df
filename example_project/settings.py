"""Settings for the example site: SQLite, and the in-process LeanCloud emulator by default.

Environment variables:

- ``LEANCLOUD_SERVER_URL``: empty (the default) for emulator mode, where the site serves a
  LeanCloud emulator itself; your app's API domain (e.g. ``https://api.example.com``) to talk to
  a real LeanCloud app instead, or a standalone emulator's address (``python -m
  django_lc_phone.emulator``: ``http://127.0.0.1:8765``; with DEBUG off, ``check`` warns
  ``lc_phone.W003`` about the clear-text URL, and that is all).
- ``LC_PHONE_PROVIDER``: ``leancloud`` (the default) or ``local``: no LeanCloud at all, the
  site's own users, passwords and codes, sent through ``LC_PHONE_SMS_GATEWAY`` (the console
  gateway by default: codes are printed, and with DEBUG served at ``/emulator/v1/messages``
  and ``/emulator/`` like the emulator's outbox), and LeanCloud's own ``/1.1/`` phone endpoints
  for apps on LeanCloud's SDKs (``docs/compat.md``).
- ``LC_PHONE_SMS_WEBHOOK_URL`` and ``LC_PHONE_SMS_WEBHOOK_SECRET``: in local mode, send every
  code to your own HTTP endpoint instead, signed as Standard Webhooks with that ``whsec_``
  secret (the webhook gateway, ``docs/gateways.md``), unless ``LC_PHONE_SMS_GATEWAY`` names
  another gateway. ``manage.py check`` reports ``lc_phone.E030`` for a missing or malformed
  URL or secret.
- ``LEANCLOUD_APP_ID``, ``LEANCLOUD_APP_KEY``, ``LEANCLOUD_MASTER_KEY``: the app's credentials.
  In emulator and local modes they default to the emulator's demo credentials, and the
  emulator (or the ``/1.1/`` endpoints) accepts whichever are set; in real mode they have no
  default (``manage.py check`` reports ``lc_phone.E001`` when the id or key is missing).
- ``EXAMPLE_DB`` and ``EMULATOR_STATE``: the SQLite files of the site and of the emulator.
- ``EXAMPLE_PG_NAME``: a PostgreSQL database to use instead of ``EXAMPLE_DB`` (it must exist;
  ``migrate`` fills it), on ``EXAMPLE_PG_HOST`` (``127.0.0.1``), ``EXAMPLE_PG_PORT``
  (``5432``) as ``EXAMPLE_PG_USER`` (``postgres``) with ``EXAMPLE_PG_PASSWORD`` (none). Needs
  ``psycopg``. Several site processes (e.g. gunicorn instances) can share it.
- ``EXAMPLE_REDIS_URL``: a Redis URL (e.g. ``redis://127.0.0.1:6379/0``) for the cache that
  holds the phone API's limits (the ``limits`` alias, ``LC_PHONE["CACHE"]``) and for Django's
  default cache, instead of per-process local memory; with ``EXAMPLE_CACHE_PREFIX`` as their
  ``KEY_PREFIX`` (none by default). Needs ``redis``. Processes that share it share their
  limits. Its ``maxmemory-policy`` must be ``noeviction`` (Redis's default): a Redis that
  evicts keys to make room forgets lockouts and cooldowns.
- ``DJANGO_DEBUG`` (``1`` by default) and ``DJANGO_SECRET_KEY``. With DEBUG on, ``migrate``
  creates the demo admin account (see ``example_project/apps.py``), and the site serves its
  test controls, which take no credentials: the inbox and outbox at ``/emulator/`` and
  ``/emulator/v1/messages``, and ``/emulator/v1/clock``, a clock that moves the limits' time
  (``LC_PHONE["CLOCK"]``, set only then); in emulator mode the emulator's other controls
  (faults, reset...) too. With DEBUG off none of them is served.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from django.conf import global_settings

from django_lc_phone import __version__
from django_lc_phone.emulator.config import DEMO_APP_ID, DEMO_APP_KEY, DEMO_MASTER_KEY

BASE_DIR = Path(__file__).resolve().parent.parent

# Development-only secret: the example site is not meant to be deployed.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-only-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "[::1]"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    # Swagger UI and Redoc from the installed package, at a pinned version: /api/docs/ needs
    # no CDN (the `example` extra installs it).
    "drf_spectacular_sidecar",
    "django_lc_phone",
    "example_project.apps.ExampleProjectConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # API answers and the admin in the request's language (Accept-Language): en or zh-hans.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
# The WSGI app serves the emulator beside Django when no real LeanCloud is configured.
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "example_project" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# SQLite by default; PostgreSQL when EXAMPLE_PG_NAME names a database.
if os.environ.get("EXAMPLE_PG_NAME"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ["EXAMPLE_PG_NAME"],
            "HOST": os.environ.get("EXAMPLE_PG_HOST", "127.0.0.1"),
            "PORT": os.environ.get("EXAMPLE_PG_PORT", "5432"),
            "USER": os.environ.get("EXAMPLE_PG_USER", "postgres"),
            "PASSWORD": os.environ.get("EXAMPLE_PG_PASSWORD", ""),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("EXAMPLE_DB", str(BASE_DIR / "example.sqlite3")),
        }
    }

# The phone API keeps its limits, lockouts and cooldowns in a cache of their own, which must
# never evict them to make room (LC_PHONE["CACHE"]): Redis, shared by every process that uses
# it, when EXAMPLE_REDIS_URL is set; else local memory (one process). The default cache is
# for everything else.
LIMITS_CACHE = "limits"
CACHES: dict[str, dict[str, Any]]
if os.environ.get("EXAMPLE_REDIS_URL"):
    _REDIS = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ["EXAMPLE_REDIS_URL"],
        "KEY_PREFIX": os.environ.get("EXAMPLE_CACHE_PREFIX", ""),
    }
    CACHES = {"default": dict(_REDIS), LIMITS_CACHE: dict(_REDIS)}
else:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        LIMITS_CACHE: {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "lc-phone-limits",
            # LocMemCache culls a third of its entries once it holds MAX_ENTRIES (300 by
            # default), whether they expired or not: a burst of requests would then forget
            # lockouts and cooldowns. Every limit expires on its own, so no bound is needed;
            # this one is only too large for any site to reach.
            "OPTIONS": {"MAX_ENTRIES": 2**62},
        },
    }

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
# The languages django_lc_phone ships (its zh_Hans catalog); English stays the default.
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
STATIC_URL = "static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Django's hashers, then LeanCloud's: users imported from a LeanCloud export
# (``manage.py lc_import_users``) log in with their old passwords, re-hashed on first login.
PASSWORD_HASHERS = [
    *global_settings.PASSWORD_HASHERS,
    "django_lc_phone.hashers.LeanCloudSHA512PasswordHasher",
]

# The password rules the API applies to new passwords (signup/, password-reset/).
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# "local": no LeanCloud at all; the site's own users and codes, sent by the console gateway.
LC_PHONE_PROVIDER = os.environ.get("LC_PHONE_PROVIDER", "leancloud")
LEANCLOUD_SERVER_URL = os.environ.get("LEANCLOUD_SERVER_URL", "")
# Empty server URL: the site serves the emulator itself, at /1.1/ (and with DEBUG /emulator/).
USE_EMULATOR = not LEANCLOUD_SERVER_URL and LC_PHONE_PROVIDER != "local"
# The emulator, and in local mode the LeanCloud-compatible /1.1/ endpoints (docs/compat.md),
# accept whatever credentials are set, the demo ones by default; a real LeanCloud app needs
# its own, so there is no default then.
DEMO_KEYS = USE_EMULATOR or LC_PHONE_PROVIDER == "local"
LEANCLOUD_APP_ID = os.environ.get("LEANCLOUD_APP_ID", DEMO_APP_ID if DEMO_KEYS else "")
LEANCLOUD_APP_KEY = os.environ.get("LEANCLOUD_APP_KEY", DEMO_APP_KEY if DEMO_KEYS else "")
LEANCLOUD_MASTER_KEY = os.environ.get("LEANCLOUD_MASTER_KEY", DEMO_MASTER_KEY if DEMO_KEYS else "")
# Where the emulator keeps its LeanCloud users, so they outlive a restart like the site's own.
EMULATOR_STATE = os.environ.get("EMULATOR_STATE", str(BASE_DIR / "example-emulator.sqlite3"))

LC_PHONE: dict[str, Any] = {
    "APP_ID": LEANCLOUD_APP_ID,
    "APP_KEY": LEANCLOUD_APP_KEY,
    "MASTER_KEY": LEANCLOUD_MASTER_KEY,
    "DEFAULT_REGION": "CN",
    "SMS_TEMPLATES": ["Order_Notice"],
    "TOKEN_ISSUER": "authtoken",
    "CACHE": LIMITS_CACHE,
}
if LC_PHONE_PROVIDER == "local":
    LC_PHONE["PROVIDER"] = "local"
    # Prints each message (code included) and keeps the last ones for /emulator/v1/messages.
    # With a webhook URL, codes go to your own endpoint (the webhook gateway) instead.
    webhook_url = os.environ.get("LC_PHONE_SMS_WEBHOOK_URL", "")
    sms_gateway = os.environ.get(
        "LC_PHONE_SMS_GATEWAY",
        "django_lc_phone.sms.webhook.WebhookGateway"
        if webhook_url
        else "django_lc_phone.sms.console.ConsoleGateway",
    )
    LC_PHONE["SMS_GATEWAY"] = sms_gateway
    if sms_gateway.endswith(".WebhookGateway"):
        LC_PHONE["SMS_GATEWAY_OPTIONS"] = {
            "url": webhook_url,
            "secret": os.environ.get("LC_PHONE_SMS_WEBHOOK_SECRET", ""),
        }
    if DEBUG:  # a movable clock for the limits, moved by /emulator/v1/clock (DEBUG only too)
        LC_PHONE["CLOCK"] = "example_project.outbox.now"
elif USE_EMULATOR:
    from example_project.emulator import INPROCESS_URL

    LC_PHONE["SERVER_URL"] = INPROCESS_URL
    LC_PHONE["HTTP_SESSION_FACTORY"] = "example_project.emulator.session"
    if DEBUG:  # the limits on the emulator's clock, which /emulator/v1/clock moves
        LC_PHONE["CLOCK"] = "example_project.emulator.now"
    # So that a CAPTCHA's image URL names this site, which serves the emulator's /1.1/.
    MIDDLEWARE.append("example_project.emulator.SiteAddressMiddleware")
else:
    LC_PHONE["SERVER_URL"] = LEANCLOUD_SERVER_URL

# The phone backends before ModelBackend: a phone number typed as a username (in the admin,
# say) then spends the phone's password budget before any other backend sees it.
AUTHENTICATION_BACKENDS = [
    "django_lc_phone.backends.PhonePasswordBackend",
    "django_lc_phone.backends.PhoneCodeBackend",
    "django.contrib.auth.backends.ModelBackend",
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "django-lc-phone example",
    "DESCRIPTION": "Phone-number authentication backed by LeanCloud (or its emulator).",
    "VERSION": __version__,
    # The schema documents the phone API, not its own endpoint.
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from validator.swagger.io either: the page asks nothing of another host.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
}
