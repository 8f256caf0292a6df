"""This folder's tests run against the app, with the suite's shared app fixtures."""

from tests.app_fixtures import api, lc, redis_never_evicts  # noqa: F401
from tests.services._local import local  # noqa: F401 - the local provider on the locmem gateway
