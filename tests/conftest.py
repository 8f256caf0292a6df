"""Shared fixtures: an emulator in-process, one over real HTTP, and clients for both."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from django_lc_phone.emulator import Emulator, RunningServer
from django_lc_phone.leancloud import LeanCloudClient, RetryPolicy
from django_lc_phone.testing.inprocess import wsgi_session
from tests.limiter import LIMITER_CLOCK, FakeClock, clear_limits

INPROCESS_URL = "http://lc-emulator.test"
# A separate project with its own settings, run in its own process
# (tests/testing/test_pytest_plugin.py).
collect_ignore = ["plugin_project"]


@pytest.fixture
def emulator_server(lc_emulator_session: RunningServer) -> Iterator[RunningServer]:
    """The emulator over real HTTP on a free port, emptied around each test.

    The plugin's session-wide server, without its ``lc_emulator`` fixture: that one also
    rewrites ``LC_PHONE`` for the test, and this suite sets ``LC_PHONE`` itself
    (``tests/testing/test_pytest_plugin.py`` and ``tests/plugin_project`` test the fixture).
    """
    lc_emulator_session.emulator.reset()
    yield lc_emulator_session
    lc_emulator_session.emulator.reset()


@pytest.fixture
def emulator() -> Emulator:
    """A fresh in-process emulator."""
    return Emulator()


def make_client(emulator: Emulator, server_url: str, **options: object) -> LeanCloudClient:
    """A client signed with the emulator's demo credentials, never sleeping between retries."""
    options.setdefault("retry", RetryPolicy(max_connect_retries=1, backoff_base=0.0))
    options.setdefault("sleep", lambda seconds: None)
    return LeanCloudClient(
        emulator.config.app_id,
        emulator.config.app_key,
        master_key=emulator.config.master_key,
        server_url=server_url,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def http_client(emulator_server: RunningServer) -> Iterator[LeanCloudClient]:
    """A client talking to the HTTP emulator over real sockets."""
    client = make_client(emulator_server.emulator, emulator_server.url, read_timeout=2.0)
    yield client
    client.close()


@pytest.fixture
def inprocess_client(emulator: Emulator) -> LeanCloudClient:
    """A client whose requests go straight into the in-process emulator."""
    return make_client(emulator, INPROCESS_URL, session=wsgi_session(emulator, INPROCESS_URL))


@pytest.fixture(autouse=True)
def limiter_clock() -> Iterator[FakeClock]:
    """Every test starts with empty limits and a limiter clock it can move (the test settings
    name it as ``LC_PHONE["CLOCK"]``)."""
    LIMITER_CLOCK.now = time.time()
    clear_limits()
    yield LIMITER_CLOCK
    clear_limits()


@pytest.fixture
def captcha_answers(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The answer of each challenge the built-in CAPTCHA issues during the test, by its token.

    Its image names the answer nowhere and nothing stores it, so this records what the image
    was drawn from as the token is issued."""
    from django_lc_phone.providers.local.captcha import tokens

    answers: dict[str, str] = {}
    issue = tokens.issue

    def recording(answer: str) -> str:
        token = issue(answer)
        answers[token] = answer
        return token

    monkeypatch.setattr(tokens, "issue", recording)
    return answers


@pytest.fixture(autouse=True)
def _app_receivers_stay_connected() -> Iterator[None]:
    """Fail a test that leaves a receiver the app connected disconnected (tests/wiring.py)."""
    from tests import wiring

    before = wiring.app_receivers()
    yield
    gone = wiring.missing(before)
    assert not gone, f"the test disconnected receivers of the app: {sorted(map(str, gone))}"
