"""The admin: the phone profile list, filters, search, both actions, and the user inline.

Runs with the default user model and, from ``tests/test_custom_user_model.py``, with
``custom_user.EmailUser`` (``USERNAME_FIELD = "email"``): nothing here names a user field.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from django_lc_phone import services
from django_lc_phone.admin import (
    PhoneProfileAdmin,
    PhoneProfileInline,
    PhoneProfileUserAdminMixin,
    add_inline_to_user_admin,
)
from django_lc_phone.conf import get_settings
from django_lc_phone.models import PhoneProfile
from django_lc_phone.providers.leancloud import LeanCloudProvider
from tests import upstream
from tests.app._api import lc_phone_settings

ALICE = "+8613800138000"
BOB = "+8613900139001"
CAROL = "+8613700137002"
DAVE = "+8613600136003"
# Well-formed, but no LeanCloud user has it.
GONE_ID = "5d831ad3f40d3a0007541fbc"

CHANGELIST = "admin:lc_phone_phoneprofile_changelist"
RESYNC = "resync_from_leancloud"
SEND_SMS = "send_verification_sms"


@dataclass
class Profiles:
    """alice and bob are verified, carol is not; dave exists only here (no LeanCloud user)."""

    alice: PhoneProfile
    bob: PhoneProfile
    carol: PhoneProfile
    dave: PhoneProfile

    def all(self) -> list[PhoneProfile]:
        return [self.alice, self.bob, self.carol, self.dave]


def _provider() -> LeanCloudProvider:
    return cast(LeanCloudProvider, services.provider())


def sign_up(phone: str, username: str | None = None) -> PhoneProfile:
    """A LeanCloud user and its local user, through the app's own flow."""
    services.send_code(phone)
    result = services.signup(phone, upstream.EMULATOR.last_code(phone), username=username)
    return PhoneProfile.objects.select_related("user").get(user_id=result.user.pk)


def set_remote_verified(profile: PhoneProfile, verified: bool) -> None:
    """Change the phone's verification on LeanCloud only (as its console would)."""
    assert profile.lc_object_id
    _provider().client.update_user(
        profile.lc_object_id, {"mobilePhoneVerified": verified}, use_master_key=True
    )


def local_user(name: str) -> Any:
    """A user with no LeanCloud account, whatever ``USERNAME_FIELD`` is."""
    model = get_user_model()
    field = model._meta.get_field(model.USERNAME_FIELD)
    value = f"{name}@example.com" if isinstance(field, models.EmailField) else name
    user = model(**{model.USERNAME_FIELD: value})
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def profiles(lc: upstream.CountingApp) -> Profiles:
    alice = sign_up(ALICE, username="alice")
    bob = sign_up(BOB)
    carol = sign_up(CAROL)
    set_remote_verified(carol, False)
    services.resync(carol)
    dave = PhoneProfile.objects.create(user=local_user("dave"), phone=DAVE)
    for profile in (alice, bob, carol):
        profile.refresh_from_db()
        assert profile.lc_session_token  # kept server-side: the admin must never show it
    assert (alice.phone_verified, bob.phone_verified, carol.phone_verified) == (True, True, False)
    upstream.advance_clocks(61)  # past the one-code-a-minute limit of the sign-ups
    upstream.EMULATOR.clear_messages()
    lc.calls.clear()
    return Profiles(alice, bob, carol, dave)


def changelist(client: Client, **query: str) -> Any:
    response = client.get(reverse(CHANGELIST), query)
    assert response.status_code == 200
    return response


def shown(response: Any) -> set[int]:
    """The primary keys of the rows on a change list page."""
    return {p.pk for p in response.context["cl"].result_list}


