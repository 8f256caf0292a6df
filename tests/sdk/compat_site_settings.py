"""The example site in local mode, sending codes abroad too: the suite texts a +44 number.

LeanCloud sends international SMS once the app's console allows it, and the suite's app did;
the example site allows only its DEFAULT_REGION (CN), so the same switch is turned on here.
The suite signs users up by username and password, as an app migrating off LeanCloud may
keep doing: ``COMPAT_USERNAME_SIGNUP`` is on.
"""

from __future__ import annotations

from example_project import settings as example
from example_project.settings import *  # noqa: F403 - the example site, these settings changed

LC_PHONE: dict[str, object] = {  # type: ignore[no-redef]
    **example.LC_PHONE,
    "ALLOWED_REGIONS": ["CN", "GB"],
    "COMPAT_USERNAME_SIGNUP": True,
}
# LeanCloud takes any non-empty password, and the suite signs up with short common ones; the
# example site's validators would refuse them (218), which is the site's policy, not compat's.
AUTH_PASSWORD_VALIDATORS = []
