"""The security suite (reference §5, tables A-D) runs on the app tests' fixtures."""

from tests.app_fixtures import api, lc  # noqa: F401
