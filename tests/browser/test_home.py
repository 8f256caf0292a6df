"""The example site's home page in a real browser: request a code, read it in the SMS inbox
page, sign up with it; on the emulator (the default) and on the local provider."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.browser.conftest import screenshot
from tests.test_example_site import Site, running_site

if TYPE_CHECKING:
    from playwright.sync_api import Page

PHONE = "+8613800138000"  # the number the home page's form starts with


@pytest.mark.parametrize("mode", ["emulator", "local"])
def test_the_home_page_signs_a_visitor_up(mode: str, tmp_path: Path, page: Page) -> None:
    provider = "local" if mode == "local" else "leancloud"
    with running_site(tmp_path, LC_PHONE_PROVIDER=provider) as site:
        _sign_up_through_the_home_page(site, mode, page)


def _sign_up_through_the_home_page(site: Site, mode: str, page: Page) -> None:
    page.goto(site.url + "/")
    assert page.locator("#signup-phone").input_value() == PHONE
    page.click("#send-code")
    status = page.locator("#send-status")
    status.filter(has_text=re.compile(r"\S")).wait_for()
    assert "has been sent" in status.inner_text()

    inbox = page.context.new_page()
    inbox.goto(site.url + "/emulator/")
    row = inbox.locator("tbody tr", has_text=PHONE).first
    code = row.locator("td.code").inner_text().strip()
    assert re.fullmatch(r"\d{6}", code), code
    screenshot(inbox, f"inbox-{mode}")
    inbox.close()

    page.fill("#signup-code", code)
    page.click("#sign-up")
    result = page.locator("#signup-result")
    result.filter(has_text="Signed").wait_for()
    assert result.inner_text() == f"Signed up as alice ({PHONE}, verified)."
    screenshot(page, f"home-signed-up-{mode}")

    # The same code cannot sign anybody up twice.
    page.click("#sign-up")
    result.filter(has_text="invalid_code").wait_for()