def act(client: Client, action: str, selected: Iterable[PhoneProfile]) -> list[str]:
    """Run an admin action on the change list; the messages it left."""
    data = {"action": action, "_selected_action": [str(p.pk) for p in selected]}
    response = client.post(reverse(CHANGELIST), data, follow=True)
    # Back to the list, which showed (and so used up) the messages: never a 500.
    assert response.redirect_chain == [(reverse(CHANGELIST), 302)], response.content[:2000]
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    for message in messages:
        assert escape(message) in html(response)
    return messages


def html(response: Any) -> str:
    return cast(str, response.content.decode())


# --- the change list --------------------------------------------------------------------------


def test_changelist_lists_every_profile(admin_client: Client, profiles: Profiles) -> None:
    page = changelist(admin_client)
    assert shown(page) == {p.pk for p in profiles.all()}
    body = html(page)
    for profile in profiles.all():
        assert f'<td class="field-phone">{profile.phone_e164}</td>' in body
        assert str(profile.user) in body
    for profile in (profiles.alice, profiles.bob, profiles.carol):
        assert f'<td class="field-lc_object_id">{profile.lc_object_id}</td>' in body
    assert body.count('icon-yes.svg" alt="True">') == 2
    assert body.count('icon-no.svg" alt="False">') == 2
    for column in ("user", "phone", "phone_verified", "phone_verified_at", "lc_object_id"):
        assert f'class="sortable column-{column}' in body
    assert 'class="column-last_synced_at' in body or "column-last_synced_at" in body
    assert upstream.COUNTER.calls == []  # listing never calls LeanCloud


def test_changelist_queries_do_not_grow_with_rows(admin_client: Client, profiles: Profiles) -> None:
    with CaptureQueriesContext(connection) as few:
        changelist(admin_client)
    for index in range(5):
        PhoneProfile.objects.create(user=local_user(f"extra{index}"), phone=f"+861350013500{index}")
    with CaptureQueriesContext(connection) as many:
        assert len(shown(changelist(admin_client))) == 9
    assert len(many.captured_queries) == len(few.captured_queries)


def test_filter_by_verified_status(admin_client: Client, profiles: Profiles) -> None:
    body = html(changelist(admin_client))
    assert "By phone verified" in body
    assert "By phone verified at" in body
    verified = changelist(admin_client, phone_verified__exact="1")
    assert shown(verified) == {profiles.alice.pk, profiles.bob.pk}
    unverified = changelist(admin_client, phone_verified__exact="0")
    assert shown(unverified) == {profiles.carol.pk, profiles.dave.pk}


def test_filter_by_verified_at_and_by_link(admin_client: Client, profiles: Profiles) -> None:
    dated = changelist(admin_client, phone_verified_at__isnull="False")
    assert shown(dated) == {profiles.alice.pk, profiles.bob.pk}
    undated = changelist(admin_client, phone_verified_at__isnull="True")
    assert shown(undated) == {profiles.carol.pk, profiles.dave.pk}
    unlinked = changelist(admin_client, lc_object_id__isempty="1")
    assert shown(unlinked) == {profiles.dave.pk}


@pytest.mark.parametrize(
    ("term", "who"),
    [
        (BOB, "bob"),
        ("13900139001", "bob"),
        ("+86 139-0013-9001", "bob"),  # as people type it: found by its E.164 form
        ("136 0013 6003", "dave"),
        ("alice", "alice"),  # the user's USERNAME_FIELD
        ("dave", "dave"),
    ],
)
def test_search_by_phone_and_username(
    admin_client: Client, profiles: Profiles, term: str, who: str
) -> None:
    assert shown(changelist(admin_client, q=term)) == {getattr(profiles, who).pk}


def test_search_by_the_username_of_each_user(admin_client: Client, profiles: Profiles) -> None:
    for profile in profiles.all():
        name = profile.user.get_username()
        found = shown(changelist(admin_client, q=name))
        assert profile.pk in found
        assert found <= {p.pk for p in profiles.all() if name in p.user.get_username()}


