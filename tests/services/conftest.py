"""This folder's tests run against the app: the suite's shared app fixtures (tests/app_fixtures.py)."""

from tests.app_fixtures import api, lc, redis_never_evicts  # noqa: F401
