"""The objectId sync: idempotent, linking by objectId then phone, and safe under concurrency."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, connections
from django.utils import timezone

from django_lc_phone import services, signals
from django_lc_phone.models import PhoneProfile
from django_lc_phone.providers.base import RemoteUser
from django_lc_phone.sync import link_remote_user
from tests import upstream
from tests.app._api import assert_no_transaction, lc_phone_settings

PHONE = "+8613800138000"
OBJECT_ID = "5d831ad3f40d3a0007541fbc"
OTHER_ID = "5d831ad3f40d3a0007541fbd"

needs_real_concurrency = pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="threads need a real server database (PostgreSQL; mandatory with CI=true)",
)


def remote(object_id: str = OBJECT_ID, phone: str | None = PHONE, **extra: Any) -> RemoteUser:
    fields: dict[str, Any] = {
        "object_id": object_id,
        "username": phone,
        "phone": phone,
        "phone_verified": True,
        "session_token": "tokenaaaaaaaaaaaaaaaaaaaa",
        **extra,
    }
    return RemoteUser(**fields)


def test_linking_the_same_remote_user_is_idempotent() -> None:
    created: list[Any] = []

    def receiver(**kw: Any) -> None:
        created.append(kw["user"])

    signals.phone_user_created.connect(receiver, weak=False)
    try:
        first = link_remote_user(remote())
        again = link_remote_user(remote(session_token="tokenbbbbbbbbbbbbbbbbbbbb"))
    finally:
        signals.phone_user_created.disconnect(receiver)
    assert first.pk == again.pk
    assert [u.pk for u in created] == [first.pk]
    profile = PhoneProfile.objects.get()
    assert (profile.lc_object_id, profile.phone_e164) == (OBJECT_ID, PHONE)
    assert profile.phone_verified is True
    assert profile.phone_verified_at is not None
    assert profile.lc_session_token == "tokenbbbbbbbbbbbbbbbbbbbb"
    assert not first.has_usable_password()
    assert get_user_model().objects.count() == 1


def test_an_unlinked_profile_is_linked_by_phone() -> None:
    user = get_user_model().objects.create_user("existing")
    PhoneProfile.objects.create(user=user, phone=PHONE)
    assert link_remote_user(remote()).pk == user.pk
    assert PhoneProfile.objects.get().lc_object_id == OBJECT_ID


def test_a_recycled_number_moves_to_its_new_owner() -> None:
    old_owner = link_remote_user(remote(OBJECT_ID))
    new_owner = link_remote_user(remote(OTHER_ID, username="newcomer"))
    assert old_owner.pk != new_owner.pk
    old = PhoneProfile.objects.get(user_id=old_owner.pk)
    assert (old.phone, old.phone_verified) == (None, False)
    assert PhoneProfile.objects.get(user_id=new_owner.pk).phone_e164 == PHONE


def test_a_taken_username_falls_back_to_the_object_id() -> None:
    get_user_model().objects.create_user(PHONE)
    user = link_remote_user(remote())
    assert user.get_username() == f"lc_{OBJECT_ID}"


def test_losing_verification_upstream_clears_the_local_flag() -> None:
    link_remote_user(remote())
    link_remote_user(remote(phone_verified=False))
    profile = PhoneProfile.objects.get()
    assert (profile.phone_verified, profile.phone_verified_at) == (False, None)


def test_a_sign_in_writes_only_what_changed(django_assert_num_queries: Any) -> None:
    """A new session token is one UPDATE of it (no transaction), and what others wrote to
    the row since it was read (a capture, an import) stays."""
    link_remote_user(remote())
    read = PhoneProfile.objects.select_related("user").get()
    written_meanwhile = timezone.now() - timedelta(days=1)
    PhoneProfile.objects.update(captured_password="captured", lc_updated_at=written_meanwhile)
    with django_assert_num_queries(1) as captured:
        link_remote_user(remote(session_token="tokenbbbbbbbbbbbbbbbbbbbb", profile=read))
    assert_no_transaction(captured)
    update = captured.captured_queries[0]["sql"]
    assert "lc_session_token" in update, update
    assert "captured_password" not in update, update
    profile = PhoneProfile.objects.get()
    assert profile.lc_session_token == "tokenbbbbbbbbbbbbbbbbbbbb"
    assert profile.lc_session_token_at is not None
    assert (profile.captured_password, profile.lc_updated_at) == ("captured", written_meanwhile)


def test_an_unchanged_sign_in_writes_nothing(django_assert_num_queries: Any) -> None:
    link_remote_user(remote())
    with django_assert_num_queries(1) as captured:  # the read
        link_remote_user(remote())
    assert_no_transaction(captured)


def _race(worker: Callable[[], Any], threads: int = 10) -> list[Any]:
    """Run ``worker`` in parallel threads released at once; their results, or exceptions."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = worker()
        except Exception as exc:
            results[index] = exc
        finally:
            connections.close_all()

    pool = [threading.Thread(target=run, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=60)
    return results


@needs_real_concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_links_of_one_remote_user_make_one_local_user() -> None:
    results = _race(lambda: link_remote_user(remote()).pk)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    assert get_user_model().objects.count() == 1
    assert PhoneProfile.objects.count() == 1


@needs_real_concurrency
@pytest.mark.django_db(transaction=True)
def test_concurrent_signups_for_one_phone_give_one_local_user() -> None:
    upstream.EMULATOR.add_test_number(PHONE, "246810")  # a reusable code, as on the console
    services.send_code(PHONE)
    # An attempt in flight holds a slot of the number's budget (so a race cannot outspend it);
    # this test is about the sync, so ten at once must all be let through.
    unlimited = dict.fromkeys(("CODE_ATTEMPTS", "FAILURES_PER_NUMBER", "CAPTCHA_AFTER_FAILURES"))
    with lc_phone_settings(**unlimited):
        results = _race(lambda: services.signup(PHONE, "246810").user.pk)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert len(set(results)) == 1
    assert get_user_model().objects.count() == 1
    assert PhoneProfile.objects.get().phone_e164 == PHONE