def test_search_by_object_id(admin_client: Client, profiles: Profiles) -> None:
    assert profiles.carol.lc_object_id
    assert shown(changelist(admin_client, q=profiles.carol.lc_object_id)) == {profiles.carol.pk}
    assert shown(changelist(admin_client, q=GONE_ID)) == set()


def test_search_fields_follow_the_user_model() -> None:
    field = get_user_model().USERNAME_FIELD
    model_admin = admin.site.get_model_admin(PhoneProfile)
    assert model_admin.get_search_fields(None) == (  # type: ignore[arg-type]
        "phone",
        f"user__{field}",
        "lc_object_id",
    )


# --- the change page and the session token ----------------------------------------------------


def test_change_page_shows_the_full_number_and_no_token(
    admin_client: Client, profiles: Profiles
) -> None:
    alice = profiles.alice
    page = admin_client.get(reverse("admin:lc_phone_phoneprofile_change", args=[alice.pk]))
    assert page.status_code == 200
    body = html(page)
    assert alice.phone_e164 in body
    assert str(alice.lc_object_id) in body
    assert alice.lc_session_token not in body
    assert "lc_session_token" not in body
    # LeanCloud owns a linked profile: nothing of it is editable here.
    assert list(page.context["adminform"].form.fields) == []


def test_an_unlinked_profile_keeps_its_phone_editable(
    admin_client: Client, profiles: Profiles
) -> None:
    dave = profiles.dave
    url = reverse("admin:lc_phone_phoneprofile_change", args=[dave.pk])
    page = admin_client.get(url)
    assert list(page.context["adminform"].form.fields) == ["phone"]
    saved = admin_client.post(url, {"phone": "+8613600136009"})
    assert saved.status_code == 302
    dave.refresh_from_db()
    assert dave.phone_e164 == "+8613600136009"


def test_staff_can_add_a_profile_to_link_an_existing_user(
    admin_client: Client, lc: upstream.CountingApp
) -> None:
    staff = local_user("staff")
    add = reverse("admin:lc_phone_phoneprofile_add")
    page = admin_client.get(add)
    assert list(page.context["adminform"].form.fields) == ["user", "phone"]
    assert admin_client.post(add, {"user": staff.pk, "phone": ALICE}).status_code == 302
    # The next sign-in with that phone links to the staff user instead of creating one.
    linked = sign_up(ALICE)
    assert linked.user.pk == staff.pk
    assert linked.phone_verified is True


def test_the_token_is_on_no_admin_page(admin_client: Client, profiles: Profiles) -> None:
    alice = profiles.alice
    user_opts = get_user_model()._meta
    user_url = f"admin:{user_opts.app_label}_{user_opts.model_name}"
    pages = [
        reverse(CHANGELIST),
        reverse(CHANGELIST) + f"?q={alice.phone_e164}",
        reverse(CHANGELIST) + "?phone_verified__exact=1",
        reverse("admin:lc_phone_phoneprofile_add"),
        reverse("admin:lc_phone_phoneprofile_history", args=[alice.pk]),
        reverse("admin:lc_phone_phoneprofile_delete", args=[alice.pk]),
        reverse(f"{user_url}_changelist"),
        reverse(f"{user_url}_change", args=[alice.user.pk]),
        reverse(f"{user_url}_delete", args=[alice.user.pk]),
        reverse("admin:index"),
        reverse("admin:app_list", args=["lc_phone"]),
    ]
    pages += [reverse("admin:lc_phone_phoneprofile_change", args=[p.pk]) for p in profiles.all()]
    tokens = [p.lc_session_token for p in (alice, profiles.bob, profiles.carol)]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        body = html(response)
        assert "lc_session_token" not in body, url
        for token in tokens:
            assert token not in body, url
    selected = {"action": "delete_selected", "_selected_action": [str(alice.pk)]}
    confirm = admin_client.post(reverse(CHANGELIST), selected)
    assert confirm.status_code == 200
    assert alice.lc_session_token not in html(confirm)


