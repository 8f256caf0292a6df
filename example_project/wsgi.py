"""WSGI entry point of the example site: Django, plus the LeanCloud emulator in emulator mode.

In emulator mode, requests under ``/1.1/`` go to an in-process emulator (the same object the
site's LeanCloud client will use in-process), everything else to Django. With DEBUG, so do
those under ``/emulator``: its inbox and test controls, which take no credentials (its clock
resets every limit, ``reset`` forgets every user), so a site with DEBUG off never serves them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

django_application = get_wsgi_application()

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _with_emulator(site: WsgiApp) -> WsgiApp:
    from example_project.emulator import emulator as shared_emulator

    emulator = shared_emulator()
    controls = settings.DEBUG

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/1.1/") or (
            controls and (path == "/emulator" or path.startswith("/emulator/"))
        ):
            return emulator(environ, start_response)
        return site(environ, start_response)

    application.emulator = emulator  # type: ignore[attr-defined]
    return application


application: WsgiApp = (
    _with_emulator(django_application) if settings.USE_EMULATOR else django_application
)
