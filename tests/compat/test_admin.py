"""The compat session admin: the list, search by user, revoking and deleting (the token then no
longer authenticates ``users/me``), read-only, and the stored hash shown nowhere."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import include, path, reverse

from django_lc_phone.compat.admin import CompatSessionAdmin
from django_lc_phone.models import CompatSession
from tests.app._api import lc_phone_settings
from tests.compat._wire import OTHER, assert_error, signup
from tests.compat.conftest import LC


def __getattr__(name: str) -> Any:
    """This module is the URLconf of its tests (the admin next to the compat endpoints); built
    on first use, as the compat URLs refuse to load before ``local_site`` picks the local
    provider."""
    if name != "urlpatterns":
        raise AttributeError(name)
    return [path("admin/", admin.site.urls), path("", include("django_lc_phone.compat.urls"))]


CHANGELIST = "admin:lc_phone_compatsession_changelist"


@pytest.fixture(autouse=True)
def admin_urls(local_site: None, settings: Any) -> None:
    """The admin and the compat endpoints (after ``local_site``, which sets its own URLs)."""
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def tokens(lc: LC) -> dict[str, str]:
    """alice (PHONE) and bob (OTHER), signed up through compat: a session each."""
    alice = signup(lc, username="alice")
    bob = signup(lc, OTHER, username="bob")
    return {"alice": str(alice["sessionToken"]), "bob": str(bob["sessionToken"])}


def session_of(username: str) -> CompatSession:
    """The one session of ``username``."""
    return CompatSession.objects.get(user__username=username)


def changelist(client: Client, **query: str) -> str:
    """The changelist page (200), as text."""
    answer = client.get(reverse(CHANGELIST), query)
    assert answer.status_code == 200
    return answer.content.decode()


def act(client: Client, action: str, *sessions: CompatSession, **extra: str) -> Any:
    """Run a changelist action on ``sessions``."""
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [s.pk for s in sessions]}
    return client.post(reverse(CHANGELIST), {**data, **extra})


def test_the_list_shows_users_and_times_never_a_token_or_its_hash(
    admin_client: Client, tokens: dict[str, str], lc: LC
) -> None:
    assert lc.get("users/me", session=tokens["alice"]).status_code == 200  # sets last_used_at
    page = changelist(admin_client)
    assert "alice" in page
    assert "bob" in page
    assert "Revoke the selected sessions" in page
    for session in CompatSession.objects.all():
        assert session.token_hash not in page
        detail = admin_client.get(reverse("admin:lc_phone_compatsession_change", args=[session.pk]))
        assert detail.status_code == 200
        assert session.token_hash not in detail.content.decode()
    for token in tokens.values():
        assert token not in page


def test_search_by_username_or_phone(admin_client: Client, tokens: dict[str, str]) -> None:
    by_name = changelist(admin_client, q="bob")
    assert "bob" in by_name
    assert "alice" not in by_name
    by_phone = changelist(admin_client, q="+86 138-0013-8000")
    assert "alice" in by_phone
    assert "bob" not in by_phone
    assert "0 results" in changelist(admin_client, q="carol")


def test_lookups_on_the_hash_are_refused(admin_client: Client, tokens: dict[str, str]) -> None:
    digest = session_of("alice").token_hash
    for lookup in ("token_hash", "token_hash__startswith"):
        answer = admin_client.get(reverse(CHANGELIST), {lookup: digest[:1]})
        assert answer.status_code == 400
    assert not CompatSessionAdmin(CompatSession, admin.site).lookup_allowed(
        "token_hash__startswith",
        "a",
        None,  # type: ignore[arg-type]
    )
    # The search does not reach the hash either.
    assert "0 results" in changelist(admin_client, q=digest)


def test_revoke_ends_the_selected_sessions_only_and_keeps_the_rows(
    admin_client: Client, tokens: dict[str, str], lc: LC
) -> None:
    answer = act(admin_client, "revoke", session_of("alice"))
    assert answer.status_code == 302
    assert_error(lc.get("users/me", session=tokens["alice"]), 211)
    assert lc.get("users/me", session=tokens["bob"]).status_code == 200
    assert session_of("alice").revoked_at is not None
    assert session_of("bob").revoked_at is None
    # Revoking again changes nothing: the first revocation time stays.
    first = session_of("alice").revoked_at
    act(admin_client, "revoke", session_of("alice"))
    assert session_of("alice").revoked_at == first


def test_deleting_a_session_ends_it(admin_client: Client, tokens: dict[str, str], lc: LC) -> None:
    alice = session_of("alice")
    answer = act(admin_client, "delete_selected", alice, post="yes")
    assert answer.status_code == 302
    assert not CompatSession.objects.filter(pk=alice.pk).exists()
    assert_error(lc.get("users/me", session=tokens["alice"]), 211)
    assert lc.get("users/me", session=tokens["bob"]).status_code == 200


def test_read_only_no_add_no_change(admin_client: Client, tokens: dict[str, str], lc: LC) -> None:
    assert admin_client.get(reverse("admin:lc_phone_compatsession_add")).status_code == 403
    alice = session_of("alice")
    change = reverse("admin:lc_phone_compatsession_change", args=[alice.pk])
    other = get_user_model()._default_manager.get(username="bob")
    answer = admin_client.post(change, {"user": other.pk, "revoked_at": ""})
    assert answer.status_code == 403
    assert session_of("alice").user_id == alice.user_id
    assert lc.get("users/me", session=tokens["alice"]).status_code == 200
    model_admin = admin.site.get_model_admin(CompatSession)
    request: Any = type("Request", (), {"user": get_user_model()(is_superuser=True)})()
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)


def test_staff_with_the_view_permission_only_cannot_revoke(
    client: Client, tokens: dict[str, str], lc: LC
) -> None:
    staff = get_user_model()._default_manager.create_user(
        username="staff", password="staff-Password-1", is_staff=True
    )
    staff.user_permissions.add(Permission.objects.get(codename="view_compatsession"))
    client.force_login(staff)
    page = changelist(client)
    assert "alice" in page
    assert "Revoke the selected sessions" not in page
    act(client, "revoke", session_of("alice"))
    assert lc.get("users/me", session=tokens["alice"]).status_code == 200


def test_listed_on_the_index_only_with_the_local_provider(admin_client: Client) -> None:
    assert reverse(CHANGELIST) in admin_client.get(reverse("admin:index")).content.decode()
    with lc_phone_settings(PROVIDER="leancloud"):
        index = admin_client.get(reverse("admin:index")).content.decode()
    assert reverse(CHANGELIST) not in index