def test_the_token_cannot_be_probed_through_lookups(
    admin_client: Client, profiles: Profiles
) -> None:
    prefix = profiles.alice.lc_session_token[:3]
    probe = admin_client.get(reverse(CHANGELIST), {"lc_session_token__startswith": prefix})
    assert probe.status_code == 400
    user_opts = get_user_model()._meta
    users = reverse(f"admin:{user_opts.app_label}_{user_opts.model_name}_changelist")
    probe = admin_client.get(users, {"lc_phone_profile__lc_session_token__startswith": prefix})
    assert probe.status_code == 400
    # Ordinary filters still work.
    assert admin_client.get(reverse(CHANGELIST), {"phone_verified__exact": "1"}).status_code == 200


def test_the_token_is_in_no_admin_option(rf: Any, admin_user: Any, profiles: Profiles) -> None:
    request = rf.get("/")
    request.user = admin_user
    model_admin = cast(PhoneProfileAdmin, admin.site.get_model_admin(PhoneProfile))
    alice = profiles.alice
    options: list[Iterable[Any]] = [
        model_admin.get_list_display(request),
        model_admin.get_list_filter(request),
        model_admin.get_search_fields(request),
        model_admin.get_fields(request, alice),
        model_admin.get_fields(request),
        model_admin.get_readonly_fields(request, alice),
        model_admin.get_readonly_fields(request),
        PhoneProfileInline.fields,
        PhoneProfileInline.readonly_fields,
    ]
    for option in options:
        assert "lc_session_token" not in [o if isinstance(o, str) else o[0] for o in option]
    assert "lc_session_token" not in model_admin.get_form(request, alice).base_fields
    assert alice.lc_session_token not in repr(alice)
    assert alice.lc_session_token not in str(alice)


# --- actions --------------------------------------------------------------------------------


def test_resync_updates_the_selected_profiles(admin_client: Client, profiles: Profiles) -> None:
    alice, bob = profiles.alice, profiles.bob
    set_remote_verified(alice, False)
    upstream.COUNTER.calls.clear()
    before = alice.last_synced_at
    assert before is not None
    messages = act(admin_client, RESYNC, [bob, alice])
    assert messages == ["Re-synced 2 profiles from LeanCloud."]
    assert upstream.COUNTER.calls == [
        ("GET", f"/1.1/classes/_User/{alice.lc_object_id}"),
        ("GET", f"/1.1/classes/_User/{bob.lc_object_id}"),
    ]
    alice.refresh_from_db()
    assert (alice.phone_verified, alice.phone_verified_at) == (False, None)
    assert alice.last_synced_at is not None
    assert alice.last_synced_at > before
    assert alice.lc_session_token  # a fetch carries no session: the stored one is kept


def test_resync_reports_each_failure(admin_client: Client, profiles: Profiles) -> None:
    gone = PhoneProfile.objects.create(
        user=local_user("gone"), phone="+8613500135005", lc_object_id=GONE_ID
    )
    selected = [profiles.bob, profiles.dave, gone]
    messages = act(admin_client, RESYNC, selected)
    assert messages == [
        "Re-synced 1 profile from LeanCloud.",
        f"Not re-synced (not linked to a LeanCloud user): {profiles.dave}.",
        f"Not re-synced (no such LeanCloud user): {gone}.",
    ]
    assert upstream.COUNTER.calls == [
        ("GET", f"/1.1/classes/_User/{profiles.bob.lc_object_id}"),
        ("GET", f"/1.1/classes/_User/{GONE_ID}"),
    ]


def test_resync_stops_when_leancloud_fails(admin_client: Client, profiles: Profiles) -> None:
    upstream.EMULATOR.arm_fault("http_error", status=503)
    messages = act(admin_client, RESYNC, [profiles.alice, profiles.bob])
    assert messages == [
        "Stopped: LeanCloud is unavailable. 2 profiles were not processed: "
        f"{profiles.alice}, {profiles.bob}."
    ]
    assert upstream.COUNTER.calls == [("GET", f"/1.1/classes/_User/{profiles.alice.lc_object_id}")]


