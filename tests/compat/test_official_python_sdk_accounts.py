"""LeanCloud's official Python SDK, unchanged, signs up with a username and signs in by
username and by email against the compat endpoints, served over HTTP from a thread of this
test process (the test settings, ``tests/compat/urls.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, make_server

import pytest
from django.core.handlers.wsgi import WSGIHandler

from tests.app._api import lc_phone_settings
from tests.compat.conftest import APP_ID, APP_KEY
from tests.test_official_python_sdk import ROOT, _sdk_python

FLOW = ROOT / "tests" / "sdk" / "python_sdk_account_flow.py"


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """The audit log says what each request did; no access log on stderr."""


@pytest.fixture
def site_url(transactional_db: None) -> Iterator[str]:
    """The compat endpoints with username sign-ups on, at a local HTTP address."""
    with lc_phone_settings(PROVIDER="local", COMPAT_USERNAME_SIGNUP=True):
        server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_Quiet)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            server.server_close()


@pytest.mark.sdk
@pytest.mark.timeout(900)
def test_official_python_sdk_signs_up_and_in_by_username_and_email(site_url: str) -> None:
    python = _sdk_python()
    env = {**os.environ, "LEANCLOUD_API_SERVER": site_url}
    env.pop("LEANCLOUD_APP_ENV", None)
    result = subprocess.run(
        [str(python), str(FLOW), APP_ID, APP_KEY],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    steps = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [step["step"] for step in steps] == [
        "sign_up",
        "sign_up_taken",
        "login_by_username",
        "login_by_email",
        "refused_alike",
        "done",
    ]
    # One account, whichever name signed it in.
    assert len({step["object_id"] for step in steps if "object_id" in step}) == 1
    assert steps[1]["code"] == 202
