"""queries.OneRow: the sign-in's compiled read gives what the ORM gives, in one query, with
its SQL compiled once per thread and connection."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models.sql.compiler import SQLCompiler
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from django_lc_phone.models import PhoneProfile, profiles_with_user
from django_lc_phone.queries import OneRow

pytestmark = pytest.mark.django_db(transaction=True)

OBJECT_ID = "5d831ad3f40d3a0007541fbc"


def _profile(object_id: str = OBJECT_ID, phone: str = "+8613800138000") -> PhoneProfile:
    user = get_user_model().objects.create(username=f"u{object_id[-4:]}")
    return PhoneProfile.objects.create(user=user, lc_object_id=object_id, phone=phone)


def test_it_reads_what_the_orm_reads_with_user_and_token_in_one_query() -> None:
    made = _profile()
    token = Token.objects.create(user=made.user)
    lookup = OneRow(profiles_with_user, "lc_object_id")
    lookup.get(OBJECT_ID)  # compiled here
    with CaptureQueriesContext(connection) as queries:
        found = lookup.get(OBJECT_ID)
        assert found is not None
        user_name, token_key = found.user.username, found.user.auth_token.key
    assert len(queries) == 1
    expected = profiles_with_user().get(lc_object_id=OBJECT_ID)
    assert found.pk == expected.pk
    assert [getattr(found, f.attname) for f in PhoneProfile._meta.concrete_fields] == [
        getattr(expected, f.attname) for f in PhoneProfile._meta.concrete_fields
    ]
    assert (user_name, token_key) == (made.user.username, token.key)
    # Converted like the ORM's (the phone field's PhoneNumber, a timezone-aware datetime).
    assert found.phone == expected.phone
    assert type(found.phone) is type(expected.phone)
    assert found.created_at == expected.created_at
    assert found.created_at.tzinfo is not None
    assert found._state.adding is False
    assert found._state.db == "default"


def test_a_missing_row_is_none_and_a_user_without_token_has_none_cached() -> None:
    lookup = OneRow(profiles_with_user, "lc_object_id")
    assert lookup.get("nobody") is None
    _profile()
    found = lookup.get(OBJECT_ID)
    assert found is not None
    with CaptureQueriesContext(connection) as queries, pytest.raises(Token.DoesNotExist):
        found.user.auth_token  # noqa: B018 - the LEFT JOIN cached "no token": no query
    assert len(queries) == 0


def test_the_extra_filters_hold() -> None:
    _profile()
    unlinked = OneRow(profiles_with_user, "phone", lc_object_id__isnull=True)
    assert unlinked.get("+8613800138000") is None
    _profile(object_id="", phone="+8613800138001")
    PhoneProfile.objects.filter(phone="+8613800138001").update(lc_object_id=None)
    found = unlinked.get("+8613800138001")
    assert found is not None
    assert found.lc_object_id is None


def test_the_sql_is_compiled_once_per_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    _profile()
    compiled: list[int] = []
    as_sql = SQLCompiler.as_sql

    def counting(self: SQLCompiler, *args: Any, **kwargs: Any) -> Any:
        compiled.append(threading.get_ident())
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    lookup = OneRow(profiles_with_user, "lc_object_id")
    for _ in range(5):
        assert lookup.get(OBJECT_ID) is not None
    assert len(compiled) == 1

    def other_thread() -> None:
        try:
            assert lookup.get(OBJECT_ID) is not None
        finally:
            connection.close()

    thread = threading.Thread(target=other_thread)
    thread.start()
    thread.join()
    assert len(compiled) == 2
    assert compiled[0] != compiled[1]


def test_a_lookup_that_rewrites_its_value_is_refused() -> None:
    # __contains wraps the value in %...%: the placeholder does not survive, and the lookup
    # says so when it compiles instead of querying for the wrong value.
    lookup = OneRow(profiles_with_user, "lc_object_id__contains")
    with pytest.raises(ValueError, match="cannot compile a one-row lookup"):
        lookup.get(OBJECT_ID)