def test_send_verification_sms(admin_client: Client, profiles: Profiles) -> None:
    carol = profiles.carol
    messages = act(admin_client, SEND_SMS, [profiles.alice, carol, profiles.bob])
    assert messages == [
        f"Requested a verification SMS for 1 profile: {carol}.",
        f"Skipped 2 profiles whose phones are already verified: {profiles.alice}, {profiles.bob}.",
    ]
    assert upstream.COUNTER.calls == [("POST", "/1.1/requestMobilePhoneVerify")]
    sent = upstream.EMULATOR.messages(CAROL)
    assert len(sent) == 1
    assert sent[0]["code"]
    assert upstream.EMULATOR.messages(ALICE) == upstream.EMULATOR.messages(ALICE)[:1]
    # The code really verifies carol's phone.
    services.verify_phone(carol.user, sent[0]["code"])
    carol.refresh_from_db()
    assert carol.phone_verified is True


def test_send_verification_sms_reports_each_failure(
    admin_client: Client, profiles: Profiles
) -> None:
    carol, dave = profiles.carol, profiles.dave
    no_phone = PhoneProfile.objects.create(user=local_user("nophone"), lc_object_id=GONE_ID)
    assert act(admin_client, SEND_SMS, [carol]) == [
        f"Requested a verification SMS for 1 profile: {carol}."
    ]
    upstream.COUNTER.calls.clear()
    messages = act(admin_client, SEND_SMS, [carol, dave, no_phone])
    assert messages == [
        f"No SMS sent (too many codes for this number, try again later): {carol}.",
        f"No SMS sent (not linked to a LeanCloud user): {dave}.",
        f"No SMS sent (no phone number): {no_phone}.",
    ]
    assert upstream.COUNTER.calls == []  # carol's cooldown is ours: LeanCloud is not asked


def test_send_verification_sms_stops_when_leancloud_fails(
    admin_client: Client, profiles: Profiles
) -> None:
    carol = profiles.carol
    upstream.EMULATOR.arm_fault("http_error", status=503)
    messages = act(admin_client, SEND_SMS, [carol])
    assert messages == [f"Stopped: LeanCloud is unavailable. 1 profile was not processed: {carol}."]
    assert upstream.COUNTER.calls == [("POST", "/1.1/requestMobilePhoneVerify")]
    assert upstream.EMULATOR.messages(CAROL) == []


def test_long_lists_are_cut_short(admin_client: Client, lc: upstream.CountingApp) -> None:
    many = [
        PhoneProfile.objects.create(user=local_user(f"u{i}"), phone=f"+86135001350{i:02d}")
        for i in range(12)
    ]
    [message] = act(admin_client, RESYNC, many)
    assert message.startswith("Not re-synced (not linked to a LeanCloud user): ")
    assert message.endswith(f"{many[9]} and 2 more.")
    assert str(many[10]) not in message
    assert lc.calls == []


def test_actions_need_the_change_permission(client: Client, profiles: Profiles) -> None:
    viewer = local_user("viewer")
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.add(Permission.objects.get(codename="view_phoneprofile"))
    client.force_login(viewer)
    page = changelist(client)
    assert shown(page) == {p.pk for p in profiles.all()}
    form = page.context["action_form"]  # None when no action is offered at all
    offered = {choice for choice, _ in form.fields["action"].choices} if form else set()
    assert not offered & {RESYNC, SEND_SMS}
    data = {"action": SEND_SMS, "_selected_action": [str(profiles.carol.pk)]}
    client.post(reverse(CHANGELIST), data)
    assert upstream.COUNTER.calls == []
    assert upstream.EMULATOR.messages() == []


# --- the user admin ---------------------------------------------------------------------------


def user_change_url(user: Any) -> str:
    opts = get_user_model()._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[user.pk])


