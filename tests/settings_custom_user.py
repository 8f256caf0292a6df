"""The test settings with a custom user model, ``custom_user.EmailUser`` (email, no username).

``tests.custom_user`` comes before ``django_lc_phone`` so that its user admin is registered when
django_lc_phone's admin adds the phone profile inline to it.
"""

from tests.settings import *  # noqa: F403
from tests.settings import INSTALLED_APPS as BASE_APPS

AUTH_USER_MODEL = "custom_user.EmailUser"
INSTALLED_APPS = [
    *(app for app in BASE_APPS if app != "django_lc_phone"),
    "tests.custom_user",
    "django_lc_phone",
]
