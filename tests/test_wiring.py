"""The guard of tests/wiring.py notices a receiver of the app that a test disconnected."""

from __future__ import annotations

from django.db.models.signals import post_save

from tests import wiring


def test_the_guard_catches_a_disconnected_receiver_of_the_app() -> None:
    before = wiring.app_receivers()
    assert before, "the app connects receivers at start-up"
    signals = {id(s): s for s in wiring.watched()}
    signal_id, key = sorted(before, key=str)[0]
    signal = signals[signal_id]
    entry = next(e for e in signal.receivers if e[0] == key)
    signal.receivers.remove(entry)
    signal.sender_receivers_cache.clear()
    try:
        assert wiring.missing(before) == {(signal_id, key)}
    finally:
        signal.receivers.append(entry)
        signal.sender_receivers_cache.clear()
    assert not wiring.missing(before)
    assert post_save in wiring.watched()