def test_user_admin_shows_the_profile_inline(admin_client: Client, profiles: Profiles) -> None:
    alice = profiles.alice
    page = admin_client.get(user_change_url(alice.user))
    assert page.status_code == 200
    [inline] = [f for f in page.context["inline_admin_formsets"] if f.opts.model is PhoneProfile]
    assert isinstance(inline.opts, PhoneProfileInline)
    body = html(page)
    assert "Phone profiles" in body
    assert alice.phone_e164 in body
    assert str(alice.lc_object_id) in body
    assert alice.lc_session_token not in body
    assert inline.has_add_permission is False
    assert inline.has_change_permission is False


def test_user_admin_add_page_has_no_inline(admin_client: Client, profiles: Profiles) -> None:
    opts = get_user_model()._meta
    page = admin_client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert page.status_code == 200
    assert all(f.opts.model is not PhoneProfile for f in page.context["inline_admin_formsets"])


def test_the_registered_user_admin_was_extended_not_replaced() -> None:
    registered = type(admin.site.get_model_admin(get_user_model()))
    assert issubclass(registered, PhoneProfileUserAdminMixin)
    original = registered.__mro__[2]
    expected = "EmailUserAdmin" if get_user_model().USERNAME_FIELD == "email" else "UserAdmin"
    assert original.__name__ == expected
    assert registered.__name__ == f"{expected}WithPhoneProfile"
    assert add_inline_to_user_admin() is False  # already done: idempotent


def test_add_inline_does_nothing_without_a_registered_user_admin() -> None:
    site = admin.AdminSite(name="bare")
    assert add_inline_to_user_admin(site) is False
    assert not site.is_registered(get_user_model())
    site.register(get_user_model())
    assert add_inline_to_user_admin(site) is True
    extended = site.get_model_admin(get_user_model())
    assert isinstance(extended, PhoneProfileUserAdminMixin)


def test_users_created_by_sign_in_pass_their_model_validation(profiles: Profiles) -> None:
    """So the user admin can save them (an email USERNAME_FIELD must hold an email)."""
    for profile in (profiles.alice, profiles.bob, profiles.carol):
        profile.user.full_clean()
    name = profiles.bob.user.get_username()
    if get_user_model().USERNAME_FIELD == "email":
        assert name == f"{BOB}@phone.invalid"
        assert profiles.alice.user.get_username() == "alice@phone.invalid"
    else:
        assert name == BOB
        assert profiles.alice.user.get_username() == "alice"


def test_resync_without_the_master_key_says_so_and_check_reports_it(
    admin_client: Client, profiles: Profiles
) -> None:
    """Reading a ``_User`` by id needs LeanCloud's master key: without it the action names the
    missing setting (it used to say "no such LeanCloud user"), sends nothing, opens no breaker,
    and ``manage.py check`` warns beforehand (W009)."""
    with lc_phone_settings(MASTER_KEY=""):
        upstream.COUNTER.calls.clear()
        for _ in range(get_settings().CIRCUIT_FAILURES or 0):
            act(admin_client, RESYNC, [profiles.alice])
        messages = act(admin_client, RESYNC, [profiles.alice, profiles.bob])
        errors = io.StringIO()
        call_command("check", fail_level="CRITICAL", stdout=io.StringIO(), stderr=errors)
    assert messages == [
        "Stopped: LeanCloud's master key is not set (LC_PHONE['MASTER_KEY']). 2 profiles were "
        f"not processed: {profiles.alice}, {profiles.bob}."
    ]
    assert upstream.COUNTER.calls == []
    assert "lc_phone.W009" in errors.getvalue()
    assert "MASTER_KEY" in errors.getvalue()
    # The breaker counted none of them: with the key back, the action reaches LeanCloud.
    assert act(admin_client, RESYNC, [profiles.alice]) == ["Re-synced 1 profile from LeanCloud."]
