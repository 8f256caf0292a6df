"""The example site's LeanCloud emulator: one per process, shared by the WSGI app and the client.

The site serves it at ``/1.1/`` and ``/emulator/``; the app's LeanCloud client reaches the same
object in-process through :func:`session` (``LC_PHONE["HTTP_SESSION_FACTORY"]``).
"""

from __future__ import annotations

import functools

import requests
from django.conf import settings

from django_lc_phone.emulator import Emulator, EmulatorConfig
from django_lc_phone.leancloud.inprocess import wsgi_session

# The base URL the app's client uses in-process; requests to it never touch the network.
INPROCESS_URL = "http://emulator.example.invalid"


@functools.cache
def emulator() -> Emulator:
    """The site's emulator, keeping its users in ``EMULATOR_STATE`` across restarts."""
    config = EmulatorConfig(
        app_id=settings.LEANCLOUD_APP_ID,
        app_key=settings.LEANCLOUD_APP_KEY,
        master_key=settings.LEANCLOUD_MASTER_KEY,
        echo_codes=True,
    )
    return Emulator(config, state_path=settings.EMULATOR_STATE)


def session() -> requests.Session:
    """``LC_PHONE["HTTP_SESSION_FACTORY"]`` in emulator mode."""
    return wsgi_session(emulator(), INPROCESS_URL)
