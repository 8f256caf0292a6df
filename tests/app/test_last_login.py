"""``last_login`` under ``LAST_LOGIN_PRECISION``: a token sign-in moves it only when it is that
old, so a returning user's login writes nothing; a session login (Django's ``login()``, the
admin) moves it every time, as Django does; 0 restores Django's behaviour for tokens too."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib.auth import get_user_model, user_logged_in
from django.test import RequestFactory
from django.utils import timezone
from rest_framework.test import APIClient

from django_lc_phone import tokens
from tests import upstream
from tests.app._api import (
    PASSWORD,
    PHONE,
    assert_no_transaction,
    cool_down,
    lc_phone_settings,
    post,
    request_code,
)


def _signed_up(api: APIClient) -> Any:
    response = post(
        api, "signup/", {"phone": PHONE, "code": request_code(api), "password": PASSWORD}
    )
    assert response.status_code == 201, response.content
    cool_down()
    return get_user_model().objects.get(pk=response.json()["user"]["id"])


def _login(django_assert_num_queries: Any, queries: int) -> None:
    with django_assert_num_queries(queries) as captured:
        response = post(APIClient(), "login/", {"phone": PHONE, "password": PASSWORD})
    assert response.status_code == 200, response.content
    assert_no_transaction(captured)


@lc_phone_settings(LAST_LOGIN_PRECISION=300)
def test_a_returning_token_login_is_one_read_and_no_write(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    user = _signed_up(api)
    first = user.last_login
    assert first is not None  # the sign-up signed in
    _login(django_assert_num_queries, 1)  # profile, user and token in one SELECT
    user.refresh_from_db()
    assert user.last_login == first


@lc_phone_settings(LAST_LOGIN_PRECISION=300)
def test_a_last_login_older_than_the_precision_moves(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    user = _signed_up(api)
    old = timezone.now() - timedelta(seconds=301)
    get_user_model().objects.filter(pk=user.pk).update(last_login=old)
    _login(django_assert_num_queries, 2)  # the read, then Django's last_login UPDATE
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.last_login > old + timedelta(seconds=300)


@lc_phone_settings(LAST_LOGIN_PRECISION=0)
def test_zero_moves_it_on_every_token_login(
    api: APIClient, lc: upstream.CountingApp, django_assert_num_queries: Any
) -> None:
    _signed_up(api)
    _login(django_assert_num_queries, 2)


@lc_phone_settings(LAST_LOGIN_PRECISION=300)
def test_a_session_login_moves_it_every_time(lc: upstream.CountingApp) -> None:
    """Not a token sign-in (no ``lc_phone_token``): Django's behaviour, whatever the age."""
    user = get_user_model().objects.create_user(username="someone", password=PASSWORD)
    recent = timezone.now() - timedelta(seconds=5)
    get_user_model().objects.filter(pk=user.pk).update(last_login=recent)
    user.refresh_from_db()
    user_logged_in.send(sender=type(user), request=RequestFactory().get("/"), user=user)
    user.refresh_from_db()
    assert user.last_login is not None
    assert user.last_login > recent


def test_djangos_receiver_is_replaced_not_doubled() -> None:
    receivers = list(user_logged_in._live_receivers(None)[0])
    assert tokens.update_last_login_coarsely in receivers
    from django.contrib.auth.models import update_last_login

    assert update_last_login not in receivers
