"""The example site's Swagger UI in a real browser with no network beyond the site itself."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from tests.browser.conftest import screenshot
from tests.test_example_site import running_site

if TYPE_CHECKING:
    from playwright.sync_api import Page, Route


def test_swagger_ui_renders_every_endpoint_offline(tmp_path: Path, page: Page) -> None:
    """Finding 17: ``/api/docs/`` loaded ``swagger-ui-dist@latest`` from a CDN, so offline it
    was a blank page (and online, whatever version the CDN had that day). Now every request it
    makes goes to the site, which serves a pinned Swagger UI, and the endpoints are listed."""
    elsewhere: list[str] = []
    with running_site(tmp_path) as site:

        def only_the_site(route: Route) -> None:
            if route.request.url.startswith(site.url + "/"):
                route.continue_()
            else:
                elsewhere.append(route.request.url)
                route.abort()

        page.route("**/*", only_the_site)
        page.goto(site.url + "/api/docs/")
        path = page.locator(".opblock-summary-path", has_text="/auth/phone/sms-code/").first
        path.wait_for(timeout=15_000)
        assert page.locator(".opblock").count() >= 15  # every endpoint of the phone API
        screenshot(page, "swagger-ui-offline")
    assert elsewhere == []
