"""Settings for the test suite: PostgreSQL and Redis when they are there, else SQLite and locmem.

``LC_PHONE_TEST_SERVICES`` chooses: ``auto`` (the default: use PostgreSQL and Redis when both
answer on 127.0.0.1), ``on`` or ``off``. With ``CI=true`` and ``auto`` they are mandatory: when
they are missing the suite fails instead of quietly falling back.
"""

import os
import socket
from typing import Any


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


_CHOICE = os.environ.get("LC_PHONE_TEST_SERVICES", "auto").lower()
USE_SERVICES = _CHOICE == "on" or (
    _CHOICE == "auto"
    and (os.environ.get("CI", "").lower() == "true" or (_answers(5432) and _answers(6379)))
)

SECRET_KEY = "tests-only-not-secret-but-long-enough-for-hs256"
DEBUG = False
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.admin",
    "django.contrib.messages",
    "rest_framework",
    "rest_framework.authtoken",
    # Refresh tokens a phone change or a reset blacklists (django_lc_phone.revocation).
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "django_lc_phone",
]
if USE_SERVICES:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "USER": os.environ.get("LC_PHONE_TEST_PG_USER", "postgres"),
            "NAME": "test",
            # One test database per run, so parallel runs on one server never collide.
            "TEST": {"NAME": f"test_lc_phone_{os.getpid()}"},
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("LC_PHONE_TEST_REDIS", "redis://127.0.0.1:6379/7"),
            "KEY_PREFIX": f"lc_phone_tests_{os.getpid()}",
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
ROOT_URLCONF = "tests.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Answers in the request's language (Accept-Language; tests/app/test_i18n.py).
    "django.middleware.locale.LocaleMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", "English"), ("zh-hans", "简体中文")]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The phone backends before ModelBackend, so that a phone-number username's password spends
# the attempt budget whoever checks it (check lc_phone.E020).
AUTHENTICATION_BACKENDS = [
    "django_lc_phone.backends.PhoneCodeBackend",
    "django_lc_phone.backends.PhonePasswordBackend",
    "django.contrib.auth.backends.ModelBackend",
]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LC_PHONE: dict[str, Any] = {
    "APP_ID": "lcphoneDemoAppId0-gzGzoHsz",
    "APP_KEY": "lcphoneDemoAppKey000000",
    "MASTER_KEY": "lcphoneDemoMasterKey000",
    "SERVER_URL": "http://leancloud.test",
    "HTTP_SESSION_FACTORY": "tests.upstream.session",
    "DEFAULT_REGION": "CN",
    "SMS_TEMPLATES": ["Order_Notice"],
    # The limiter's clock, which tests move (tests/limiter.py).
    "CLOCK": "tests.limiter.LIMITER_CLOCK",
    # Codes are in the outbox when the request returns; the tests of background sends
    # (tests/security/test_background_sends.py) turn it on.
    "SEND_IN_BACKGROUND": False,
    # Every token sign-in moves last_login, as Django's login() does, so the query counts the
    # suite pins are a login's worst case; tests/app/test_last_login.py tests the default.
    "LAST_LOGIN_PRECISION": 0,
}
