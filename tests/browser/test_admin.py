"""The admin in a real browser: the demo admin logs in, opens the phone profiles, filters
them by verification status, and sees who is and who is not verified."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from example_project.apps import DEMO_ADMIN_PASSWORD, DEMO_ADMIN_USERNAME
from tests.browser.conftest import screenshot
from tests.compat.imported_user import IMPORTED_PHONE, import_unverified_user
from tests.test_example_site import Site, running_site

if TYPE_CHECKING:
    from playwright.sync_api import Page

ALICE = "+8613800138000"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example site (emulator mode) with Alice, who signed up by code (verified), and a
    user imported from a LeanCloud export whose number was never verified."""
    tmp = tmp_path_factory.mktemp("browser-admin")
    with running_site(tmp) as running:
        assert running.post("/auth/phone/sms-code/", {"phone": ALICE}).status_code == 202
        messages = running.get("/emulator/v1/messages", params={"mobilePhoneNumber": ALICE})
        code = messages.json()["messages"][-1]["code"]
        signup = {"phone": ALICE, "code": code, "username": "alice"}
        assert running.post("/auth/phone/signup/", signup).status_code == 201
        import_unverified_user(running, tmp)
        yield running


def _rows(page: Page) -> list[str]:
    return [row.inner_text() for row in page.locator("#result_list tbody tr").all()]


def test_the_admin_filters_phone_profiles_by_verification(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/admin/login/?next=/admin/lc_phone/phoneprofile/")
    page.fill("#id_username", DEMO_ADMIN_USERNAME)
    page.fill("#id_password", DEMO_ADMIN_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/lc_phone/phoneprofile/$"))

    everyone = _rows(page)
    assert len(everyone) == 2
    assert any("alice" in row and ALICE in row for row in everyone)
    assert any("imported-user" in row and IMPORTED_PHONE in row for row in everyone)
    screenshot(page, "admin-phone-profiles")

    filters = page.locator("#changelist-filter")
    filters.get_by_role("link", name="No", exact=True).first.click()
    page.wait_for_url(re.compile(r"phone_verified__exact=0"))
    unverified = _rows(page)
    assert len(unverified) == 1
    assert "imported-user" in unverified[0]
    # The verification column shows Django's "no" icon for that row.
    icon = page.locator("#result_list tbody tr td.field-phone_verified img")
    assert icon.get_attribute("alt") == "False"
    screenshot(page, "admin-phone-profiles-unverified")

    filters.get_by_role("link", name="Yes", exact=True).first.click()
    page.wait_for_url(re.compile(r"phone_verified__exact=1"))
    verified = _rows(page)
    assert len(verified) == 1
    assert "alice" in verified[0]
    assert page.locator("td.field-phone_verified img").get_attribute("alt") == "True"


def test_screenshots_are_kept(site: Site, page: Page) -> None:
    page.goto(f"{site.url}/admin/login/")
    path: Path = screenshot(page, "admin-login")
    assert path.stat().st_size > 1000
