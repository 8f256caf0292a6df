"""The shop's settings: LeanCloud in production (an address no test may reach)."""

SECRET_KEY = "shop-tests-only"
DEBUG = False
USE_TZ = True
ROOT_URLCONF = "shop.urls"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "rest_framework",
    "rest_framework.authtoken",
    "django_lc_phone",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
AUTHENTICATION_BACKENDS = [
    "django_lc_phone.backends.PhoneCodeBackend",
    "django_lc_phone.backends.PhonePasswordBackend",  # before ModelBackend: lc_phone.E020
    "django.contrib.auth.backends.ModelBackend",
]
# ".invalid" never resolves (RFC 2606): a test that reached for LeanCloud would fail loudly.
LC_PHONE = {
    "APP_ID": "shopProductionAppId-MdYXbMMI",
    "APP_KEY": "shopProductionAppKey0000",
    "SERVER_URL": "https://shop-api.invalid",
    "DEFAULT_REGION": "CN",
}
