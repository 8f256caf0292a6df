"""The receivers the app connected stay connected: a snapshot before a test, a check after."""

from __future__ import annotations

import weakref

from django.db.models import signals as model_signals
from django.dispatch import Signal

from django_lc_phone import signals as app_signals


def watched() -> list[Signal]:
    """The app's own signals and the Django signals it may connect to."""
    mine = [s for s in vars(app_signals).values() if isinstance(s, Signal)]
    django = [s for s in vars(model_signals).values() if isinstance(s, Signal)]
    from django.contrib.auth import signals as auth_signals
    from django.core import signals as core_signals

    for module in (auth_signals, core_signals):
        django += [s for s in vars(module).values() if isinstance(s, Signal)]
    return mine + django


def app_receivers() -> set[tuple[int, object]]:
    """(signal id, lookup key) of every live receiver defined in ``django_lc_phone``."""
    found: set[tuple[int, object]] = set()
    for signal in watched():
        for key, ref, *_ in signal.receivers:
            receiver = ref() if isinstance(ref, (weakref.ref, weakref.WeakMethod)) else ref
            module = getattr(receiver, "__module__", "") or ""
            if module.startswith("django_lc_phone"):
                found.add((id(signal), key))
    return found


def missing(before: set[tuple[int, object]]) -> set[tuple[int, object]]:
    """Receivers of the app in ``before`` that are no longer connected."""
    return before - app_receivers()
