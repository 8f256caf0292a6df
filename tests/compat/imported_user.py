"""An unverified user on a live example site, brought in the way a migrating site brings its
LeanCloud users: ``manage.py lc_import_users`` on an export file.

Every user who signs up through the site proves a number by code, so the site itself never
makes an unverified one. LeanCloud apps do have them (a username sign-up with a number, never
verified), and they arrive with the export: the official SDKs verify such a user's number.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from tests.importer._records import DOC_PASSWORD, record, write_export
from tests.test_example_site import Site

IMPORTED_OBJECT_ID: Final = "5f3e0b1c2d4a6e8f9a0b1c2d"
IMPORTED_PHONE: Final = "+8613600136000"
# The password behind LeanCloud's documented export example (its salt and hash), so the
# user logs in with the hash exactly as LeanCloud exported it.
IMPORTED_PASSWORD: Final = DOC_PASSWORD


def import_unverified_user(site: Site, directory: Path) -> str:
    """Import one LeanCloud user with an unverified number into ``site``; its objectId."""
    export = write_export(
        directory,
        [
            record(
                1,
                objectId=IMPORTED_OBJECT_ID,
                username="imported-user",
                mobilePhoneNumber=IMPORTED_PHONE.removeprefix("+86"),
                mobilePhoneVerified=False,
            )
        ],
        fmt="array",
    )
    done = site.manage("lc_import_users", str(export))
    assert re.search(r"^\s*created\s+1$", done.stdout, re.M), done.stdout + done.stderr
    return IMPORTED_OBJECT_ID
