"""django-lc-phone: phone-number authentication for Django, backed by LeanCloud or run locally."""

__version__ = "0.1.0"
