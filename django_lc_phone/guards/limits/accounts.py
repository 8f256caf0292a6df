"""The budgets that are not about one number: CAPTCHA answers per client, renames per user
and per client, and username sign-ups per client."""

from __future__ import annotations

from django.http import HttpRequest

from ...conf import get_settings
from ...exceptions import Throttled
from ..identity import client_digest, digest
from .common import HOUR, MINUTE, checks, take_all, window


def captcha_answer(request: HttpRequest | None) -> None:
    """Spend one CAPTCHA answer of the client's budget (``TooManyAttempts`` when spent).

    Every answer is kept, right or wrong: each one leaves a record that its challenge is
    spent, and this budget is what bounds how many records a client can make."""
    limit = window("captcha-ip", get_settings().CAPTCHA_ATTEMPTS_PER_IP_MINUTE, MINUTE)
    take_all(checks([(limit, client_digest(request))]))


def rename(user_pk: object, request: HttpRequest | None) -> None:
    """Spend one username or email change of the user's and the client's hourly budget
    (``RENAMES_PER_HOUR``; :class:`Throttled` when spent), successful or not."""
    limit = window("renames", get_settings().RENAMES_PER_HOUR, HOUR)
    budgets = [(limit, digest("user", str(user_pk))), (limit, client_digest(request))]
    take_all(checks(budgets, refusal=Throttled))


def new_account(request: HttpRequest | None) -> None:
    """Spend one username sign-up of the client's hourly budget, the one its renames spend
    (``RENAMES_PER_HOUR``; :class:`Throttled` when spent), whatever the sign-up finds: a
    name refused as taken costs what a free one does, so no client makes accounts or probes
    names without limit."""
    limit = window("renames", get_settings().RENAMES_PER_HOUR, HOUR)
    take_all(checks([(limit, client_digest(request))], refusal=Throttled))
